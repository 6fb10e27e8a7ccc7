/**
 * @module errors
 * The closed error vocabulary. Every failure the gateway reports goes through one `ApiError`,
 * one code→status table, and one of two renderers: OpenAI's shape on `/v1/*` (so SDKs raise
 * the matching error class) and `{error:{code,message,requestId}}` on `/api/*`.
 * The public message never carries origin bodies, SQL or provider errors; those are logged
 * under the request id.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { AppEnv } from './env';

export type ErrorCode =
  | 'invalid_json'
  | 'invalid_request'
  | 'invalid_api_key'
  | 'unauthorized'
  | 'forbidden'
  | 'csrf_failed'
  | 'model_not_allowed'
  | 'key_revoked'
  | 'key_expired'
  | 'key_paused'
  | 'account_suspended'
  | 'insufficient_credit'
  | 'spend_limit_exceeded'
  | 'budget_exceeded'
  | 'not_found'
  | 'model_not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'rate_limit_requests'
  | 'rate_limit_tokens'
  | 'concurrency_limit'
  | 'origin_error'
  | 'origin_timeout'
  | 'service_unavailable'
  | 'payment_method_unavailable'
  | 'invalid_signature'
  | 'payment_failed'
  | 'internal_error';

const STATUS: Record<ErrorCode, number> = {
  invalid_json: 400,
  invalid_request: 400,
  invalid_api_key: 401,
  unauthorized: 401,
  forbidden: 403,
  csrf_failed: 403,
  model_not_allowed: 403,
  key_revoked: 401,
  key_expired: 401,
  key_paused: 403,
  account_suspended: 403,
  insufficient_credit: 402,
  spend_limit_exceeded: 402,
  budget_exceeded: 402,
  not_found: 404,
  model_not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  rate_limit_requests: 429,
  rate_limit_tokens: 429,
  concurrency_limit: 429,
  origin_error: 502,
  origin_timeout: 504,
  service_unavailable: 503,
  payment_method_unavailable: 503,
  invalid_signature: 400,
  payment_failed: 502,
  internal_error: 500,
};

/** OpenAI's `error.type` for each status, which its SDKs and users key on. */
function openAIType(status: number): string {
  if (status === 400 || status === 404 || status === 409 || status === 413) return 'invalid_request_error';
  if (status === 401) return 'authentication_error';
  if (status === 402) return 'insufficient_quota';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  return 'api_error';
}

/** Status for an error code. */
export function statusOf(code: ErrorCode): number {
  return STATUS[code];
}

export interface ApiErrorInit {
  code: ErrorCode;
  message: string;
  /** The request parameter at fault (OpenAI's `param`). */
  param?: string;
  /** Extra response headers, e.g. `retry-after` on 429. */
  headers?: Record<string, string>;
  /** A finer, stable cause within the code (e.g. the auth library's `EMAIL_NOT_VERIFIED`); sent as `reason`. */
  reason?: string;
  /** Logged under the request id, never sent to the client. */
  internal?: unknown;
}

/** The one error class every layer throws; `app.onError` renders it. */
export class ApiError extends HTTPException {
  readonly code: ErrorCode;
  readonly param?: string;
  readonly headers: Record<string, string>;
  readonly internal?: unknown;
  readonly reason?: string;
  constructor({ code, message, param, headers = {}, internal, reason }: ApiErrorInit) {
    super(STATUS[code] as 400, { message });
    this.name = 'ApiError';
    this.code = code;
    this.param = param;
    this.headers = headers;
    this.internal = internal;
    this.reason = reason;
  }
}

/** Renders any thrown value as the caller's error shape. Registered as `app.onError`. */
export function handleError(err: Error, c: Context<AppEnv>): Response {
  const requestId = c.get('requestId') ?? 'unknown';
  let apiError: ApiError;
  if (err instanceof ApiError) {
    apiError = err;
  } else if (err instanceof HTTPException) {
    const code: ErrorCode =
      err.status === 413 ? 'payload_too_large' : err.status === 404 ? 'not_found' : err.status < 500 ? 'invalid_request' : 'internal_error';
    apiError = new ApiError({ code, message: err.message || 'request failed' });
  } else {
    console.error(JSON.stringify({ level: 'error', requestId, msg: 'unhandled error', error: String(err), stack: err.stack }));
    apiError = new ApiError({ code: 'internal_error', message: 'The gateway failed to process this request.' });
  }
  if (apiError.internal !== undefined) {
    console.warn(JSON.stringify({ level: 'warn', requestId, code: apiError.code, internal: String(apiError.internal) }));
  }
  const status = statusOf(apiError.code);
  const headers = { ...apiError.headers, 'x-request-id': requestId };
  const isInference = new URL(c.req.url).pathname.startsWith('/v1/');
  const body = isInference
    ? { error: { message: apiError.message, type: openAIType(status), code: apiError.code, param: apiError.param ?? null } }
    : {
        error: {
          code: apiError.code,
          message: apiError.message,
          requestId,
          ...(apiError.param ? { param: apiError.param } : {}),
          ...(apiError.reason ? { reason: apiError.reason } : {}),
        },
      };
  return c.json(body, status as 400, headers);
}
