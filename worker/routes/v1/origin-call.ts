/**
 * @module routes/v1/origin-call
 * Calls the origin with its own credential (the client's key is never forwarded), under a
 * timeout until response headers, and aborted when the client goes away. Failures come back
 * as values so the caller can release the reservation before answering.
 */
import type { Env } from '../../env';
import { ApiError } from '../../errors';
import type { OriginAdapter } from '../../origins/types';
import type { CatalogService, Endpoint } from '../../services/catalog';

export interface OriginCallInput {
  env: Env;
  service: CatalogService;
  endpoint: Endpoint;
  adapter: OriginAdapter;
  body: Record<string, unknown>;
  maxTokens: number;
  timeoutMs: number;
  clientSignal: AbortSignal;
}

export type OriginCall =
  | { ok: true; response: Response; abort: () => void; done: () => void }
  | { ok: false; status: 'origin_error' | 'origin_timeout' | 'client_closed'; httpStatus: number | null; detail: string };

/** Sends the request upstream. */
export async function callOrigin(input: OriginCallInput): Promise<OriginCall> {
  const { service, endpoint, adapter } = input;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, input.timeoutMs);
  const onClientAbort = () => controller.abort();
  input.clientSignal.addEventListener('abort', onClientAbort);
  const done = () => {
    clearTimeout(timer);
    input.clientSignal.removeEventListener('abort', onClientAbort);
  };
  // A client that left while we were admitting it: do not make the GPU work for nobody.
  if (input.clientSignal.aborted) {
    done();
    return { ok: false, status: 'client_closed', httpStatus: null, detail: 'client disconnected before the origin was called' };
  }
  const secret = service.originCredentialSecret ? input.env[service.originCredentialSecret] : null;
  let response: Response;
  try {
    response = await fetch(adapter.url(service, endpoint), {
      method: 'POST',
      headers: adapter.headers(typeof secret === 'string' ? secret : null),
      body: adapter.body(input.body, service, endpoint, input.maxTokens),
      signal: controller.signal,
    });
  } catch (error) {
    done();
    const status = timedOut ? 'origin_timeout' : input.clientSignal.aborted ? 'client_closed' : 'origin_error';
    return { ok: false, status, httpStatus: null, detail: String(error) };
  }
  clearTimeout(timer);
  if (!response.ok) {
    const detail = await response.text().catch(() => '');
    done();
    return { ok: false, status: 'origin_error', httpStatus: response.status, detail };
  }
  return { ok: true, response, abort: () => controller.abort(), done };
}

/** The client-facing error for a failed origin call. Origin bodies are logged, not sent, except
 * a 4xx's own `error.message` (e.g. "maximum context length is 4096 tokens"), which the caller needs. */
export function originFailure(call: Extract<OriginCall, { ok: false }>, requestId: string): ApiError {
  console.warn(JSON.stringify({ level: 'warn', requestId, msg: 'origin call failed', status: call.status, httpStatus: call.httpStatus, detail: call.detail.slice(0, 1000) }));
  if (call.status === 'origin_timeout' || call.httpStatus === 408) return new ApiError({ code: 'origin_timeout', message: 'The model server did not answer in time.' });
  if (call.httpStatus === 429 || call.httpStatus === 503) {
    return new ApiError({ code: 'service_unavailable', message: 'The model server is busy; retry shortly. No charge was made.', headers: { 'retry-after': '1' } });
  }
  if (call.httpStatus === 413) return new ApiError({ code: 'payload_too_large', message: 'The model server refused the request as too large.' });
  if (call.httpStatus !== null && call.httpStatus >= 400 && call.httpStatus < 500 && call.httpStatus !== 401 && call.httpStatus !== 403 && call.httpStatus !== 404) {
    let message = `The model server rejected the request (status ${call.httpStatus}).`;
    try {
      const parsed = JSON.parse(call.detail) as { error?: { message?: unknown } | string; message?: unknown };
      const text = typeof parsed.error === 'object' ? parsed.error?.message : (parsed.error ?? parsed.message);
      if (typeof text === 'string' && text) message = `The model server rejected the request: ${text.slice(0, 500)}`;
    } catch {
      // not JSON: keep the generic message
    }
    return new ApiError({ code: 'invalid_request', message });
  }
  return new ApiError({ code: 'origin_error', message: call.status === 'client_closed' ? 'The client disconnected.' : 'The model server failed to answer. No charge was made.' });
}
