/**
 * @module account/settlement
 * `settle` closes a reservation exactly once: the journal gets the debit, the key's spend and
 * token window get the true figures, and a usage event goes to the outbox — all in one
 * synchronous transaction. A second settle of the same reservation returns the first result.
 *
 * Invariants (docs/architecture.md, "Money invariants"):
 * - A charge never exceeds the reservation: reported tokens are clamped to the granted output
 *   and the prompt's upper bound, and the cost to `reserved_micros`. An origin that reports more
 *   than was granted leaves a review item for the operator, never a negative balance.
 * - Settlement cannot be made to throw by what the origin or client sent: a settle the worker
 *   could not count (`chargeReserved`, or counts that are not non-negative safe integers) is
 *   charged the reserved upper bound.
 * - Hold until settle: a reservation the worker never settled is charged its full reserved
 *   amount by the alarm (not released), so money held for a request that might still be running
 *   cannot be spent twice. When the real settle arrives later, the difference is refunded as a
 *   correction, which also reaches the D1 usage event, so the final charge is exact.
 */
import { costMicros, type Price } from '../../lib/money';
import { type AccountRow, post } from './ledger';
import type { OpenReservations } from './open-reservations';
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
  reserved_micros: number;
  reserved_tokens: number;
  tokens_window_start: number;
  prompt_tokens_estimate: number;
  created_at: number;
  key_period: string | null;
  max_output_tokens: number | null;
  prompt_tokens_upper: number | null;
}

interface SettlementRow extends Record<string, SqlStorageValue> {
  cost_micros: number;
  price_version: number;
  status: string;
}

/** What admission granted: the ceilings a settle is clamped to (null on reservations older than the clamp). */
interface Grant {
  price: Price;
  reservedMicros: number | null;
  maxOutputTokens: number | null;
  promptTokensUpper: number | null;
}

interface Billed {
  inputTokens: number;
  outputTokens: number;
  costMicros: number;
  /** The origin reported more than was granted; the excess was not charged. */
  overrun: boolean;
}

const ORIGIN_FAILURES: UsageStatus[] = ['origin_error', 'origin_timeout'];

/**
 * Cost of a settled request: nothing when the origin failed before any output, or when a request
 * that did not end normally (client gone, lifetime cap) produced nothing at all. A client that left
 * after the origin did the work (an embedding, a non-streamed answer) pays for it.
 */
export function chargeFor(price: Price, req: Pick<SettleRequest, 'inputTokens' | 'outputTokens' | 'status'>): number {
  if (ORIGIN_FAILURES.includes(req.status) && req.outputTokens === 0) return 0;
  if (req.status !== 'ok' && req.inputTokens === 0 && req.outputTokens === 0) return 0;
  return costMicros(price, req);
}

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
const UNBOUNDED = Number.MAX_SAFE_INTEGER;

/** What a settle is charged: the reported usage clamped to the grant, or the grant itself when it could not be counted. */
export function billable(grant: Grant, req: Pick<SettleRequest, 'inputTokens' | 'outputTokens' | 'status' | 'chargeReserved'>): Billed {
  const maxOut = grant.maxOutputTokens ?? UNBOUNDED;
  const maxIn = grant.promptTokensUpper ?? UNBOUNDED;
  const cap = grant.reservedMicros ?? UNBOUNDED;
  if (req.chargeReserved || !isCount(req.inputTokens) || !isCount(req.outputTokens)) {
    const inputTokens = grant.promptTokensUpper ?? 0;
    const outputTokens = grant.maxOutputTokens ?? 0;
    return { inputTokens, outputTokens, costMicros: grant.reservedMicros ?? costMicros(grant.price, { inputTokens, outputTokens }), overrun: false };
  }
  const inputTokens = Math.min(req.inputTokens, maxIn);
  const outputTokens = Math.min(req.outputTokens, maxOut);
  return {
    inputTokens, outputTokens,
    costMicros: Math.min(chargeFor(grant.price, { inputTokens, outputTokens, status: req.status }), cap),
    overrun: req.inputTokens > maxIn || req.outputTokens > maxOut,
  };
}

/** Queues a review item for the operator (the outbox writes it to D1's review_items once). */
function queueOverrunReview(sql: SqlStorage, accountId: string, res: { id: string; max_output_tokens: number | null; prompt_tokens_upper: number | null }, req: SettleRequest, billed: Billed): void {
  const message = `Request ${res.id}: the origin reported ${req.inputTokens} prompt and ${req.outputTokens} output tokens; ` +
    `${res.prompt_tokens_upper ?? 'unbounded'} and ${res.max_output_tokens ?? 'unbounded'} were granted. ` +
    `Charged ${billed.costMicros} µUSD for ${billed.inputTokens} + ${billed.outputTokens}; the excess was not billed. Check the origin's max_tokens handling.`;
  sql.exec("INSERT INTO outbox (kind, payload) VALUES ('review', ?)", JSON.stringify({ kind: 'usage_overrun', accountId, dedupeKey: `overrun:${res.id}`, message }));
}

function balance(sql: SqlStorage): number {
  return sql.exec<{ balance_micros: number }>('SELECT balance_micros FROM account').one().balance_micros;
}

/** Settles one reservation; a reservation the object does not know comes back `unknown`, charging nothing. */
export function settle(sql: SqlStorage, accountId: string, req: SettleRequest, now: number, open: OpenReservations, row?: AccountRow): SettleResult {
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
    return { costMicros: previous.cost_micros, balanceMicros: currentBalance(), priceVersion: previous.price_version, inputTokens: 0, outputTokens: 0, duplicate: true };
  }
  if (found.id === null) return { costMicros: 0, balanceMicros: currentBalance(), priceVersion: 0, inputTokens: 0, outputTokens: 0, duplicate: false, unknown: true };
  const res: ReservationRow = found;

  const price: Price = { inputMicrosPer1M: res.input_micros_per_1m, outputMicrosPer1M: res.output_micros_per_1m, requestMicros: res.request_micros };
  const billed = billable({ price, reservedMicros: res.reserved_micros, maxOutputTokens: res.max_output_tokens, promptTokensUpper: res.prompt_tokens_upper }, req);
  const cost = billed.costMicros;
  if (billed.overrun) queueOverrunReview(sql, accountId, res, req, billed);
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
  const delta = billed.inputTokens + billed.outputTokens - res.reserved_tokens;
  sql.exec(
    "UPDATE rate_cells SET used = MAX(0, used + ?) WHERE key_id = ? AND scope = ? AND window_start = ?",
    delta, res.key_id, `tpm:${res.service_id}`, res.tokens_window_start,
  );
  sql.exec('DELETE FROM reservations WHERE id = ?', res.id);
  open.remove(res.key_id, res.reserved_micros);
  sql.exec(
    'INSERT INTO settlements (reservation_id, journal_seq, cost_micros, price_version, status, estimated, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    res.id, entry?.seq ?? null, cost, res.price_version, req.status, req.estimated || req.chargeReserved ? 1 : 0, now,
  );
  const event: UsageEvent = {
    id: res.id, accountId, keyId: res.key_id, serviceId: res.service_id, model: req.model || res.model, endpoint: res.endpoint,
    inputTokens: billed.inputTokens, outputTokens: billed.outputTokens, costMicros: cost, priceVersion: res.price_version,
    latencyMs: req.latencyMs, ttftMs: req.ttftMs, status: req.status, estimated: req.estimated || !!req.chargeReserved, createdAt: res.created_at,
  };
  // One outbox row carries both the usage event and its journal entry to D1.
  sql.exec("INSERT INTO outbox (kind, payload) VALUES ('settled', ?)", JSON.stringify({ event, entry: entry && { accountId, ...entry } }));
  return {
    costMicros: cost, balanceMicros: entry?.balanceAfterMicros ?? currentBalance(), priceVersion: res.price_version,
    inputTokens: billed.inputTokens, outputTokens: billed.outputTokens, duplicate: false,
  };
}

/**
 * A late real settle for a reservation the alarm already expired (and charged in full): post the
 * difference, usually a refund, and send the corrected figures to the D1 usage event.
 */
function correctExpired(sql: SqlStorage, accountId: string, req: SettleRequest, previous: SettlementRow, now: number, row?: AccountRow): SettleResult {
  const held = sql
    .exec<{ input_micros_per_1m: number; output_micros_per_1m: number; request_micros: number; reserved_micros: number | null; max_output_tokens: number | null; prompt_tokens_upper: number | null; key_id: string | null }>(
      'SELECT * FROM expired_prices WHERE reservation_id = ?', req.reservationId,
    ).toArray()[0];
  const balanceNow = () => row?.balance_micros ?? balance(sql);
  if (!held) return { costMicros: previous.cost_micros, balanceMicros: balanceNow(), priceVersion: previous.price_version, inputTokens: 0, outputTokens: 0, duplicate: true };
  const price: Price = { inputMicrosPer1M: held.input_micros_per_1m, outputMicrosPer1M: held.output_micros_per_1m, requestMicros: held.request_micros };
  const billed = billable({ price, reservedMicros: held.reserved_micros, maxOutputTokens: held.max_output_tokens, promptTokensUpper: held.prompt_tokens_upper }, req);
  if (billed.overrun) queueOverrunReview(sql, accountId, { id: req.reservationId, max_output_tokens: held.max_output_tokens, prompt_tokens_upper: held.prompt_tokens_upper }, req, billed);
  const keyId = held.key_id ?? sql.exec<{ key_id: string | null }>('SELECT key_id FROM journal WHERE ref = ? LIMIT 1', req.reservationId).toArray()[0]?.key_id ?? null;
  const delta = billed.costMicros - previous.cost_micros;
  if (delta !== 0) {
    if (keyId) sql.exec('UPDATE keys SET spent_micros = spent_micros + ?1, period_spent_micros = period_spent_micros + ?1 WHERE id = ?2', delta, keyId);
    post(sql, accountId, {
      idempotencyKey: `usage-correction:${req.reservationId}`, kind: 'usage', counterAccount: 'sys:revenue', amountMicros: -delta, ref: req.reservationId,
      keyId, reason: 'late settlement of an expired reservation', now,
    }, { row });
  }
  const estimated = req.estimated || !!req.chargeReserved;
  sql.exec('UPDATE settlements SET cost_micros = ?, status = ?, estimated = ? WHERE reservation_id = ?', billed.costMicros, req.status, estimated ? 1 : 0, req.reservationId);
  sql.exec('DELETE FROM expired_prices WHERE reservation_id = ?', req.reservationId);
  // The usage event was written at expiry with the reserved figures; send it the real ones.
  sql.exec("INSERT INTO outbox (kind, payload) VALUES ('usage_correction', ?)", JSON.stringify({
    id: req.reservationId, inputTokens: billed.inputTokens, outputTokens: billed.outputTokens, costMicros: billed.costMicros,
    status: req.status, estimated, latencyMs: req.latencyMs, ttftMs: req.ttftMs,
  }));
  return { costMicros: billed.costMicros, balanceMicros: balanceNow(), priceVersion: previous.price_version, inputTokens: billed.inputTokens, outputTokens: billed.outputTokens, duplicate: false };
}

/**
 * Expires every reservation past its hold (alarm). The worker ends every request at its lifetime
 * cap and the hold lasts longer, so a reservation that expires belongs to a request whose settle
 * was lost: it is charged its full reserved amount (hold until settle), marked estimated, and a
 * late settle refunds the difference.
 */
export function expireReservations(sql: SqlStorage, accountId: string, now: number, open: OpenReservations, row?: AccountRow): number {
  const due = sql.exec<ReservationRow>('SELECT * FROM reservations WHERE expires_at <= ?', now).toArray();
  for (const res of due) {
    sql.exec(
      `INSERT INTO expired_prices (reservation_id, input_micros_per_1m, output_micros_per_1m, request_micros, created_at,
         reserved_micros, max_output_tokens, prompt_tokens_upper, key_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      res.id, res.input_micros_per_1m, res.output_micros_per_1m, res.request_micros, now,
      res.reserved_micros, res.max_output_tokens, res.prompt_tokens_upper, res.key_id,
    );
    settle(sql, accountId, {
      reservationId: res.id, inputTokens: res.prompt_tokens_upper ?? res.prompt_tokens_estimate, outputTokens: res.max_output_tokens ?? 0,
      estimated: true, chargeReserved: true, status: 'expired', model: '', latencyMs: now - res.created_at, ttftMs: null,
    }, now, open, row);
  }
  return due.length;
}
