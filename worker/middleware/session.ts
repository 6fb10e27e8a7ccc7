/**
 * @module middleware/session
 * The dashboard's session cookie as a credential for the gateway's own `/api` routes.
 * A cookie is an ambient credential (the browser sends it on cross-site requests too), so every
 * unsafe request it authenticates must also carry the session's CSRF token in `x-csrf-token`.
 * Bearer credentials (management keys, ADMIN_TOKEN) take precedence and need no token.
 */
import type { Context } from 'hono';
import { authFor } from '../auth/auth';
import { csrfTokenValid } from '../auth/csrf';
import type { AppEnv, SessionInfo } from '../env';
import { ApiError } from '../errors';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The request's session, loaded once per request (null when there is none or it is invalid). */
export async function loadSession(c: Context<AppEnv>): Promise<SessionInfo | null> {
  const cached = c.get('session');
  if (cached !== undefined) return cached;
  let found: SessionInfo | null = null;
  if (c.req.header('cookie')?.includes('session_token')) {
    const result = await authFor(c.env).api.getSession({ headers: c.req.raw.headers });
    found = result ? (result as unknown as SessionInfo) : null;
  }
  c.set('session', found);
  return found;
}

/** Refuses an unsafe request authenticated by the cookie that lacks this session's CSRF token. */
export async function assertCsrf(c: Context<AppEnv>, session: SessionInfo): Promise<void> {
  if (SAFE_METHODS.has(c.req.method)) return;
  if (!(await csrfTokenValid(c.req.header('x-csrf-token'), session.session.id, c.env.BETTER_AUTH_SECRET as string))) {
    throw new ApiError({ code: 'csrf_failed', message: 'Missing or invalid x-csrf-token header; read csrfToken from GET /api/me.' });
  }
}
