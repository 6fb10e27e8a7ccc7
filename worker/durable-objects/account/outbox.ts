/**
 * @module account/outbox
 * Moves usage events and journal entries from the object's outbox to D1 in batches.
 * Inserts are `INSERT OR IGNORE` keyed by the request id / (account, seq), and rows leave the
 * outbox only after D1 accepted the whole batch: a flush that fails half-way and is retried
 * writes nothing twice and loses nothing.
 */
import type { JournalEntry, UsageEvent } from './types';

export const FLUSH_BATCH = 100;

const USAGE_SQL = `INSERT OR IGNORE INTO usage_events (id, account_id, key_id, service_id, model, endpoint, input_tokens,
  output_tokens, cost_micros, price_version, latency_ms, ttft_ms, status, estimated, created_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const JOURNAL_SQL = `INSERT OR IGNORE INTO journal_entries (account_id, seq, idempotency_key, kind, amount_micros,
  balance_after_micros, ref, reason, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const TRANSFER_SQL = `INSERT OR IGNORE INTO ledger_transfers (idempotency_key, debit_account, credit_account, amount_micros,
  code, account_id, journal_seq, ref, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/** The account's own ledger account in the double-entry mirror. */
export const ledgerAccount = (accountId: string): string => `acct:${accountId}`;

function usageStatement(db: D1Database, e: UsageEvent): D1PreparedStatement {
  return db.prepare(USAGE_SQL).bind(
    e.id, e.accountId, e.keyId, e.serviceId, e.model, e.endpoint, e.inputTokens, e.outputTokens, e.costMicros,
    e.priceVersion, e.latencyMs, e.ttftMs, e.status, e.estimated ? 1 : 0, e.createdAt,
  );
}

function journalStatements(db: D1Database, j: JournalEntry & { accountId: string }): D1PreparedStatement[] {
  // Entries queued before counter accounts existed: usage went to revenue, the rest were admin adjustments.
  j.counterAccount ??= j.kind === 'usage' ? 'sys:revenue' : 'sys:adjustments';
  // A credit moves money from the system account to the account; a debit the other way.
  const [debit, credit] = j.amountMicros > 0 ? [j.counterAccount, ledgerAccount(j.accountId)] : [ledgerAccount(j.accountId), j.counterAccount];
  return [
    db.prepare(JOURNAL_SQL).bind(j.accountId, j.seq, j.idempotencyKey, j.kind, j.amountMicros, j.balanceAfterMicros, j.ref, j.reason, j.createdAt),
    db.prepare(TRANSFER_SQL).bind(`${j.accountId}:${j.idempotencyKey}`, debit, credit, Math.abs(j.amountMicros), j.kind, j.accountId, j.seq, j.ref, j.createdAt),
  ];
}

/** D1 statements for one outbox row: `settled` (usage event + its journal entry), `usage`, `journal`. */
function statementsFor(db: D1Database, kind: string, payload: string): D1PreparedStatement[] {
  if (kind === 'settled') {
    const { event, entry } = JSON.parse(payload) as { event: UsageEvent; entry: (JournalEntry & { accountId: string }) | null };
    return [usageStatement(db, event), ...(entry ? journalStatements(db, entry) : [])];
  }
  if (kind === 'usage') return [usageStatement(db, JSON.parse(payload) as UsageEvent)];
  return journalStatements(db, JSON.parse(payload) as JournalEntry & { accountId: string });
}

/**
 * Flushes up to `FLUSH_BATCH` rows. Returns how many rows were written and whether more wait.
 * Throws (leaving the rows in place) when D1 fails.
 */
export async function flushOutbox(sql: SqlStorage, db: D1Database): Promise<{ flushed: number; more: boolean }> {
  const rows = sql
    .exec<{ seq: number; kind: string; payload: string }>('SELECT seq, kind, payload FROM outbox ORDER BY seq LIMIT ?', FLUSH_BATCH + 1)
    .toArray();
  if (rows.length === 0) return { flushed: 0, more: false };
  const batch = rows.slice(0, FLUSH_BATCH);
  try {
    await db.batch(batch.flatMap((row) => statementsFor(db, row.kind, row.payload)));
  } catch (error) {
    sql.exec('UPDATE outbox SET attempts = attempts + 1 WHERE seq <= ?', batch[batch.length - 1].seq);
    throw error;
  }
  sql.exec('DELETE FROM outbox WHERE seq <= ?', batch[batch.length - 1].seq);
  return { flushed: batch.length, more: rows.length > FLUSH_BATCH };
}
