/**
 * @module api/client
 * The one way the SPA talks to the gateway: same-origin fetch with the session cookie, the CSRF
 * token on every unsafe /api request outside /api/auth, the chosen organisation on every /api
 * request, and errors turned into plain words.
 */

/** An API failure with the server's public message (or a plain-words fallback). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterSeconds: number | null = null,
    /** The request field the server named as at fault (`error.param`), if any. */
    readonly param: string | null = null,
    /** The finer cause the server named (`error.reason`, e.g. 'last_owner'), if any. */
    readonly reason: string | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

// The CSRF token of the current session, set from /api/me, and the organisation the dashboard
// acts on. The only module state: one tab has one session and one chosen organisation; signing
// out clears the token, the switcher (api/organization.ts) sets the organisation.
let csrfToken: string | null = null;
let organizationId: string | null = null;

/** Remembers the CSRF token returned by /api/me (null after sign-out). */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** The header naming the organisation an /api request acts on (docs/organizations.md). */
export const ORGANIZATION_HEADER = 'x-gateway-organization';

/** Sends `id` as x-gateway-organization from the next request on (null: the personal one). */
export function setRequestOrganization(id: string | null): void {
  organizationId = id;
}

/** The organisation requests name now (null: none named, the personal one). */
export function requestOrganization(): string | null {
  return organizationId;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function needsCsrf(method: string, path: string): boolean {
  return UNSAFE.has(method) && path.startsWith('/api/') && !path.startsWith('/api/auth/');
}

const FALLBACK: Record<number, string> = {
  400: 'The request was not accepted. Check the fields and try again.',
  401: 'You are signed out. Sign in again.',
  403: 'You are not allowed to do that.',
  404: 'That was not found.',
  429: 'Too many attempts. Wait a little and try again.',
  500: 'The server failed. Try again in a moment.',
  502: 'The gateway could not be reached. Try again in a moment.',
  503: 'The service is unavailable right now. Try again in a moment.',
};

/** Reads the error body: the gateway's `{error:{code,message}}` or better-auth's `{code,message}`. */
async function toError(response: Response): Promise<ApiError> {
  let code = `http_${response.status}`;
  let message = FALLBACK[response.status] ?? `The request failed (HTTP ${response.status}).`;
  let param: string | null = null;
  let reason: string | null = null;
  try {
    const body = (await response.json()) as {
      error?: { code?: string; message?: string; param?: string; reason?: string } | string;
      code?: string;
      message?: string;
    };
    if (body.error && typeof body.error === 'object') {
      code = body.error.code ?? code;
      message = body.error.message || message;
      param = typeof body.error.param === 'string' ? body.error.param : null;
      reason = typeof body.error.reason === 'string' ? body.error.reason : null;
    } else if (body.message || body.code) {
      code = body.code ?? code;
      message = body.message || message;
    }
  } catch {
    // Not JSON: keep the plain-words fallback.
  }
  const retry = Number(response.headers.get('retry-after') ?? response.headers.get('x-retry-after'));
  return new ApiError(response.status, code, message, Number.isFinite(retry) && retry > 0 ? retry : null, param, reason);
}

async function send(method: string, path: string, body: unknown, accept = 'application/json'): Promise<Response> {
  const headers: Record<string, string> = { accept };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (needsCsrf(method, path) && csrfToken) headers['x-csrf-token'] = csrfToken;
  if (organizationId && path.startsWith('/api/')) headers[ORGANIZATION_HEADER] = organizationId;
  try {
    return await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, 'network', 'The dashboard could not reach the server. Check your connection and try again.');
  }
}

/** Calls an /api endpoint and returns its JSON body; throws ApiError on any non-2xx answer. */
export async function api<T>(path: string, options: { method?: string; body?: unknown } = {}): Promise<T> {
  const method = options.method ?? 'GET';
  let response = await send(method, path, options.body);
  if (response.status === 403 && needsCsrf(method, path)) {
    const error = await toError(response.clone());
    if (error.code === 'csrf_failed' && (await refreshCsrf())) response = await send(method, path, options.body);
  }
  if (!response.ok) throw await toError(response);
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/**
 * Fetches an /api file (a CSV export) the way `api` fetches JSON, so it carries the organisation
 * header a plain link could not; the name is the server's (Content-Disposition), if it gave one.
 */
export async function apiFile(path: string): Promise<{ blob: Blob; fileName: string | null }> {
  const response = await send('GET', path, undefined, '*/*');
  if (!response.ok) throw await toError(response);
  const disposition = response.headers.get('content-disposition') ?? '';
  const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition);
  return { blob: await response.blob(), fileName: match ? decodeURIComponent(match[1]) : null };
}

/** Fetches a fresh CSRF token after the server refused the one we had (e.g. a new session). */
async function refreshCsrf(): Promise<boolean> {
  const response = await send('GET', '/api/me', undefined);
  if (!response.ok) return false;
  const me = (await response.json()) as { csrfToken?: string };
  csrfToken = me.csrfToken ?? null;
  return csrfToken !== null;
}

/** Builds a query string, leaving out empty values. */
export function query(params: Record<string, string | number | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** The message to show for anything thrown by `api`. */
export function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return 'Something went wrong. Try again.';
}
