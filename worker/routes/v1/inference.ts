/**
 * @module routes/v1/inference
 * One inference handler for every endpoint (chat, completions, embeddings):
 * key → body → service → one `admit` RPC → origin → response, then the settle.
 * Settlement runs exactly once on every path; its delivery to the account object is registered
 * with `waitUntil`, after the response, so it survives a client that disconnects.
 */
import type { Context } from 'hono';
import type { AdmitRequest, AdmitResult, AdmitService } from '../../durable-objects/account/types';
import type { AppEnv } from '../../env';
import { ApiError, type ErrorCode } from '../../errors';
import { costHeaders, rateLimitHeaders } from '../../metering/headers';
import { type Outcome, type SettleContext, type Settled, settleRequest } from '../../metering/settle';
import { meterStream } from '../../metering/stream-meter';
import { originAdapter } from '../../origins/registry';
import { type CatalogService, type Endpoint, getCatalog } from '../../services/catalog';
import { checkExtraFields } from '../../origins/fields';
import { durationSetting } from '../../lib/duration';
import { promptTokensEstimate, promptTokensUpperBound } from '../../lib/tokens';
import { callOrigin, originFailure } from './origin-call';
import { checkInference, readInferenceBody } from './request';
import { requestTags } from './tags';
import { LIMITS } from './validate-json';

const DEFAULT_TIMEOUT_MS = 60_000;
/** The longest a request may live, streamed or not (REQUEST_LIFETIME_MS overrides). */
const DEFAULT_LIFETIME_MS = 15 * 60_000;
/** Under the 30 s the runtime grants waitUntil after a disconnect, so settlement still runs. */
const DEFAULT_CLIENT_STALL_MS = 20_000;

function denial(result: Extract<AdmitResult, { ok: false }>): ApiError {
  const headers = rateLimitHeaders(result.limits);
  if (result.retryAfterMs !== undefined) {
    headers['retry-after'] = String(Math.max(1, Math.ceil(result.retryAfterMs / 1000)));
    headers['retry-after-ms'] = String(result.retryAfterMs);
  }
  if (result.budget) {
    headers['x-gateway-budget-id'] = result.budget.id;
    headers['x-gateway-budget-remaining-micros'] = String(result.budget.remainingMicros);
    if (result.budget.resetsAt !== null) headers['x-gateway-budget-reset'] = new Date(result.budget.resetsAt).toISOString();
  }
  return new ApiError({
    code: result.reason as ErrorCode,
    message: result.message,
    headers,
    ...(result.reason === 'model_not_allowed' ? { param: 'model' } : {}),
  });
}

/** The end user a request is for: `x-gateway-user`, else OpenAI's `user` field (checked by the body validator); null if neither. */
function endUserOf(c: Context<AppEnv>, body: Record<string, unknown>): string | null {
  const header = c.req.header('x-gateway-user');
  if (header !== undefined) {
    const value = header.trim();
    if (value.length === 0 || value.length > LIMITS.user) {
      throw new ApiError({ code: 'invalid_request', param: 'x-gateway-user', message: `The x-gateway-user header must be 1 to ${LIMITS.user} characters.` });
    }
    return value;
  }
  return typeof body.user === 'string' && body.user.length > 0 ? body.user : null;
}

/** The service as admission needs it. */
function admitService(s: CatalogService, endpoint: Endpoint): AdmitService {
  return { id: s.id, name: s.name, endpoint, price: s.price, priceVersion: s.priceVersion, maxOutputTokens: s.maxOutputTokens, defaults: s.defaults };
}

/**
 * The models each account's fallback budgets name, as its object last said (it says so in every
 * admission answer): offered with the next admission so a fallback costs no second round trip.
 */
const fallbackHints = new Map<string, string[]>();
const MAX_HINTS = 10_000;

function learnFallbacks(accountId: string, models: string[] | undefined): void {
  if (!models?.length) {
    fallbackHints.delete(accountId);
    return;
  }
  if (fallbackHints.size >= MAX_HINTS && !fallbackHints.has(accountId)) fallbackHints.delete(fallbackHints.keys().next().value as string);
  fallbackHints.set(accountId, models);
}

/** A fallback model's service when it can serve this request (active, this endpoint, the body's extra fields). */
function usableFallback(
  catalog: Map<string, CatalogService>,
  model: string,
  requested: CatalogService,
  endpoint: Endpoint,
  body: Record<string, unknown>,
): CatalogService | null {
  const s = catalog.get(model);
  if (s?.status !== 'active' || s.name === requested.name || !s.endpoints.includes(endpoint)) return null;
  try {
    checkExtraFields(s.extraFields, body);
  } catch {
    return null;
  }
  return s;
}

function fallbackServices(
  catalog: Map<string, CatalogService>,
  accountId: string,
  requested: CatalogService,
  endpoint: Endpoint,
  body: Record<string, unknown>,
): CatalogService[] {
  const out: CatalogService[] = [];
  for (const model of fallbackHints.get(accountId) ?? []) {
    const s = usableFallback(catalog, model, requested, endpoint, body);
    if (s) out.push(s);
  }
  return out;
}

/** The handler for one endpoint. */
export function inference(endpoint: Endpoint) {
  return async function inferenceHandler(c: Context<AppEnv>): Promise<Response> {
    // The runtime cancels a request's tasks when its client disconnects, unless waitUntil holds
    // them. Hold this request until it is settled, so a disconnect during admission, while the
    // origin thinks, or mid-stream still settles (and releases the reservation) at once.
    let release: () => void = () => {};
    c.executionCtx.waitUntil(new Promise<void>((resolve) => (release = resolve)));
    try {
      const { response, settled } = await handleInference(c, endpoint, () => release());
      void settled.finally(release);
      return response;
    } catch (error) {
      release();
      throw error;
    }
  };
}

/** Admits, forwards and meters one request; `settled` resolves once it is settled. */
async function handleInference(c: Context<AppEnv>, endpoint: Endpoint, release: () => void): Promise<{ response: Response; settled: Promise<unknown> }> {
  const startedAt = Date.now();
  const requestId = c.get('requestId');
  const { keyId, accountId } = c.get('apiKey');
  const { body, bytes } = await readInferenceBody(c);
  const req = checkInference(endpoint, body, bytes);

  const catalog = await getCatalog(c.env.DB);
  const requested = catalog.get(req.model);
  if (requested?.status !== 'active' || !requested.endpoints.includes(endpoint)) {
    throw new ApiError({ code: 'model_not_found', param: 'model', message: `The model '${req.model}' does not exist or does not support this endpoint.` });
  }
  checkExtraFields(requested.extraFields, body);
  let service: CatalogService = requested;
  const endUser = endUserOf(c, body);
  const tags = requestTags(c.req.header('x-gateway-tags'), body.metadata);
  const lifetimeMs = durationSetting(c.env.REQUEST_LIFETIME_MS, DEFAULT_LIFETIME_MS);

  const signal = c.req.raw.signal;
  if (signal.aborted) throw new ApiError({ code: 'invalid_request', message: 'The client disconnected before the request was admitted.' });
  const account = c.env.ACCOUNT.get(c.env.ACCOUNT.idFromName(accountId));
  const request: AdmitRequest = {
    requestId,
    keyId,
    service: admitService(requested, endpoint),
    promptTokensUpper: promptTokensUpperBound(bytes),
    promptTokensEstimate: promptTokensEstimate(bytes),
    requestedMaxTokens: req.requestedMaxTokens,
    lifetimeMs,
    endUser,
  };
  if (tags) request.tags = tags;
  const offered = fallbackServices(catalog, accountId, requested, endpoint, body);
  if (offered.length > 0) request.fallbacks = offered.map((s) => admitService(s, endpoint));
  // One round trip; a second only when a fallback budget names a model this isolate did not offer yet.
  const admission = account.admit(request).then(async (first) => {
    learnFallbacks(accountId, first.fallbackModels);
    if (first.ok || !first.fallback) return first;
    const alternative = usableFallback(catalog, first.fallback.model, requested, endpoint, body);
    if (!alternative) return first;
    const second = await account.admit({
      ...request,
      service: admitService(alternative, endpoint),
      fallbacks: undefined,
      fallbackFor: first.fallback.budgetId,
    });
    if (!second.ok) return first;
    return {
      ...second,
      fallback: { budgetId: first.fallback.budgetId, budgetName: first.budget?.name ?? first.fallback.budgetId, from: requested.name, model: alternative.name },
    };
  });

  // Settlement runs once, whoever asks first (this handler, the stream meter, or the abort below).
  const settleCtx: SettleContext = { env: c.env, stub: account, requestId, accountId, keyId, service, endpoint, requestBody: body, startedAt };
  let settling: Promise<Settled | null> | null = null;
  let holdsSlot = false;
  const settle = (outcome: Outcome) =>
    (settling ??= settleRequest(settleCtx, outcome).then(async (settled) => {
      if (!settled) return settled;
      // A concurrency slot is freed before the answer ends; otherwise the client need not wait.
      if (holdsSlot) await settled.delivered;
      else c.executionCtx.waitUntil(settled.delivered);
      return settled;
    }));
  const admittedAs = (result: Extract<AdmitResult, { ok: true }>) => {
    if (result.fallback) {
      const served = catalog.get(result.fallback.model);
      if (served) service = served;
      settleCtx.service = service;
    }
    holdsSlot = result.holdsSlot;
    settleCtx.grant = result.grant;
    settleCtx.balanceMicros = result.balanceMicros;
  };

  // A client that disconnects before the origin is called is settled from the abort event as
  // "client_closed" (nothing produced, no charge), after the admission and on the same stub, so the
  // two calls reach the account object in order. Once the origin is called, the origin call owns
  // it: a stream is metered and stopped by the stream meter; a non-streamed request is left to
  // finish, and the usage the origin reports is billed (the GPU did the work).
  let originCalled = false;
  signal.addEventListener('abort', () => {
    if (originCalled) return;
    void admission
      .then((result) => {
        if (!result.ok) return null;
        admittedAs(result);
        return settle({ usage: null, text: '', status: 'client_closed', ttftMs: null });
      })
      .catch(() => null)
      .finally(release);
  });

  const admitted = await admission.catch((error: unknown) => {
    // An overloaded or unreachable account object: refuse now rather than retry-storm it.
    throw new ApiError({ code: 'service_unavailable', message: 'The gateway is busy; retry shortly.', headers: { 'retry-after': '1' }, internal: error });
  });
  if (!admitted.ok) throw denial(admitted);
  admittedAs(admitted);
  const adapter = originAdapter(service.originFlavour);
  const timeoutMs = durationSetting(c.env.ORIGIN_TIMEOUT_MS, DEFAULT_TIMEOUT_MS);
  const stalledClientMs = durationSetting(c.env.CLIENT_STALL_MS, DEFAULT_CLIENT_STALL_MS);
  const baseHeaders: Record<string, string> = { ...rateLimitHeaders(admitted.limits), 'x-gateway-price-version': String(service.priceVersion) };
  if (admitted.fallback) {
    baseHeaders['x-gateway-model'] = service.name;
    baseHeaders['x-gateway-fallback-from'] = admitted.fallback.from;
    baseHeaders['x-gateway-fallback-budget'] = admitted.fallback.budgetId;
  }

  originCalled = true;
  const call = await callOrigin({
    env: c.env,
    service,
    endpoint,
    adapter,
    body,
    maxTokens: admitted.maxTokens,
    timeoutMs,
    clientSignal: signal,
    abortOnClientGone: req.stream,
    ...(req.stream ? {} : { bodyDeadline: startedAt + lifetimeMs }),
    clientGoneGraceMs: stalledClientMs,
    tags,
  });
  if (!call.ok) {
    // Abandoned: the client left and the origin was still working when the runtime's grace ran
    // out. What it produced cannot be counted, so the reserved upper bound is charged.
    await settle({ usage: null, text: '', status: call.status, ttftMs: null, ...(call.abandoned ? { uncountable: true } : {}) });
    throw originFailure(call, requestId);
  }

  if (req.stream) {
    const metered = meterStream({
      origin: call.response.body as ReadableStream<Uint8Array>,
      adapter,
      endpoint,
      requestId,
      model: service.name,
      clientWantsUsage: req.clientWantsUsage,
      startedAt,
      idleTimeoutMs: timeoutMs,
      abortOrigin: call.abort,
      settle,
      stalledClientMs,
      grantedTokens: admitted.maxTokens,
      lifetimeMs,
    });
    signal.addEventListener('abort', metered.clientGone);
    if (signal.aborted) metered.clientGone();
    const response = new Response(metered.body, {
      status: 200,
      headers: { ...baseHeaders, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-request-id': requestId },
    });
    return { response, settled: metered.settled };
  }

  // Not streamed: the whole body is read, usage taken from it, then settled before answering.
  let text: string;
  try {
    text = await call.response.text();
  } catch {
    if (call.abandoned()) {
      await settle({ usage: null, text: '', status: 'client_closed', ttftMs: null, uncountable: true });
      throw new ApiError({ code: 'origin_error', message: 'The client disconnected.' });
    }
    // The origin broke off, or the lifetime cap aborted the read: nothing reached the client.
    const status = Date.now() - startedAt >= lifetimeMs ? 'origin_timeout' : 'origin_error';
    await settle({ usage: null, text: '', status, ttftMs: null });
    throw new ApiError({
      code: status,
      message: status === 'origin_timeout' ? 'The model server took longer than the request lifetime.' : 'The model server failed while answering.',
    });
  } finally {
    call.done();
  }
  let payload: Record<string, unknown> = {};
  try {
    payload = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // The client gets nothing usable, so nothing is charged.
    await settle({ usage: null, text: '', status: 'origin_error', ttftMs: null });
    throw new ApiError({
      code: 'origin_error',
      message: 'The model server sent a malformed response.',
      internal: `unparseable body of ${text.length} characters`,
    });
  }
  // A client that left while the origin worked is billed all the same: the answer was produced.
  const status = signal.aborted ? 'client_closed' : 'ok';
  const settled = await settle({ usage: adapter.usage(payload, endpoint), text: adapter.text(payload), status, ttftMs: Date.now() - startedAt });
  // The client asked for the public name; re-serialise only when the origin's differs.
  const out = payload.model !== undefined && payload.model !== service.name ? JSON.stringify({ ...payload, model: service.name }) : text;
  const response = new Response(out, {
    status: 200,
    headers: {
      ...baseHeaders,
      ...(settled ? costHeaders(settled.result, settled.estimated) : {}),
      'content-type': 'application/json',
      'x-request-id': requestId,
    },
  });
  return { response, settled: Promise.resolve() };
}
