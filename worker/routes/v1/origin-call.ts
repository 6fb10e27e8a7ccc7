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
  /** Time allowed until the origin's response headers. */
  timeoutMs: number;
  clientSignal: AbortSignal;
  /**
   * Whether a client disconnect aborts the origin. True for streams (what was produced so far is
   * counted and billed); false for non-streamed requests, whose usage only arrives with the whole
   * body: the origin finishes and its reported usage is billed, as for a client that stayed.
   */
  abortOnClientGone: boolean;
  /** Epoch ms after which the body read is aborted too (the request's lifetime cap), if set. */
  bodyDeadline?: number;
  /**
   * When the client is gone and the origin is not aborted at once: how long it may still take.
   * The runtime keeps a disconnected request alive for about 30 s only, so waiting longer would
   * lose the settle; past this the origin is abandoned (aborted) and the call says so.
   */
  clientGoneGraceMs: number;
  /** The request's feature tags, sent only to a service that forwards them. */
  tags?: Record<string, string> | null;
}

/**
 * Feature tags as one header value, in W3C Baggage's syntax: `name=value` pairs joined by commas,
 * values percent-encoded (names are already limited to `[A-Za-z0-9_.:-]`).
 */
export function tagsHeader(tags: Record<string, string>): string {
  return Object.entries(tags)
    .map(([name, value]) => `${name}=${encodeURIComponent(value)}`)
    .join(',');
}

export type OriginCall =
  | { ok: true; response: Response; abort: () => void; done: () => void; abandoned: () => boolean }
  | { ok: false; status: 'origin_error' | 'origin_timeout' | 'client_closed'; httpStatus: number | null; detail: string; abandoned: boolean };

/** Sends the request upstream. */
export async function callOrigin(input: OriginCallInput): Promise<OriginCall> {
  const { service, endpoint, adapter } = input;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, input.timeoutMs);
  let bodyTimer: ReturnType<typeof setTimeout> | undefined;
  let graceTimer: ReturnType<typeof setTimeout> | undefined;
  let abandoned = false;
  const onClientAbort = input.abortOnClientGone
    ? () => controller.abort()
    : () => {
        graceTimer = setTimeout(() => {
          abandoned = true;
          controller.abort();
        }, input.clientGoneGraceMs);
      };
  input.clientSignal.addEventListener('abort', onClientAbort);
  const done = () => {
    clearTimeout(timer);
    clearTimeout(bodyTimer);
    clearTimeout(graceTimer);
    input.clientSignal.removeEventListener('abort', onClientAbort);
  };
  // A client that left while we were admitting it: do not make the GPU work for nobody.
  if (input.clientSignal.aborted) {
    done();
    return { ok: false, status: 'client_closed', httpStatus: null, detail: 'client disconnected before the origin was called', abandoned: false };
  }
  const secret = service.originCredentialSecret ? input.env[service.originCredentialSecret] : null;
  const headers = adapter.headers(typeof secret === 'string' ? secret : null);
  if (service.forwardTags && input.tags) headers.set('x-gateway-tags', tagsHeader(input.tags));
  let response: Response;
  try {
    response = await fetch(adapter.url(service, endpoint), {
      method: 'POST',
      headers,
      body: adapter.body(input.body, service, endpoint, input.maxTokens),
      signal: controller.signal,
    });
  } catch (error) {
    done();
    const status = timedOut ? 'origin_timeout' : input.clientSignal.aborted ? 'client_closed' : 'origin_error';
    return { ok: false, status, httpStatus: null, detail: String(error), abandoned };
  }
  clearTimeout(timer);
  if (input.bodyDeadline !== undefined) {
    bodyTimer = setTimeout(
      () => {
        timedOut = true;
        controller.abort();
      },
      Math.max(0, input.bodyDeadline - Date.now()),
    );
  }
  if (!response.ok) {
    const detail = await response.text().catch(() => '');
    done();
    return { ok: false, status: 'origin_error', httpStatus: response.status, detail, abandoned: false };
  }
  return { ok: true, response, abort: () => controller.abort(), done, abandoned: () => abandoned };
}

/** The client-facing error for a failed origin call. Origin bodies are logged, not sent, except
 * a 4xx's own `error.message` (e.g. "maximum context length is 4096 tokens"), which the caller needs. */
export function originFailure(call: Extract<OriginCall, { ok: false }>, requestId: string): ApiError {
  // The origin's body may quote the prompt: log its size and error code, never the text.
  console.warn(
    JSON.stringify({
      level: 'warn',
      requestId,
      msg: 'origin call failed',
      status: call.status,
      httpStatus: call.httpStatus,
      ...(call.httpStatus === null ? { detail: call.detail.slice(0, 300) } : describeDetail(call.detail)),
    }),
  );
  if (call.status === 'origin_timeout' || call.httpStatus === 408)
    return new ApiError({ code: 'origin_timeout', message: 'The model server did not answer in time.' });
  if (call.httpStatus === 429 || call.httpStatus === 503) {
    return new ApiError({
      code: 'service_unavailable',
      message: 'The model server is busy; retry shortly. No charge was made.',
      headers: { 'retry-after': '1' },
    });
  }
  if (call.httpStatus === 413) return new ApiError({ code: 'payload_too_large', message: 'The model server refused the request as too large.' });
  if (
    call.httpStatus !== null &&
    call.httpStatus >= 400 &&
    call.httpStatus < 500 &&
    call.httpStatus !== 401 &&
    call.httpStatus !== 403 &&
    call.httpStatus !== 404
  ) {
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
  return new ApiError({
    code: 'origin_error',
    message: call.status === 'client_closed' ? 'The client disconnected.' : 'The model server failed to answer. No charge was made.',
  });
}

/** What may be logged of an origin's error body: its length and, if JSON, its error type and code. */
export function describeDetail(detail: string): { detailBytes: number; errorType?: string; errorCode?: string } {
  const out: { detailBytes: number; errorType?: string; errorCode?: string } = { detailBytes: detail.length };
  try {
    const parsed = JSON.parse(detail) as { error?: { type?: unknown; code?: unknown } };
    if (typeof parsed.error?.type === 'string') out.errorType = parsed.error.type.slice(0, 64);
    if (typeof parsed.error?.code === 'string' || typeof parsed.error?.code === 'number') out.errorCode = String(parsed.error.code).slice(0, 64);
  } catch {
    // not JSON: its size is all that is logged
  }
  return out;
}
