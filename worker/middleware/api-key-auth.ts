/**
 * @module middleware/api-key-auth
 * Authenticates `/v1/*` with `Authorization: Bearer sk-gw-…`. A malformed key (prefix, length,
 * checksum) is refused with no I/O; a well-formed one is hashed and resolved through the
 * key index. Status, expiry and scopes are checked later, in the account object's admission.
 */
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env';
import { ApiError } from '../errors';
import { sha256Hex } from '../lib/hash';
import { parseKey } from '../lib/key-format';
import { resolveKeyHash } from '../services/key-index';

/** Reads the bearer token from a request, or null. */
export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : null;
}

const invalidKey = () =>
  new ApiError({ code: 'invalid_api_key', message: 'Incorrect API key provided. Keys look like sk-gw-… and are shown once when created.' });

/** Resolves the caller's inference key into `c.var.apiKey`. */
export function apiKeyAuth(): MiddlewareHandler<AppEnv> {
  return async function apiKeyAuthMiddleware(c, next) {
    const token = bearerToken(c.req.header('authorization'));
    if (!token) throw new ApiError({ code: 'invalid_api_key', message: 'Missing API key. Send it as "Authorization: Bearer <key>".' });
    if (parseKey(token) !== 'inference') throw invalidKey();
    const entry = await resolveKeyHash(c.env, await sha256Hex(token), (p) => c.executionCtx.waitUntil(p));
    if (entry?.kind !== 'inference') throw invalidKey();
    c.set('apiKey', entry);
    await next();
  };
}
