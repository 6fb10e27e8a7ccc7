/**
 * @module routes/api/validate
 * Validation for management routes: zod schemas, failures rendered through the one error
 * renderer as `invalid_request` (or `invalid_json`) with the offending field named.
 */
import type { Context } from 'hono';
import type { z } from 'zod';
import type { AppEnv } from '../../env';
import { ApiError } from '../../errors';

function fail(error: z.ZodError): never {
  const issue = error.issues[0];
  const path = issue?.path.join('.') ?? '';
  throw new ApiError({ code: 'invalid_request', message: path ? `${path}: ${issue.message}` : (issue?.message ?? 'Invalid request.'), ...(path ? { param: path } : {}) });
}

/** Parses and validates the JSON body. */
export async function jsonBody<S extends z.ZodType>(c: Context<AppEnv>, schema: S): Promise<z.infer<S>> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw new ApiError({ code: 'invalid_json', message: 'Request body is not valid JSON.' });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) fail(parsed.error);
  return parsed.data;
}

/** Validates the query string. */
export function queryParams<S extends z.ZodType>(c: Context<AppEnv>, schema: S): z.infer<S> {
  const parsed = schema.safeParse(c.req.query());
  if (!parsed.success) fail(parsed.error);
  return parsed.data;
}
