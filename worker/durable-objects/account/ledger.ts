/**
 * @module account/ledger
 * The append-only journal: every balance change is one row with a unique idempotency key and
 * the running balance after it. The balance column on `account` always equals the last
 * row's `balance_after_micros` (both are written in the same transaction), and each row is
 * queued in the outbox for the D1 mirror.
 */
import type { JournalEntry, SystemAccount } from './types';

type Row = Record<string, SqlStorageValue>;

/** The `account` row as the object keeps it in memory (it is that row's only writer). */
export type AccountRow = {
  status: string;
  balance_micros: number;
  last_seq: number;
};

/** Maps a journal row. */
export function rowToEntry(row: Row): JournalEntry {
  return {
    seq: Number(row.seq),
    idempotencyKey: String(row.idempotency_key),
    kind: String(row.kind) as JournalEntry['kind'],
    counterAccount: (row.counter_account === null ? legacyCounter(String(row.kind)) : String(row.counter_account)) as SystemAccount,
    amountMicros: Number(row.amount_micros),
    balanceAfterMicros: Number(row.balance_after_micros),
    ref: row.ref === null ? null : String(row.ref),
    reason: row.reason === null ? null : String(row.reason),
    createdAt: Number(row.created_at),
  };
}

/** Entries written before counter accounts were recorded: usage went to revenue, the rest were admin adjustments. */
function legacyCounter(kind: string): SystemAccount {
  return kind === 'usage' ? 'sys:revenue' : 'sys:adjustments';
}

/** Finds an entry by idempotency key. */
export function findEntry(sql: SqlStorage, idempotencyKey: string): JournalEntry | null {
  const rows = sql.exec<Row>('SELECT * FROM journal WHERE idempotency_key = ?', idempotencyKey).toArray();
  return rows.length ? rowToEntry(rows[0]) : null;
}

export interface PostInput {
  idempotencyKey: string;
  kind: JournalEntry['kind'];
  /** Signed: positive credits the account, negative debits it. */
  amountMicros: number;
  counterAccount: SystemAccount;
  ref: string | null;
  keyId: string | null;
  reason: string | null;
  now: number;
}

/**
 * Appends one entry and moves the balance. Must run inside the caller's transaction.
 * Returns the existing entry instead when the idempotency key was already used.
 */
export function post(
  sql: SqlStorage,
  accountId: string,
  input: PostInput,
  options: { knownNew?: boolean; outbox?: boolean; row?: AccountRow; deferAccountWrite?: boolean } = {},
): { entry: JournalEntry; duplicate: boolean } {
  // knownNew: the caller already guarantees the key is unused (settlement's own exactly-once
  // record); the UNIQUE constraint still refuses a duplicate, aborting the transaction.
  const existing = options.knownNew ? null : findEntry(sql, input.idempotencyKey);
  if (existing) return { entry: existing, duplicate: true };
  if (!Number.isSafeInteger(input.amountMicros) || input.amountMicros === 0) throw new RangeError('amountMicros must be a non-zero safe integer');
  const { balance_micros: balance, last_seq: lastSeq } =
    options.row ?? sql.exec<{ balance_micros: number; last_seq: number }>('SELECT balance_micros, last_seq FROM account').one();
  const entry: JournalEntry = {
    seq: lastSeq + 1,
    idempotencyKey: input.idempotencyKey,
    kind: input.kind,
    counterAccount: input.counterAccount,
    amountMicros: input.amountMicros,
    balanceAfterMicros: balance + input.amountMicros,
    ref: input.ref,
    reason: input.reason,
    createdAt: input.now,
  };
  sql.exec(
    `INSERT INTO journal (seq, idempotency_key, kind, counter_account, amount_micros, balance_after_micros, ref, key_id, reason, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    entry.seq,
    entry.idempotencyKey,
    entry.kind,
    entry.counterAccount,
    entry.amountMicros,
    entry.balanceAfterMicros,
    entry.ref,
    input.keyId,
    entry.reason,
    entry.createdAt,
  );
  // deferAccountWrite: the caller (a group commit) writes the row once for many entries, from `row`.
  if (!(options.deferAccountWrite && options.row)) sql.exec('UPDATE account SET balance_micros = ?, last_seq = ?', entry.balanceAfterMicros, entry.seq);
  if (options.row) {
    options.row.balance_micros = entry.balanceAfterMicros;
    options.row.last_seq = entry.seq;
  }
  // outbox: false — the caller queues the entry itself (settlement sends it with its usage event).
  if (options.outbox !== false) sql.exec("INSERT INTO outbox (kind, payload) VALUES ('journal', ?)", JSON.stringify({ accountId, ...entry }));
  return { entry, duplicate: false };
}
