/**
 * @module account/settlement
 * `settle` closes a reservation exactly once: the journal gets the debit, the key's spend and
 * token window get the true figures, and a usage event goes to the outbox — all in one
 * synchronous transaction. A second settle of the same reservation returns the first result.
 *
 * A reservation the alarm expired (the worker never settled it) is charged the prompt
 * estimate only; if the real settle arrives later, the difference is posted as a correction,
 * so the final charge is still exact.
 */
import { costMicros, type Price } from '../../lib/money';
import { type AccountRow, post } from './ledger';
import { periodStart } from './period';
import type { JournalEntry, SettleRequest, SettleResult, UsageEvent, UsageStatus } from './types';

interface ReservationRow extends Record<string, SqlStorageValue> {
  id: string;
  key_id: string;
  service_id: string;
  model: string;
  endpoint: string;
  price_version: number;
  input_micros_per_1m: number;
  output_micros_per_1m: number;
  request_micros: number;
  reserved_tokens: number;
  tokens_window_start: number;
  prompt_tokens_estimate: number;
  created_at: number;
  key_period: string | null;
}

interface SettlementRow extends Record<string, SqlStorageValue> {
  cost_micros: number;
  price_version: number;
  status: string;
}

const FAILURES: UsageStatus[] = ['origin_error', 'origin_timeout', 'client_closed'];

/** Cost of a settled request: nothing when the origin failed, or the client left, before any output. */
export function chargeFor(price: Price, req: Pick<SettleRequest, 'inputTokens' | 'outputTokens' | 'status'>): number {
  if (FAILURES.includes(req.status) && req.outputTokens === 0) return 0;
  return costMicros(price, req);
}

function balance(sql: SqlStorage): number {
  return sql.exec<{ balance_micros: number }>('SELECT balance_micros FROM account').one().balance_micros;
}

/** Settles one reservation. Throws if the reservation was never made. */
export function settle(sql: SqlStorage, accountId: string, req: SettleRequest, now: number, row?: AccountRow): SettleResult {
  const currentBalance = () => row?.balance_micros ?? balance(sql);
  // The reservation and any earlier settlement of it, in one read.
  const found = sql.exec<ReservationRow & { settled_cost: number | null; settled_version: number | null; settled_status: string | null }>(
    `SELECT r.*, s.cost_micros AS settled_cost, s.price_version AS settled_version, s.status AS settled_status
     FROM (SELECT ?1 AS wanted) q LEFT JOIN reservations r ON r.id = q.wanted LEFT JOIN settlements s ON s.reservation_id = q.wanted`,
    req.reservationId,
  ).one();
  if (found.settled_status !== null) {
    const previous: SettlementRow = { cost_micros: found.settled_cost as number, price_version: found.settled_version as number, status: found.settled_status };
    if (previous.status === 'expired' && req.status !== 'expired') return correctExpired(sql, accountId, req, previous, now, row);
    return { costMicros: previous.cost_micros, balanceMicros: currentBalance(), priceVersion: previous.price_version, duplicate: true };
  }
  if (found.id === null) throw new Error(`unknown reservation ${req.reservationId}`);
  const res: ReservationRow = found;

  const price: Price = { inputMicrosPer1M: res.input_micros_per_1m, outputMicrosPer1M: res.output_micros_per_1m, requestMicros: res.request_micros };
  const cost = chargeFor(price, req);
  let entry: JournalEntry | null = null;
  if (cost > 0) {
    entry = post(sql, accountId, {
      idempotencyKey: `usage:${res.id}`, kind: 'usage', counterAccount: 'sys:revenue', amountMicros: -cost, ref: res.id, keyId: res.key_id, reason: null, now,
    }, { knownNew: true, outbox: false, row }).entry;
  }
  // The key's spend (in its current period) and when it was last used, in one statement.
  const period = res.key_period ?? sql.exec<{ period: string | null }>('SELECT period FROM keys WHERE id = ?', res.key_id).toArray()[0]?.period ?? 'month';
  const currentPeriod = periodStart(period as 'day' | 'month', now);
  sql.exec(
    `UPDATE keys SET spent_micros = spent_micros + ?1,
       period_spent_micros = CASE WHEN period_start IS ?2 THEN period_spent_micros + ?1 ELSE ?1 END,
       period_start = ?2, last_used_at = ?4 WHERE id = ?3`,
    cost, currentPeriod, res.key_id, now,
  );
  // Correct the tokens-per-minute window from the reserved figure to the real one.
  const delta = req.inputTokens + req.outputTokens - res.reserved_tokens;
  sql.exec(
    "UPDATE rate_cells SET used = MAX(0, used + ?) WHERE key_id = ? AND scope = ? AND window_start = ?",
    delta, res.key_id, `tpm:${res.service_id}`, res.tokens_window_start,
  );
  sql.exec('DELETE FROM reservations WHERE id = ?', res.id);
  sql.exec(
    'INSERT INTO settlements (reservation_id, journal_seq, cost_micros, price_version, status, estimated, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    res.id, entry?.seq ?? null, cost, res.price_version, req.status, req.estimated ? 1 : 0, now,
  );
  const event: UsageEvent = {
    id: res.id, accountId, keyId: res.key_id, serviceId: res.service_id, model: req.model || res.model, endpoint: res.endpoint,
    inputTokens: req.inputTokens, outputTokens: req.outputTokens, costMicros: cost, priceVersion: res.price_version,
    latencyMs: req.latencyMs, ttftMs: req.ttftMs, status: req.status, estimated: req.estimated, createdAt: res.created_at,
  };
  // One outbox row carries both the usage event and its journal entry to D1.
  sql.exec("INSERT INTO outbox (kind, payload) VALUES ('settled', ?)", JSON.stringify({ event, entry: entry && { accountId, ...entry } }));
  return { costMicros: cost, balanceMicros: entry?.balanceAfterMicros ?? currentBalance(), priceVersion: res.price_version, duplicate: false };
}

/** A late real settle for a reservation the alarm already expired: post the difference. */
function correctExpired(sql: SqlStorage, accountId: string, req: SettleRequest, previous: SettlementRow, now: number, row?: AccountRow): SettleResult {
  const journal = sql.exec<{ key_id: string | null }>('SELECT key_id FROM journal WHERE ref = ? LIMIT 1', req.reservationId).toArray()[0];
  const priceRow = sql
    .exec<{ input_micros_per_1m: number; output_micros_per_1m: number; request_micros: number }>(
      'SELECT input_micros_per_1m, output_micros_per_1m, request_micros FROM expired_prices WHERE reservation_id = ?', req.reservationId,
    ).toArray()[0];
  if (!priceRow) return { costMicros: previous.cost_micros, balanceMicros: row?.balance_micros ?? balance(sql), priceVersion: previous.price_version, duplicate: true };
  const cost = chargeFor(
    { inputMicrosPer1M: priceRow.input_micros_per_1m, outputMicrosPer1M: priceRow.output_micros_per_1m, requestMicros: priceRow.request_micros },
    req,
  );
  const delta = cost - previous.cost_micros;
  if (delta !== 0) {
    if (journal?.key_id) sql.exec('UPDATE keys SET spent_micros = spent_micros + ?1, period_spent_micros = period_spent_micros + ?1 WHERE id = ?2', delta, journal.key_id);
    post(sql, accountId, {
      idempotencyKey: `usage-correction:${req.reservationId}`, kind: 'usage', counterAccount: 'sys:revenue', amountMicros: -delta, ref: req.reservationId,
      keyId: journal?.key_id ?? null, reason: 'late settlement of an expired reservation', now,
    }, { row });
  }
  sql.exec("UPDATE settlements SET cost_micros = ?, status = ?, estimated = ? WHERE reservation_id = ?", cost, req.status, req.estimated ? 1 : 0, req.reservationId);
  sql.exec('DELETE FROM expired_prices WHERE reservation_id = ?', req.reservationId);
  return { costMicros: cost, balanceMicros: row?.balance_micros ?? balance(sql), priceVersion: previous.price_version, duplicate: false };
}

/** Expires every reservation past its deadline (alarm): charged the prompt estimate, marked estimated. */
export function expireReservations(sql: SqlStorage, accountId: string, now: number, row?: AccountRow): number {
  const due = sql.exec<ReservationRow>('SELECT * FROM reservations WHERE expires_at <= ?', now).toArray();
  for (const res of due) {
    sql.exec(
      'INSERT INTO expired_prices (reservation_id, input_micros_per_1m, output_micros_per_1m, request_micros, created_at) VALUES (?, ?, ?, ?, ?)',
      res.id, res.input_micros_per_1m, res.output_micros_per_1m, res.request_micros, now,
    );
    settle(sql, accountId, {
      reservationId: res.id, inputTokens: res.prompt_tokens_estimate, outputTokens: 0, estimated: true,
      status: 'expired', model: '', latencyMs: now - res.created_at, ttftMs: null,
    }, now, row);
  }
  return due.length;
}
