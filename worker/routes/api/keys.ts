/**
 * @module routes/api/keys
 * `/api/account/keys`: the caller's own inference keys. Another account's key id is simply
 * not found (the lookup happens inside the caller's own account object).
 */
import type { Context } from 'hono';
import type { KeyLimits } from '../../durable-objects/account/types';
import type { AppEnv } from '../../env';
import { ApiError } from '../../errors';
import { accountObject, issueKey, NO_LIMITS } from '../../services/accounts';
import { apiRouter, defineRoute, IdParam, json, jsonBody, z } from './contract';
import { CreateKeyInput, KeyView, keyView, UpdateKeyInput } from './schemas';

function callerAccount(c: { get(key: 'principal'): AppEnv['Variables']['principal'] }): string {
  const principal = c.get('principal');
  if (principal.kind !== 'account') throw new ApiError({ code: 'forbidden', message: 'This route acts on your own account.' });
  return principal.accountId;
}

const notFound = (id: string) => new ApiError({ code: 'not_found', message: `No key '${id}' in this account.` });

/** Fills in defaults that depend on other fields. */
function normaliseLimits<T extends Partial<KeyLimits>>(input: T): T {
  if (input.periodSpendLimitMicros != null && input.period == null) return { ...input, period: 'month' };
  return input;
}

const OneKey = z.object({ key: KeyView });
const oneKey = json(OneKey, 'The key');

const list = defineRoute('management', {
  method: 'get',
  path: '/',
  summary: 'List your API keys',
  responses: { 200: json(z.object({ keys: z.array(KeyView) }), 'Your inference keys') },
});
const create = defineRoute('management', {
  method: 'post',
  path: '/',
  summary: 'Create an API key (the secret is returned once)',
  request: { body: jsonBody(CreateKeyInput) },
  responses: {
    201: json(OneKey.extend({ secret: z.string().describe('The key itself, shown only in this response.'), note: z.string() }), 'The new key and its secret'),
  },
});
const get = defineRoute('management', {
  method: 'get',
  path: '/{id}',
  summary: 'One API key',
  request: { params: IdParam },
  responses: { 200: oneKey },
});
const update = defineRoute('management', {
  method: 'patch',
  path: '/{id}',
  summary: "Edit a key's name and limits (effective on the next request)",
  request: { params: IdParam, body: jsonBody(UpdateKeyInput) },
  responses: { 200: oneKey },
});
const revoke = defineRoute('management', {
  method: 'post',
  path: '/{id}/revoke',
  summary: 'Revoke a key (effective on the next request)',
  request: { params: IdParam },
  responses: { 200: oneKey },
});
const remove = defineRoute('management', {
  method: 'delete',
  path: '/{id}',
  summary: 'Revoke a key (same as POST …/revoke)',
  request: { params: IdParam },
  responses: { 200: oneKey },
});

/** Revokes one of the caller's inference keys (idempotent). */
async function revokeOwn(c: Context<AppEnv>, id: string) {
  const account = accountObject(c.env, callerAccount(c));
  const existing = await account.getKey(id);
  if (existing?.kind !== 'inference') throw notFound(id);
  const key = await account.revokeKey(existing.id);
  return { key: keyView(key ?? existing) };
}

export const keyRoutes = apiRouter()
  .openapi(list, async (c) => {
    const keys = await accountObject(c.env, callerAccount(c)).listKeys('inference');
    return c.json({ keys: keys.map(keyView) }, 200);
  })
  .openapi(create, async (c) => {
    const { name, ...limits } = normaliseLimits(c.req.valid('json'));
    const { key, secret } = await issueKey(c.env, callerAccount(c), 'inference', name, { ...NO_LIMITS, ...limits });
    return c.json({ key: keyView(key), secret, note: 'Store this key now: it is shown only once.' }, 201);
  })
  .openapi(get, async (c) => {
    const { id } = c.req.valid('param');
    const key = await accountObject(c.env, callerAccount(c)).getKey(id);
    if (key?.kind !== 'inference') throw notFound(id);
    return c.json({ key: keyView(key) }, 200);
  })
  .openapi(update, async (c) => {
    const { id } = c.req.valid('param');
    const patch = normaliseLimits(c.req.valid('json'));
    const account = accountObject(c.env, callerAccount(c));
    const existing = await account.getKey(id);
    if (existing?.kind !== 'inference') throw notFound(id);
    const key = await account.updateKey(existing.id, patch);
    if (!key) throw notFound(id);
    return c.json({ key: keyView(key) }, 200);
  })
  .openapi(revoke, async (c) => c.json(await revokeOwn(c, c.req.valid('param').id), 200))
  .openapi(remove, async (c) => c.json(await revokeOwn(c, c.req.valid('param').id), 200));

export { callerAccount };
