/**
 * @module middleware/admin-auth
 * `/api/admin/*` requires the admin role. Until operator sign-in lands, the admin proves the
 * role with `Authorization: Bearer <ADMIN_TOKEN>` (a secret), compared in constant time.
 */
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env';
import { ApiError } from '../errors';
import { timingSafeEqual } from '../lib/hash';
import { bearerToken } from './api-key-auth';

/** Refuses every caller that is not the admin. */
export function requireAdmin(): MiddlewareHandler<AppEnv> {
  return async function requireAdminMiddleware(c, next) {
    const token = bearerToken(c.req.header('authorization'));
    if (!token) throw new ApiError({ code: 'unauthorized', message: 'Admin credentials are required.' });
    const expected = c.env.ADMIN_TOKEN;
    if (typeof expected !== 'string' || expected.length < 16 || !timingSafeEqual(token, expected)) {
      throw new ApiError({ code: 'forbidden', message: 'This route needs the admin role.' });
    }
    c.set('principal', { kind: 'admin' });
    await next();
  };
}
