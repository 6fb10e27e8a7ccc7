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
import { type Billed, billable } from '../../lib/billable';
import type { Price } from '../../lib/money';
import { type BudgetBook, validGrantBudgets } from './budgets';
import type { Holds } from './holds';
import { type AccountRow, post } from './ledger';
import { periodStart } from './period';
import type { RateCells } from './rate-window';
import type { KeyCache } from './keys';
import type { KeySpendWatch } from './spend-watch';
import type { Grant, JournalEntry, SettleRequest, SettleResult, UsageEvent } from './types';

interface SettlementRow extends Record<string, SqlStorageValue> {
  cost_micros: number;
  price_version: number;
  status: string;
}

/** Queues a review item for the operator (the outbox writes it to D1's review_items once). */
function queueOverrunReview(
  sql: SqlStorage,
  accountId: string,
  res: { id: string; max_output_tokens: number | null; prompt_tokens_upper: number | null },
  req: SettleRequest,
  billed: Billed,
): void {
  const message =
    `Request ${res.id}: the origin reported ${req.inputTokens} prompt and ${req.outputTokens} output tokens; ` +
    `${res.prompt_tokens_upper ?? 'unbounded'} and ${res.max_output_tokens ?? 'unbounded'} were granted. ` +
    `Charged ${billed.costMicros} µUSD for ${billed.inputTokens} + ${billed.outputTokens}; the excess was not billed. Check the origin's max_tokens handling.`;
  sql.exec(
    "INSERT INTO outbox (kind, payload) VALUES ('review', ?)",
    JSON.stringify({ kind: 'usage_overrun', accountId, dedupeKey: `overrun:${res.id}`, message }),
  );
}

/** The object's state a settlement changes, and the undo log for a transaction that rolls back. */
export interface Books {
  sql: SqlStorage;
  accountId: string;
  /** The transaction's working copy of the account row. */
  row: AccountRow;
  holds: Holds;
  rates: RateCells;
  keys: KeyCache;
  budgets: BudgetBook;
  /** Each key's 5-minute spend against its baseline (spend anomalies). */
  watch: KeySpendWatch;
  /** Memory changes to revert, newest last, if the transaction throws. */
  undo: Array<() => void>;
}

const ceilings = (g: Grant) => ({
  price: g.price,
  reservedMicros: g.reservedMicros,
  maxOutputTokens: g.maxOutputTokens,
  promptTokensUpper: g.promptTokensUpper,
});

/** A grant sent back by the worker, checked before anything is charged from it. */
function validGrant(grant: Grant | undefined, requestId: string): grant is Grant {
  const n = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  return (
    !!grant &&
    grant.requestId === requestId &&
    typeof grant.keyId === 'string' &&
    (grant.projectId == null || typeof grant.projectId === 'string') &&
    n(grant.reservedMicros) &&
    n(grant.maxOutputTokens) &&
    n(grant.promptTokensUpper) &&
    n(grant.reservedTokens) &&
    n(grant.createdAt) &&
    typeof grant.holds === 'object' &&
    grant.holds !== null &&
    Object.values(grant.holds).every(n) &&
    !!grant.price &&
    n(grant.price.inputMicrosPer1M) &&
    n(grant.price.outputMicrosPer1M) &&
    n(grant.price.requestMicros) &&
    validGrantBudgets(grant.budgets)
  );
}

/** What the journal charged a request (its usage entry and any late correction), or null if nothing. */
function chargedBefore(sql: SqlStorage, requestId: string): number | null {
  const row = sql
    .exec<{ n: number; charged: number | null }>(
      'SELECT COUNT(*) AS n, -SUM(amount_micros) AS charged FROM journal WHERE idempotency_key IN (?, ?)',
      `usage:${requestId}`,
      `usage-correction:${requestId}`,
    )
    .one();
  return row.n > 0 ? (row.charged ?? 0) : null;
}

/**
 * Settles one request, inside the group commit's transaction. The grant comes from memory, or —
 * when this life of the object does not know it (evicted, restarted) — from the settle itself,
 * charged against the pools the marks kept back. The request id makes it exactly once either way.
 */
export function settleOne(books: Books, req: SettleRequest, now: number): SettleResult {
  const { sql, holds } = books;
  let grant = holds.take(req.reservationId);
  if (grant) {
    const taken = grant;
    books.undo.push(() => holds.restore(taken));
  } else {
    const previous = sql
      .exec<SettlementRow>('SELECT cost_micros, price_version, status FROM settlements WHERE reservation_id = ?', req.reservationId)
      .toArray()[0];
    if (previous) {
      if (previous.status === 'expired' && req.status !== 'expired') return correctExpired(books, req, previous, now);
      return {
        costMicros: previous.cost_micros,
        balanceMicros: books.row.balance_micros,
        priceVersion: previous.price_version,
        inputTokens: 0,
        outputTokens: 0,
        duplicate: true,
      };
    }
    // Its settlement record is pruned after a day, the journal never: a settle replayed later (from
    // pending_settlements) is a duplicate of the charge already posted, not a new one.
    const charged = chargedBefore(sql, req.reservationId);
    if (charged !== null) {
      const priceVersion = Number.isSafeInteger(req.grant?.priceVersion) ? Number(req.grant?.priceVersion) : 0;
      return { costMicros: charged, balanceMicros: books.row.balance_micros, priceVersion, inputTokens: 0, outputTokens: 0, duplicate: true };
    }
    // Charged only from a well-formed grant for this request, on a key of this account.
    if (!validGrant(req.grant, req.reservationId) || !books.keys.get(sql, req.grant.keyId)) {
      return { costMicros: 0, balanceMicros: books.row.balance_micros, priceVersion: 0, inputTokens: 0, outputTokens: 0, duplicate: false, unknown: true };
    }
    grant = req.grant;
    const taken = holds.takeFromPools(grant, now);
    books.undo.push(() => holds.returnToPools(taken));
  }
  return charge(books, grant, req, now);
}

/** Counts a charge in its key's spend window; a window past the key's baseline is an anomaly, and may pause the key. */
function watchSpend(books: Books, keyId: string, cost: number, now: number): void {
  const key = books.keys.get(books.sql, keyId);
  if (!key) return;
  const { undo, pause } = books.watch.record(books.sql, books.accountId, key, cost, now);
  books.undo.push(undo);
  if (pause) books.undo.push(books.keys.pause(books.sql, keyId, now, pause));
}

/** Posts the charge of one grant: journal, key spend, token window, settlement record, usage event. */
function charge(books: Books, grant: Grant, req: SettleRequest, now: number): SettleResult {
  const { sql, accountId, row } = books;
  const billed = billable(ceilings(grant), req);
  const cost = billed.costMicros;
  if (billed.overrun)
    queueOverrunReview(
      sql,
      accountId,
      { id: grant.requestId, max_output_tokens: grant.maxOutputTokens, prompt_tokens_upper: grant.promptTokensUpper },
      req,
      billed,
    );
  let entry: JournalEntry | null = null;
  if (cost > 0) {
    entry = post(
      sql,
      accountId,
      {
        idempotencyKey: `usage:${grant.requestId}`,
        kind: 'usage',
        counterAccount: 'sys:revenue',
        amountMicros: -cost,
        ref: grant.requestId,
        keyId: grant.keyId,
        reason: null,
        now,
      },
      { knownNew: true, outbox: false, row, deferAccountWrite: true },
    ).entry;
  }
  books.undo.push(books.keys.charge(sql, grant.keyId, cost, periodStart(grant.keyPeriod, now), now));
  books.undo.push(books.budgets.charge(sql, accountId, grant, cost, now));
  if (cost > 0) watchSpend(books, grant.keyId, cost, now);
  // The tokens-per-minute window: from the reserved figure to the real one.
  const undoTokens = books.rates.correct(
    grant.keyId,
    `tpm:${grant.serviceId}`,
    grant.tokensWindowStart,
    billed.inputTokens + billed.outputTokens - grant.reservedTokens,
  );
  if (undoTokens) books.undo.push(undoTokens);
  sql.exec(
    'INSERT INTO settlements (reservation_id, journal_seq, cost_micros, price_version, status, estimated, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    grant.requestId,
    entry?.seq ?? null,
    cost,
    grant.priceVersion,
    req.status,
    req.estimated || req.chargeReserved ? 1 : 0,
    now,
  );
  const event: UsageEvent = {
    id: grant.requestId,
    accountId,
    keyId: grant.keyId,
    projectId: grant.projectId ?? books.keys.get(sql, grant.keyId)?.projectId ?? null,
    serviceId: grant.serviceId,
    model: req.model || grant.model,
    endpoint: grant.endpoint,
    inputTokens: billed.inputTokens,
    outputTokens: billed.outputTokens,
    costMicros: cost,
    priceVersion: grant.priceVersion,
    latencyMs: req.latencyMs,
    ttftMs: req.ttftMs,
    status: req.status,
    estimated: req.estimated || !!req.chargeReserved,
    createdAt: grant.createdAt,
    ...books.budgets.localDay(sql, grant.createdAt),
    memberId: grant.memberId ?? books.keys.get(sql, grant.keyId)?.createdBy ?? null,
    endUser: grant.endUser ?? null,
    tags: grant.tags ?? null,
  };
  // One outbox row carries both the usage event and its journal entry to D1.
  sql.exec("INSERT INTO outbox (kind, payload) VALUES ('settled', ?)", JSON.stringify({ event, entry: entry && { accountId, ...entry } }));
  return {
    costMicros: cost,
    balanceMicros: row.balance_micros,
    priceVersion: grant.priceVersion,
    inputTokens: billed.inputTokens,
    outputTokens: billed.outputTokens,
    duplicate: false,
  };
}

/**
 * A late real settle for a reservation the alarm already expired (and charged in full): post the
 * difference, usually a refund, and send the corrected figures to the D1 usage event.
 */
function correctExpired(books: Books, req: SettleRequest, previous: SettlementRow, now: number): SettleResult {
  const { sql, accountId, row } = books;
  const held = sql
    .exec<{
      input_micros_per_1m: number;
      output_micros_per_1m: number;
      request_micros: number;
      reserved_micros: number | null;
      max_output_tokens: number | null;
      prompt_tokens_upper: number | null;
      key_id: string | null;
      budgets: string | null;
    }>('SELECT * FROM expired_prices WHERE reservation_id = ?', req.reservationId)
    .toArray()[0];
  if (!held)
    return {
      costMicros: previous.cost_micros,
      balanceMicros: row.balance_micros,
      priceVersion: previous.price_version,
      inputTokens: 0,
      outputTokens: 0,
      duplicate: true,
    };
  const price: Price = { inputMicrosPer1M: held.input_micros_per_1m, outputMicrosPer1M: held.output_micros_per_1m, requestMicros: held.request_micros };
  const billed = billable(
    { price, reservedMicros: held.reserved_micros, maxOutputTokens: held.max_output_tokens, promptTokensUpper: held.prompt_tokens_upper },
    req,
  );
  if (billed.overrun)
    queueOverrunReview(
      sql,
      accountId,
      { id: req.reservationId, max_output_tokens: held.max_output_tokens, prompt_tokens_upper: held.prompt_tokens_upper },
      req,
      billed,
    );
  const keyId =
    held.key_id ?? sql.exec<{ key_id: string | null }>('SELECT key_id FROM journal WHERE ref = ? LIMIT 1', req.reservationId).toArray()[0]?.key_id ?? null;
  const delta = billed.costMicros - previous.cost_micros;
  if (delta !== 0) {
    if (keyId) {
      // Written straight to the row: the cache entry is dropped and read again.
      books.keys.persist(sql);
      sql.exec('UPDATE keys SET spent_micros = spent_micros + ?1, period_spent_micros = period_spent_micros + ?1 WHERE id = ?2', delta, keyId);
      books.keys.forget(keyId);
    }
    post(
      sql,
      accountId,
      {
        idempotencyKey: `usage-correction:${req.reservationId}`,
        kind: 'usage',
        counterAccount: 'sys:revenue',
        amountMicros: -delta,
        ref: req.reservationId,
        keyId,
        reason: 'late settlement of an expired reservation',
        now,
      },
      { row, deferAccountWrite: true },
    );
    // The budget windows expiry charged in full get the same correction.
    const budgets = held.budgets ? (JSON.parse(held.budgets) as Grant['budgets']) : undefined;
    books.undo.push(books.budgets.charge(sql, accountId, { requestId: req.reservationId, budgets }, delta, now));
  }
  const estimated = req.estimated || !!req.chargeReserved;
  sql.exec(
    'UPDATE settlements SET cost_micros = ?, status = ?, estimated = ? WHERE reservation_id = ?',
    billed.costMicros,
    req.status,
    estimated ? 1 : 0,
    req.reservationId,
  );
  sql.exec('DELETE FROM expired_prices WHERE reservation_id = ?', req.reservationId);
  // The usage event was written at expiry with the reserved figures; send it the real ones.
  sql.exec(
    "INSERT INTO outbox (kind, payload) VALUES ('usage_correction', ?)",
    JSON.stringify({
      id: req.reservationId,
      inputTokens: billed.inputTokens,
      outputTokens: billed.outputTokens,
      costMicros: billed.costMicros,
      status: req.status,
      estimated,
      latencyMs: req.latencyMs,
      ttftMs: req.ttftMs,
    }),
  );
  return {
    costMicros: billed.costMicros,
    balanceMicros: row.balance_micros,
    priceVersion: previous.price_version,
    inputTokens: billed.inputTokens,
    outputTokens: billed.outputTokens,
    duplicate: false,
  };
}

/**
 * Expires every grant past its hold (alarm). The worker ends every request at its lifetime cap
 * and the hold lasts longer, so a grant that expires belongs to a request whose settle was lost:
 * it is charged its full reserved amount (hold until settle), marked estimated, and a late settle
 * refunds the difference.
 */
export function expireGrants(books: Books, now: number): number {
  const due = [...books.holds.open()].filter((g) => g.expiresAt <= now);
  for (const g of due) {
    books.sql.exec(
      `INSERT INTO expired_prices (reservation_id, input_micros_per_1m, output_micros_per_1m, request_micros, created_at,
         reserved_micros, max_output_tokens, prompt_tokens_upper, key_id, budgets) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      g.requestId,
      g.price.inputMicrosPer1M,
      g.price.outputMicrosPer1M,
      g.price.requestMicros,
      now,
      g.reservedMicros,
      g.maxOutputTokens,
      g.promptTokensUpper,
      g.keyId,
      g.budgets?.length ? JSON.stringify(g.budgets) : null,
    );
    settleOne(
      books,
      {
        reservationId: g.requestId,
        inputTokens: g.promptTokensUpper,
        outputTokens: g.maxOutputTokens,
        estimated: true,
        chargeReserved: true,
        status: 'expired',
        model: '',
        latencyMs: now - g.createdAt,
        ttftMs: null,
      },
      now,
    );
  }
  return due.length;
}
