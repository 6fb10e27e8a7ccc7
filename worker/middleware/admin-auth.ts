/**
 * @module middleware/admin-auth
 * `/api/admin/*` requires the admin role: a signed-in, verified user whose role is 'admin' (with the
 * CSRF token on unsafe requests), or `Authorization: Bearer <ADMIN_TOKEN>` (a secret, for
 * automation), compared in constant time.
 */
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env';
import { ApiError } from '../errors';
import { timingSafeEqual } from '../lib/hash';
import { bearerToken } from './api-key-auth';
import { assertCsrf, loadSession } from './session';

/** Refuses every caller that is not the admin. */
export function requireAdmin(): MiddlewareHandler<AppEnv> {
  return async function requireAdminMiddleware(c, next) {
    const token = bearerToken(c.req.header('authorization'));
    if (!token) {
      const session = await loadSession(c);
      if (!session) throw new ApiError({ code: 'unauthorized', message: 'Admin credentials are required.' });
      // Verified as well: a role given to an unproven address (by an older version) counts for nothing.
      if (session.user.role !== 'admin' || session.user.emailVerified !== true)
        throw new ApiError({ code: 'forbidden', message: 'This route needs the admin role.' });
      await assertCsrf(c, session);
      c.set('principal', { kind: 'admin', userId: session.user.id });
      return next();
    }
    const expected = c.env.ADMIN_TOKEN;
    if (typeof expected !== 'string' || expected.length < 16 || !timingSafeEqual(token, expected)) {
      throw new ApiError({ code: 'forbidden', message: 'This route needs the admin role.' });
    }
    c.set('principal', { kind: 'admin' });
    await next();
  };
}
