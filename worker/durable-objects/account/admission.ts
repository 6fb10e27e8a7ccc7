/**
 * @module account/admission
 * `admit` runs inside one synchronous SQLite transaction (no await): every check and the
 * reservation it makes see the same state, so concurrent requests cannot jointly overspend.
 *
 * Order: account → key (exists, inference kind, active, not expired, scope) → concurrency →
 * requests per minute → money (balance − reserved, key lifetime and period spend, each net of
 * the key's own open reservations) with `max_tokens` clamped to what the tightest allows →
 * tokens per minute (prompt estimate + max_tokens). Then the reservation is written.
 */
import { affordableOutputTokens, costMicros } from '../../lib/money';
import { readKey } from './keys';
import type { AccountRow } from './ledger';
import type { OpenReservations } from './open-reservations';
import { periodStart } from './period';
import { WINDOW_MS, fits, limitState, retryAfterMs, type WindowCells } from './rate-window';
import type { AdmitRequest, AdmitResult, KeyRecord, RateHeadersState } from './types';

/** Output tokens below which a clamped request is not worth sending (unless asked for fewer). */
export const MIN_USEFUL_OUTPUT_TOKENS = 16;

type Deny = Extract<AdmitResult, { ok: false }>;

type Cells = WindowCells & { start: number };

/** Reads the two cells of the request window and of one token window in one query. */
export function readCells(sql: SqlStorage, keyId: string, scopes: [string, string], now: number): [Cells, Cells] {
  const start = now - (now % WINDOW_MS);
  const cells: [Cells, Cells] = [
    { previous: 0, current: 0, elapsed: now - start, start },
    { previous: 0, current: 0, elapsed: now - start, start },
  ];
  for (const row of sql.exec<{ scope: string; window_start: number; used: number }>(
    'SELECT scope, window_start, used FROM rate_cells WHERE key_id = ? AND scope IN (?, ?) AND window_start >= ?',
    keyId, scopes[0], scopes[1], start - WINDOW_MS,
  )) {
    const cell = cells[row.scope === scopes[0] ? 0 : 1];
    if (row.window_start === start) cell.current = row.used;
    else cell.previous = row.used;
  }
  return cells;
}

/** Counts one request and its reserved tokens in the current cells (one statement). */
function bump(sql: SqlStorage, keyId: string, tokenScope: string, start: number, tokens: number): void {
  sql.exec(
    `INSERT INTO rate_cells (key_id, scope, window_start, used) VALUES (?1, 'rpm', ?3, 1), (?1, ?2, ?3, ?4)
     ON CONFLICT (key_id, scope, window_start) DO UPDATE SET used = used + excluded.used`,
    keyId, tokenScope, start, tokens,
  );
}

function keyDenial(key: KeyRecord | null, req: AdmitRequest, now: number): Deny | null {
  if (!key || key.kind !== 'inference') return { ok: false, reason: 'invalid_api_key', message: 'Incorrect API key provided.' };
  if (key.status !== 'active') return { ok: false, reason: 'key_revoked', message: 'This API key has been revoked.' };
  if (key.expiresAt !== null && key.expiresAt <= now) return { ok: false, reason: 'key_expired', message: 'This API key has expired.' };
  if (key.allowedServices && !key.allowedServices.includes(req.service.name)) {
    return { ok: false, reason: 'model_not_allowed', message: `This API key may not use the model '${req.service.name}'.` };
  }
  return null;
}

/** Admits or denies one request and, when admitted, reserves its worst case for `ttlMs` (the request's lifetime plus a settle grace). */
export function admit(sql: SqlStorage, req: AdmitRequest, now: number, ttlMs: number, open: OpenReservations, row?: AccountRow | null): AdmitResult {
  const account = row !== undefined ? row : sql.exec<AccountRow>('SELECT status, balance_micros, last_seq FROM account').toArray()[0];
  if (!account) return { ok: false, reason: 'invalid_api_key', message: 'Incorrect API key provided.' };
  if (account.status !== 'active') return { ok: false, reason: 'account_suspended', message: 'This account is suspended.' };

  const key = readKey(sql, req.keyId);
  const denied = keyDenial(key, req, now);
  if (denied || !key) return denied as Deny;

  const { service } = req;
  const rpm = key.requestsPerMinute ?? service.defaults.requestsPerMinute;
  const tpm = key.tokensPerMinute?.[service.name] ?? key.tokensPerMinute?.['*'] ?? service.defaults.tokensPerMinute;
  const maxConcurrent = key.maxConcurrent ?? service.defaults.maxConcurrent;

  const keyReserved = open.forKey(key.id);
  if (maxConcurrent !== null) {
    if (keyReserved.count >= maxConcurrent) {
      return { ok: false, reason: 'concurrency_limit', message: `This key allows ${maxConcurrent} concurrent requests.`, retryAfterMs: 1000 };
    }
  }

  const tokenScope = `tpm:${service.id}`;
  const [requestCells, tokenCells] = readCells(sql, key.id, ['rpm', tokenScope], now);
  const limitsNow = (): RateHeadersState => ({
    requests: rpm === null ? null : limitState(requestCells, rpm),
    tokens: tpm === null ? null : limitState(tokenCells, tpm),
  });
  if (rpm !== null && !fits(requestCells, 1, rpm)) {
    return {
      ok: false, reason: 'rate_limit_requests', limits: limitsNow(),
      message: `Rate limit reached: ${rpm} requests per minute for this key.`,
      retryAfterMs: retryAfterMs(requestCells, 1, rpm) ?? WINDOW_MS,
    };
  }

  // Money: the tightest of balance, lifetime spend and period spend, each net of open reservations.
  const available = account.balance_micros - open.total;
  let budget = available;
  let binding: 'insufficient_credit' | 'spend_limit_exceeded' = 'insufficient_credit';
  if (key.spendLimitMicros !== null && key.spendLimitMicros - key.spentMicros - keyReserved.micros < budget) {
    budget = key.spendLimitMicros - key.spentMicros - keyReserved.micros;
    binding = 'spend_limit_exceeded';
  }
  if (key.periodSpendLimitMicros !== null) {
    const spentThisPeriod = key.periodStart === periodStart(key.period ?? 'month', now) ? key.periodSpentMicros : 0;
    if (key.periodSpendLimitMicros - spentThisPeriod - keyReserved.micros < budget) {
      budget = key.periodSpendLimitMicros - spentThisPeriod - keyReserved.micros;
      binding = 'spend_limit_exceeded';
    }
  }
  const moneyDenial = (): Deny => ({
    ok: false, reason: binding,
    message: binding === 'insufficient_credit'
      ? 'Your credit balance is too low for this request. Top up to continue.'
      : "This request would exceed the key's spend limit.",
  });

  let maxTokens = 0;
  if (service.endpoint !== 'embeddings') {
    const ceiling = Math.min(req.requestedMaxTokens ?? service.maxOutputTokens, service.maxOutputTokens);
    const affordable = affordableOutputTokens(service.price, budget, req.promptTokensUpper);
    maxTokens = Math.min(ceiling, affordable);
    if (maxTokens < Math.min(ceiling, MIN_USEFUL_OUTPUT_TOKENS) || maxTokens < 1) return moneyDenial();
  }
  const reservedMicros = costMicros(service.price, { inputTokens: req.promptTokensUpper, outputTokens: maxTokens });
  if (reservedMicros > budget) return moneyDenial();

  const reservedTokens = req.promptTokensEstimate + maxTokens;
  if (tpm !== null && !fits(tokenCells, reservedTokens, tpm)) {
    const wait = retryAfterMs(tokenCells, reservedTokens, tpm);
    return {
      ok: false, reason: 'rate_limit_tokens', limits: limitsNow(), ...(wait === null ? {} : { retryAfterMs: wait }),
      message: wait === null
        ? `Request too large: it may use ${reservedTokens} tokens and this key allows ${tpm} tokens per minute. Lower max_tokens or the prompt.`
        : `Rate limit reached: ${tpm} tokens per minute for this key.`,
    };
  }

  sql.exec(
    `INSERT INTO reservations (id, key_id, service_id, model, endpoint, price_version, input_micros_per_1m, output_micros_per_1m,
       request_micros, reserved_micros, reserved_tokens, tokens_window_start, prompt_tokens_estimate, created_at, expires_at, key_period,
       max_output_tokens, prompt_tokens_upper)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    req.requestId, key.id, service.id, service.name, service.endpoint, service.priceVersion, service.price.inputMicrosPer1M,
    service.price.outputMicrosPer1M, service.price.requestMicros, reservedMicros, reservedTokens, tokenCells.start,
    req.promptTokensEstimate, now, now + ttlMs, key.period ?? 'month', maxTokens, req.promptTokensUpper,
  );
  open.add(key.id, reservedMicros);
  // Both windows' cells share the current window start (they are read against the same clock).
  bump(sql, key.id, tokenScope, requestCells.start, reservedTokens);
  requestCells.current += 1;
  tokenCells.current += reservedTokens;

  return {
    ok: true, reservationId: req.requestId, maxTokens, reservedMicros,
    balanceMicros: account.balance_micros, limits: limitsNow(),
  };
}
