/**
 * @module middleware/account-auth
 * `/api/account/*` acts on the caller's own account, proven either by a management key
 * (`mk-gw-…`, issued by the admin; OpenRouter calls these provisioning keys) or by the
 * dashboard's session cookie (the signed-in user's own billing account, plus the CSRF token on
 * unsafe requests). Inference keys cannot manage anything. The account object decides whether
 * a management key is still valid.
 */
import type { MiddlewareHandler } from 'hono';
import { ensureBillingAccount } from '../auth/users';
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
      const accountId = await ensureBillingAccount(c.env, session.user);
      c.set('principal', { kind: 'account', accountId, userId: session.user.id });
      return next();
    }
    const kind = parseKey(token);
    if (kind === 'inference') throw new ApiError({ code: 'forbidden', message: 'Inference keys cannot use the management API; use a management key.' });
    const entry = kind === 'management' ? await resolveKeyHash(c.env, await sha256Hex(token), (p) => c.executionCtx.waitUntil(p)) : null;
    const valid = entry?.kind === 'management' && (await c.env.ACCOUNT.get(c.env.ACCOUNT.idFromName(entry.accountId)).authorizeManagement(entry.keyId));
    if (!entry || !valid) throw new ApiError({ code: 'unauthorized', message: 'Invalid or revoked management key.' });
    c.set('principal', { kind: 'account', accountId: entry.accountId, keyId: entry.keyId });
    await next();
  };
}
