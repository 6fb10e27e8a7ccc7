/**
 * @module middleware/request-id
 * Gives every request an id (`req_…`), exposed as `x-request-id` on every response.
 */
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env';
import { newId } from '../lib/ids';

/** Sets `requestId` and echoes it in `x-request-id`. */
export function requestId(): MiddlewareHandler<AppEnv> {
  return async function requestIdMiddleware(c, next) {
    const id = newId('req');
    c.set('requestId', id);
    await next();
    c.res.headers.set('x-request-id', id);
  };
}
