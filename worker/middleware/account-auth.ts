/**
 * @module middleware/account-auth
 * `/api/account/*` acts on one organisation, proven either by a management key (`mk-gw-…`, issued
 * by the admin for one organisation, acting as its admin; OpenRouter calls these provisioning
 * keys) or by the dashboard's session cookie plus the CSRF token on unsafe requests. A session
 * names the organisation in `x-gateway-organization` (the dashboard always does; without it, the
 * user's personal organisation) and acts with the user's role there, read on every request.
 * Inference keys cannot manage anything. The account object decides whether a management key is
 * still valid. What each role may do is declared per route (routes/api/contract.ts).
 */
import type { MiddlewareHandler } from 'hono';
import { currentOrganization, noOrganization, ORGANIZATION_HEADER } from '../auth/organizations';
import type { AppEnv } from '../env';
import { ApiError } from '../errors';
import { sha256Hex } from '../lib/hash';
import { parseKey } from '../lib/key-format';
import { resolveKeyHash } from '../services/key-index';
import { bearerToken } from './api-key-auth';
import { assertCsrf, loadSession } from './session';

/** Sets `principal` to the account the management key or the signed-in user owns. */
export function requireAccount(): MiddlewareHandler<AppEnv> {
  return async function requireAccountMiddleware(c, next) {
    const token = bearerToken(c.req.header('authorization'));
    if (!token) {
      const session = await loadSession(c);
      if (!session) throw new ApiError({ code: 'unauthorized', message: 'Sign in, or use a management key ("Authorization: Bearer mk-gw-…").' });
      await assertCsrf(c, session);
      const requested = c.req.header(ORGANIZATION_HEADER)?.trim() || undefined;
      const org = await currentOrganization(c.env, session.user, requested);
      if (!org) throw noOrganization();
      c.set('principal', { kind: 'account', accountId: org.accountId, role: org.role, userId: session.user.id });
      return next();
    }
    const kind = parseKey(token);
    if (kind === 'inference') throw new ApiError({ code: 'forbidden', message: 'Inference keys cannot use the management API; use a management key.' });
    const entry = kind === 'management' ? await resolveKeyHash(c.env, await sha256Hex(token), (p) => c.executionCtx.waitUntil(p)) : null;
    const valid = entry?.kind === 'management' && (await c.env.ACCOUNT.get(c.env.ACCOUNT.idFromName(entry.accountId)).authorizeManagement(entry.keyId));
    if (!entry || !valid) throw new ApiError({ code: 'unauthorized', message: 'Invalid or revoked management key.' });
    const requested = c.req.header(ORGANIZATION_HEADER)?.trim();
    if (requested && requested !== entry.accountId) {
      throw new ApiError({ code: 'not_found', message: `This management key is not for organisation '${requested}'.`, param: ORGANIZATION_HEADER });
    }
    c.set('principal', { kind: 'account', accountId: entry.accountId, role: 'admin', keyId: entry.keyId });
    await next();
  };
}
