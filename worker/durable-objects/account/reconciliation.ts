/**
 * @module account/reconciliation
 * What the scheduled reconciliation compares with D1: the journal's own sum and running-balance
 * chain, and the sequence number up to which D1 must already hold every entry (everything
 * before the oldest journal entry still waiting in the outbox).
 */

export interface ReconciliationSnapshot {
  accountId: string;
  balanceMicros: number;
  journalSumMicros: number;
  lastSeq: number;
  /** Every entry with seq ≤ this has left the outbox for D1. */
  mirroredThroughSeq: number;
  /** The running balance after entry `mirroredThroughSeq` (0 if none). */
  balanceAtMirroredMicros: number;
  /** Each row's balance_after = previous + amount, and seqs run 1..lastSeq with no gap. */
  chainOk: boolean;
}

/** Reads the snapshot (one pass over the journal). */
export function snapshot(sql: SqlStorage): ReconciliationSnapshot {
  const account = sql.exec<{ account_id: string; balance_micros: number; last_seq: number }>('SELECT account_id, balance_micros, last_seq FROM account').one();
  const pending = sql.exec<{ s: number | null }>(
    "SELECT MIN(COALESCE(json_extract(payload, '$.seq'), json_extract(payload, '$.entry.seq'))) AS s FROM outbox WHERE kind IN ('journal', 'settled')",
  ).one().s;
  const mirroredThroughSeq = pending === null ? account.last_seq : pending - 1;
  let sum = 0;
  let expectedSeq = 1;
  let chainOk = true;
  let balanceAtMirrored = 0;
  for (const entry of sql.exec<{ seq: number; amount_micros: number; balance_after_micros: number }>('SELECT seq, amount_micros, balance_after_micros FROM journal ORDER BY seq')) {
    sum += entry.amount_micros;
    if (entry.seq !== expectedSeq || entry.balance_after_micros !== sum) chainOk = false;
    if (entry.seq === mirroredThroughSeq) balanceAtMirrored = entry.balance_after_micros;
    expectedSeq += 1;
  }
  if (expectedSeq - 1 !== account.last_seq || sum !== account.balance_micros) chainOk = false;
  return {
    accountId: account.account_id, balanceMicros: account.balance_micros, journalSumMicros: sum, lastSeq: account.last_seq,
    mirroredThroughSeq, balanceAtMirroredMicros: balanceAtMirrored, chainOk,
  };
}
