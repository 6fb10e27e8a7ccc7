/**
 * @module middleware/json-body
 * Every `/api` request body is JSON, checked before any route reads it: a non-empty body must
 * say `Content-Type: application/json` (a body the validators would not look at could otherwise
 * pass as "no body", and a cross-site form post needs no preflight) and must parse. The routes'
 * schemas then validate what it holds (./../routes/api/contract.ts).
 *
 * Routes that read their body raw (provider webhooks, signed over the exact bytes; better-auth,
 * which has its own gate) are mounted under the prefixes in `except`.
 */
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env';
import { ApiError } from '../errors';

const JSON_TYPE = /^application\/([\w.-]+\+)?json\s*(;|$)/i;
const WITH_BODY = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Refuses a non-JSON or malformed body: 400 `invalid_request` or `invalid_json`. */
export function jsonBodies({ except = [] }: { except?: string[] } = {}): MiddlewareHandler<AppEnv> {
  return async function jsonBodiesMiddleware(c, next) {
    if (!WITH_BODY.has(c.req.method) || except.some((prefix) => c.req.path.startsWith(prefix))) return next();
    const text = await c.req.text(); // cached: the route's validator reads the same body
    const type = c.req.header('content-type');
    if (text.length > 0 && !(type && JSON_TYPE.test(type))) {
      throw new ApiError({ code: 'invalid_request', message: 'Send the body as JSON (Content-Type: application/json).' });
    }
    if (text.trim().length > 0) {
      try {
        JSON.parse(text);
      } catch {
        throw new ApiError({ code: 'invalid_json', message: 'Request body is not valid JSON.' });
      }
    } else if (type && JSON_TYPE.test(type)) {
      // JSON declared and nothing sent: the same as sending nothing for a route without a body,
      // and malformed JSON for a route with one (the validator would otherwise parse "").
      throw new ApiError({ code: 'invalid_json', message: 'Request body is not valid JSON (it is empty).' });
    }
    return next();
  };
}
