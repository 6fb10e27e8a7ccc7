/**
 * @module account/admission
 * `admit` decides one request in the object's memory, with no storage write and no await: every
 * check and the grant it makes see the same state, so concurrent requests cannot jointly overspend.
 *
 * Order: account → key (exists, inference kind, active, not expired, scope) → the request buckets
 * (concurrency, requests per minute) → the money buckets (balance, key lifetime and period spend,
 * each net of what is held in flight), with `max_tokens` clamped to what the tightest allows →
 * the token buckets (prompt estimate + max_tokens). Then the grant is held (holds.ts) and counted
 * in the windows. The caller persists a raised mark (rarely) before answering.
 */
import { affordableOutputTokens, costMicros } from '../../lib/money';
import { type Bucket, bucketsFor, headroom, passes, retryAfter } from './buckets';
import type { BudgetBook } from './budgets';
import type { Holds } from './holds';
import type { AccountRow } from './ledger';
import { WINDOW_MS, cellsAt, limitState, type RateCells } from './rate-window';
import type { AdmitRequest, AdmitResult, Grant, KeyRecord, LimitState, Project, RateHeadersState } from './types';

/** Output tokens below which a clamped request is not worth sending (unless asked for fewer). */
export const MIN_USEFUL_OUTPUT_TOKENS = 16;

type Deny = Extract<AdmitResult, { ok: false }>;

/** What admission reads: the object's in-memory state. */
export interface AdmissionState {
  sql: SqlStorage;
  account: AccountRow | null;
  key: KeyRecord | null;
  /** The key's project (its allowed models apply with the key's). */
  project: Project | null;
  holds: Holds;
  rates: RateCells;
  budgets: BudgetBook;
}

function keyDenial(key: KeyRecord | null, project: Project | null, req: AdmitRequest, now: number): Deny | null {
  if (key?.kind !== 'inference') return { ok: false, reason: 'invalid_api_key', message: 'Incorrect API key provided.' };
  if (key.status !== 'active') return { ok: false, reason: 'key_revoked', message: 'This API key has been revoked.' };
  if (key.expiresAt !== null && key.expiresAt <= now) return { ok: false, reason: 'key_expired', message: 'This API key has expired.' };
  if (key.pausedAt !== null) return { ok: false, reason: 'key_paused', message: key.pausedReason ?? 'This API key is paused.' };
  if (key.allowedServices && !key.allowedServices.includes(req.service.name)) {
    return { ok: false, reason: 'model_not_allowed', message: `This API key may not use the model '${req.service.name}'.` };
  }
  if (project?.allowedServices && !project.allowedServices.includes(req.service.name)) {
    return { ok: false, reason: 'model_not_allowed', message: `This API key's project '${project.name}' may not use the model '${req.service.name}'.` };
  }
  return null;
}

function windowState(bucket: Bucket | undefined, now: number): LimitState | null {
  return bucket?.cell && bucket.limit !== null ? limitState(cellsAt(bucket.cell, now), bucket.limit) : null;
}

type Admitted = AdmitResult & { caps?: Record<string, number> };

/**
 * Admits or denies one request and, when admitted, holds its worst case until `now + ttlMs` (its
 * lifetime plus a settle grace). A request a `fallback` budget cannot afford is admitted, in the
 * same call, on the budget's fallback model when the worker offered its service
 * (`req.fallbacks`): checked against every budget again, that one counting but not refusing. When
 * it was not offered, the denial names it and the worker asks again (`req.fallbackFor`).
 */
export function admit(state: AdmissionState, req: AdmitRequest, now: number, ttlMs: number): Admitted {
  const fallbackModels = state.budgets.fallbackModels(state.sql);
  const first = admitOnce(state, req, now, ttlMs);
  const hints = fallbackModels.length > 0 ? { fallbackModels } : {};
  if (first.ok || !first.fallback) return { ...first, ...hints };
  const { model, budgetId } = first.fallback;
  if (req.fallbackFor) return { ...first, fallback: undefined, ...hints };
  const service = req.fallbacks?.find((s) => s.name === model && s.endpoint === req.service.endpoint);
  if (!service) return { ...first, ...hints };
  const second = admitOnce(state, { ...req, service, fallbackFor: budgetId }, now, ttlMs);
  if (!second.ok) {
    return { ...first, fallback: undefined, message: `${first.message} Its fallback model '${model}' was refused too: ${second.message}`, ...hints };
  }
  const budgetName = first.budget?.name ?? budgetId;
  return { ...second, fallback: { budgetId, budgetName, from: req.service.name, model }, ...hints };
}

function admitOnce(state: AdmissionState, req: AdmitRequest, now: number, ttlMs: number): Admitted {
  const { account, key, holds } = state;
  if (!account) return { ok: false, reason: 'invalid_api_key', message: 'Incorrect API key provided.' };
  if (account.status !== 'active') return { ok: false, reason: 'account_suspended', message: 'This account is suspended.' };
  const denied = keyDenial(key, state.project, req, now);
  if (denied || !key) return denied as Deny;

  const { service } = req;
  const buckets = bucketsFor(account, key, service, now, (scope) => state.rates.get(state.sql, key.id, scope, now));
  const tokenBucketAt = buckets.findIndex((b) => b.unit === 'tokens');
  // Budgets are money buckets, checked with the balance and the key's spend limits.
  buckets.splice(
    tokenBucketAt < 0 ? buckets.length : tokenBucketAt,
    0,
    ...state.budgets.buckets(state.sql, key, service, req.endUser ?? null, now, req.fallbackFor),
  );
  const rpm = buckets.find((b) => b.id === 'key.rpm');
  const tpm = buckets.find((b) => b.id === 'key.tpm');
  const limitsNow = (): RateHeadersState => ({ requests: windowState(rpm, now), tokens: windowState(tpm, now) });
  const refuse = (bucket: Bucket, amount: number, message = bucket.message): Deny => {
    if (bucket.budget) {
      const remainingMicros = Math.max(0, headroom(bucket, holds, now));
      const { id, name, resetsAt, fallbackModel } = bucket.budget;
      const fallback = fallbackModel ? { fallback: { model: fallbackModel, budgetId: id } } : {};
      return { ok: false, reason: bucket.reason, message, budget: { id, name, remainingMicros, resetsAt }, ...fallback };
    }
    if (bucket.unit === 'micros') return { ok: false, reason: bucket.reason, message };
    const wait = bucket.cell ? retryAfter(bucket, amount, now) : 1000;
    return { ok: false, reason: bucket.reason, message, limits: limitsNow(), ...(wait === null ? {} : { retryAfterMs: wait }) };
  };

  for (const bucket of buckets) {
    if (bucket.unit === 'requests' && !passes(bucket, 1, holds, now)) return refuse(bucket, 1);
  }

  // Money: the tightest bucket decides how much output the request may produce.
  let budget = Number.POSITIVE_INFINITY;
  let binding: Bucket | undefined;
  for (const bucket of buckets) {
    if (bucket.unit !== 'micros') continue;
    const room = headroom(bucket, holds, now);
    if (room < budget) {
      budget = room;
      binding = bucket;
    }
  }
  const moneyDenial = () => refuse(binding as Bucket, 0);
  let maxTokens = 0;
  if (service.endpoint !== 'embeddings') {
    const ceiling = Math.min(req.requestedMaxTokens ?? service.maxOutputTokens, service.maxOutputTokens);
    const affordable = affordableOutputTokens(service.price, Math.min(budget, Number.MAX_SAFE_INTEGER), req.promptTokensUpper);
    maxTokens = Math.min(ceiling, affordable);
    if (maxTokens < Math.min(ceiling, MIN_USEFUL_OUTPUT_TOKENS) || maxTokens < 1) return moneyDenial();
  }
  const reservedMicros = costMicros(service.price, { inputTokens: req.promptTokensUpper, outputTokens: maxTokens });
  if (reservedMicros > budget) return moneyDenial();

  const reservedTokens = req.promptTokensEstimate + maxTokens;
  for (const bucket of buckets) {
    if (bucket.unit !== 'tokens' || passes(bucket, reservedTokens, holds, now)) continue;
    const wait = retryAfter(bucket, reservedTokens, now);
    return refuse(
      bucket,
      reservedTokens,
      wait === null
        ? `Request too large: it may use ${reservedTokens} tokens and this key allows ${bucket.limit} tokens per minute. Lower max_tokens or the prompt.`
        : bucket.message,
    );
  }

  // Granted: hold the amounts and count the windows.
  const need = { micros: reservedMicros, requests: 1, tokens: reservedTokens };
  const held = new Map<string, number>();
  const budgets: Grant['budgets'] = [];
  // The most each hold can ever have in flight (its tightest limit less what is used): a mark's ceiling.
  const caps: Record<string, number> = {};
  let holdsSlot = false;
  for (const bucket of buckets) {
    if (bucket.budget) budgets.push({ id: bucket.budget.id, subject: bucket.budget.subject, windowStart: bucket.budget.windowStart });
    if (bucket.hold) {
      if (bucket.unit === 'requests' && bucket.limit !== null) holdsSlot = true;
      held.set(bucket.hold, need[bucket.unit]);
      if (bucket.limit !== null) caps[bucket.hold] = Math.min(caps[bucket.hold] ?? Number.POSITIVE_INFINITY, Math.max(0, bucket.limit - bucket.used));
    } else if (bucket.cell) state.rates.add(bucket.cell, need[bucket.unit]);
  }
  const grant: Grant = {
    requestId: req.requestId,
    keyId: key.id,
    projectId: key.projectId,
    serviceId: service.id,
    model: service.name,
    endpoint: service.endpoint,
    priceVersion: service.priceVersion,
    price: service.price,
    reservedMicros,
    maxOutputTokens: maxTokens,
    promptTokensUpper: req.promptTokensUpper,
    reservedTokens,
    promptTokensEstimate: req.promptTokensEstimate,
    tokensWindowStart: now - (now % WINDOW_MS),
    keyPeriod: key.period ?? 'month',
    createdAt: now,
    expiresAt: now + ttlMs,
    holds: Object.fromEntries(held),
    ...(budgets.length > 0 ? { budgets } : {}),
    ...(key.createdBy ? { memberId: key.createdBy } : {}),
    ...(req.endUser ? { endUser: req.endUser } : {}),
    ...(req.tags ? { tags: req.tags } : {}),
  };
  return {
    ok: true,
    reservationId: req.requestId,
    maxTokens,
    reservedMicros,
    balanceMicros: account.balance_micros,
    limits: limitsNow(),
    grant,
    holdsSlot,
    caps,
  };
}
