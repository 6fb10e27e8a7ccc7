/**
 * @module middleware/body-limit
 * Every `/api` body is bounded before any route reads it: `maxBytes` by default, more under the
 * path prefixes in `larger` (provider webhooks, whose signed events can be a few hundred KB and
 * are read raw for the signature check). Too large is 413 `payload_too_large` in the /api shape.
 */
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AppEnv } from '../env';
import { ApiError } from '../errors';

export interface ApiBodyLimitOptions {
  /** Largest body on any route not under a `larger` prefix. */
  maxBytes?: number;
  /** Path prefix → its own limit (the first matching prefix wins). */
  larger?: Record<string, number>;
}

function limiter(maxSize: number): MiddlewareHandler<AppEnv> {
  return bodyLimit({
    maxSize,
    onError: () => {
      throw new ApiError({ code: 'payload_too_large', message: `Request bodies on this route are at most ${maxSize} bytes.` });
    },
  });
}

/** Refuses bodies over the route's limit (413), reading at most the limit. */
export function apiBodyLimit({ maxBytes = 64 * 1024, larger = {} }: ApiBodyLimitOptions = {}): MiddlewareHandler<AppEnv> {
  for (const bytes of [maxBytes, ...Object.values(larger)]) {
    if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new Error(`apiBodyLimit: ${bytes} is not a positive byte count`);
  }
  const fallback = limiter(maxBytes);
  const byPrefix = Object.entries(larger).map(([prefix, bytes]) => [prefix, limiter(bytes)] as const);
  return async function apiBodyLimitMiddleware(c, next) {
    const path = c.req.path;
    const limit = byPrefix.find(([prefix]) => path.startsWith(prefix))?.[1] ?? fallback;
    return limit(c, next);
  };
}
