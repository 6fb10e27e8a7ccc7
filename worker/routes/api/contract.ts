/**
 * @module routes/api/contract
 * How a management route is defined: once, with `defineRoute`, naming who may call it, its
 * request (path, query, JSON body) and its responses as zod schemas (@hono/zod-openapi). The one
 * definition validates the request before the handler runs, types what the handler may answer,
 * and is the route's entry in `/api/openapi.json` (generated in ./openapi.ts).
 *
 * Validation failures are thrown, not answered here: they reach the one error renderer as
 * `invalid_request` naming the field (`"limit: Too big…"`, `param: "limit"`). Bodies are gated
 * before any route sees them by `jsonBodies` (../../middleware/json-body.ts).
 */
import { createRoute, OpenAPIHono, type RouteConfig, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { atLeast, type Role } from '../../auth/roles';
import type { AppEnv } from '../../env';
import { ApiError } from '../../errors';

/** admin: ADMIN_TOKEN or an admin's session; management: an mk-gw- key or a session; session: a member's session only; none: public. */
export type Auth = 'admin' | 'management' | 'session' | 'none';

/** The security requirement of each kind of route (schemes in ./openapi.ts). */
export const SECURITY: Record<Auth, Array<Record<string, string[]>>> = {
  none: [],
  session: [{ session: [] }],
  management: [{ managementKey: [] }, { session: [] }],
  admin: [{ adminToken: [] }, { session: [] }],
};

/** The `/api` error shape (errors.ts renders it). */
export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().describe('A stable code from the closed list, e.g. invalid_request, not_found, forbidden.'),
      message: z.string(),
      requestId: z.string(),
      param: z.string().optional().describe('The request field at fault, when there is one.'),
      reason: z.string().optional(),
    }),
  })
  .openapi('Error');

const ERROR_RESPONSE = { description: 'Error ({error: {code, message, requestId}})', content: { 'application/json': { schema: ErrorBody } } } as const;

/** Throws a zod failure as the gateway's `invalid_request`, naming the first field at fault. */
export function invalid(error: z.ZodError): never {
  const issue = error.issues[0];
  const path = issue?.path.join('.') ?? '';
  throw new ApiError({
    code: 'invalid_request',
    message: path ? `${path}: ${issue.message}` : (issue?.message ?? 'Invalid request.'),
    ...(path ? { param: path } : {}),
  });
}

/** A router of management routes; its definitions join the document when mounted with `route()`. */
export function apiRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) invalid(result.error);
    },
  });
}

/** A JSON response with its schema. */
export function json<S extends z.ZodType>(schema: S, description: string) {
  return { description, content: { 'application/json': { schema } } } as const;
}

/** A required JSON request body. */
export function jsonBody<S extends z.ZodType>(schema: S) {
  return { required: true, content: { 'application/json': { schema } } } as const;
}

/** A CSV download. */
export function csv(description: string) {
  return { description, content: { 'text/csv': { schema: z.string() } } } as const;
}

/** `{id}` in the path. */
export const IdParam = z.object({ id: z.string().min(1).max(200) });

const ROLE_WORDS: Record<Role, string> = { viewer: 'any member', developer: 'developer, admin or owner', admin: 'admin or owner', owner: 'owner' };

/** Refuses an organisation's member whose role is below `min` (403 forbidden, naming both). */
export function requireRole(min: Role): MiddlewareHandler<AppEnv> {
  return async function requireRoleMiddleware(c, next) {
    const principal = c.get('principal');
    if (principal?.kind === 'account' && !atLeast(principal.role, min)) {
      throw new ApiError({
        code: 'forbidden',
        reason: 'role',
        message: `This needs the role ${ROLE_WORDS[min]} in this organisation; you are ${principal.role === 'admin' ? 'an' : 'a'} ${principal.role}.`,
      });
    }
    await next();
  };
}

/**
 * One route: who may call it, and its OpenAPI definition. Every route also documents the error
 * shape as its default response. A management route also names the least role in the organisation
 * that may call it (`role`; by default viewer for reads and admin for writes), checked before the
 * request is validated and stated in the document (`x-gateway-role`). A session-only route has a
 * role gate only when it declares one (those under /api/account do).
 */
export function defineRoute<P extends string, R extends Omit<RouteConfig, 'path' | 'security'> & { path: P; summary: string; role?: Role }>(
  auth: Auth,
  config: R,
) {
  const { role: declared, ...route } = config;
  const role = declared ?? (config.method === 'get' ? 'viewer' : 'admin');
  // A session-only route under /api/account acts on an organisation too, and declares its role.
  const gated = auth === 'management' || (auth === 'session' && declared !== undefined);
  const middleware: MiddlewareHandler<AppEnv>[] = gated ? [requireRole(role)] : [];
  return createRoute({
    ...route,
    middleware,
    'x-gateway-role': gated ? role : undefined,
    security: SECURITY[auth],
    responses: { ...config.responses, default: ERROR_RESPONSE },
  });
}

export { z };
