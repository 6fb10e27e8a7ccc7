/**
 * @module account/reconciliation
 * What the scheduled reconciliation compares with D1: the journal's own running-balance chain,
 * and the sequence number up to which D1 must already hold every entry (everything before the
 * oldest journal entry still waiting in the outbox).
 *
 * The chain is verified incrementally from a checkpoint (`journal_checkpoint`: the last seq
 * verified and the running balance there), at most `VERIFY_CHUNK` entries per call, so the hourly
 * snapshot costs O(entries since the last one) and never blocks admissions for a walk of the
 * whole history. Two O(1) checks run on every call whatever the chunk covered: the balance equals
 * the last entry's running balance, and the last seq is the journal's highest.
 */

export interface ReconciliationSnapshot {
  accountId: string;
  balanceMicros: number;
  /** The running sum of the journal through `verifiedThroughSeq` (equals the balance once verified to the end). */
  journalSumMicros: number;
  lastSeq: number;
  /** The chain is verified from seq 1 through this one (earlier calls through the checkpoint, this call the rest). */
  verifiedThroughSeq: number;
  /** Every entry with seq ≤ this has left the outbox for D1. */
  mirroredThroughSeq: number;
  /** The running balance after entry `mirroredThroughSeq` (0 if none). */
  balanceAtMirroredMicros: number;
  /** Each verified row's balance_after = previous + amount with no gap in seq, and the balance is the last row's. */
  chainOk: boolean;
}

/** Entries verified per call at most; the checkpoint carries the rest to the next call. */
export const VERIFY_CHUNK = 50_000;

/** Reads the snapshot, verifying the chain from the checkpoint on and moving the checkpoint forward. */
export function snapshot(sql: SqlStorage, chunk = VERIFY_CHUNK): ReconciliationSnapshot {
  const account = sql.exec<{ account_id: string; balance_micros: number; last_seq: number }>('SELECT account_id, balance_micros, last_seq FROM account').one();
  const pending = sql
    .exec<{ s: number | null }>(
      "SELECT MIN(COALESCE(json_extract(payload, '$.seq'), json_extract(payload, '$.entry.seq'))) AS s FROM outbox WHERE kind IN ('journal', 'settled')",
    )
    .one().s;
  const mirroredThroughSeq = pending === null ? account.last_seq : pending - 1;
  const checkpoint = sql.exec<{ through_seq: number; balance_micros: number }>('SELECT through_seq, balance_micros FROM journal_checkpoint').toArray()[0] ?? {
    through_seq: 0,
    balance_micros: 0,
  };

  let sum = checkpoint.balance_micros;
  let verifiedThrough = checkpoint.through_seq;
  let chainOk = true;
  for (const entry of sql.exec<{ seq: number; amount_micros: number; balance_after_micros: number }>(
    'SELECT seq, amount_micros, balance_after_micros FROM journal WHERE seq > ? ORDER BY seq LIMIT ?',
    checkpoint.through_seq,
    chunk,
  )) {
    if (entry.seq !== verifiedThrough + 1 || entry.balance_after_micros !== sum + entry.amount_micros) {
      chainOk = false;
      break;
    }
    sum += entry.amount_micros;
    verifiedThrough = entry.seq;
  }
  const balanceAfter = (seq: number): number | null =>
    seq === 0 ? 0 : (sql.exec<{ b: number }>('SELECT balance_after_micros AS b FROM journal WHERE seq = ?', seq).toArray()[0]?.b ?? null);
  const highest = sql.exec<{ s: number | null }>('SELECT MAX(seq) AS s FROM journal').one().s ?? 0;
  if (highest !== account.last_seq || balanceAfter(account.last_seq) !== account.balance_micros) chainOk = false;
  if (verifiedThrough === account.last_seq && sum !== account.balance_micros) chainOk = false;
  if (chainOk && verifiedThrough > checkpoint.through_seq) {
    sql.exec(
      'INSERT INTO journal_checkpoint (singleton, through_seq, balance_micros) VALUES (1, ?, ?) ' +
        'ON CONFLICT (singleton) DO UPDATE SET through_seq = excluded.through_seq, balance_micros = excluded.balance_micros',
      verifiedThrough,
      sum,
    );
  }
  return {
    accountId: account.account_id,
    balanceMicros: account.balance_micros,
    journalSumMicros: sum,
    lastSeq: account.last_seq,
    verifiedThroughSeq: verifiedThrough,
    mirroredThroughSeq,
    balanceAtMirroredMicros: balanceAfter(mirroredThroughSeq) ?? 0,
    chainOk,
  };
}
