/**
 * @module routes/api/keys
 * `/api/account/keys`: the caller's own inference keys. Another account's key id is simply
 * not found (the lookup happens inside the caller's own account object).
 */
import { Hono } from 'hono';
import type { KeyLimits } from '../../durable-objects/account/types';
import type { AppEnv } from '../../env';
import { ApiError } from '../../errors';
import { accountObject, issueKey, NO_LIMITS } from '../../services/accounts';
import { CreateKeyInput, keyView, UpdateKeyInput } from './schemas';
import { jsonBody } from './validate';

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

export const keyRoutes = new Hono<AppEnv>()
  .get('/', async (c) => {
    const keys = await accountObject(c.env, callerAccount(c)).listKeys('inference');
    return c.json({ keys: keys.map(keyView) });
  })
  .post('/', async (c) => {
    const input = normaliseLimits(await jsonBody(c, CreateKeyInput));
    const { name, ...limits } = input;
    const { key, secret } = await issueKey(c.env, callerAccount(c), 'inference', name, { ...NO_LIMITS, ...limits });
    return c.json({ key: keyView(key), secret, note: 'Store this key now: it is shown only once.' }, 201);
  })
  .get('/:id', async (c) => {
    const key = await accountObject(c.env, callerAccount(c)).getKey(c.req.param('id'));
    if (!key || key.kind !== 'inference') throw notFound(c.req.param('id'));
    return c.json({ key: keyView(key) });
  })
  .patch('/:id', async (c) => {
    const patch = normaliseLimits(await jsonBody(c, UpdateKeyInput));
    const account = accountObject(c.env, callerAccount(c));
    const existing = await account.getKey(c.req.param('id'));
    if (!existing || existing.kind !== 'inference') throw notFound(c.req.param('id'));
    const key = await account.updateKey(existing.id, patch);
    if (!key) throw notFound(c.req.param('id'));
    return c.json({ key: keyView(key) });
  })
  .post('/:id/revoke', async (c) => {
    const account = accountObject(c.env, callerAccount(c));
    const existing = await account.getKey(c.req.param('id'));
    if (!existing || existing.kind !== 'inference') throw notFound(c.req.param('id'));
    const key = await account.revokeKey(existing.id);
    return c.json({ key: keyView(key ?? existing) });
  })
  .delete('/:id', async (c) => {
    const account = accountObject(c.env, callerAccount(c));
    const existing = await account.getKey(c.req.param('id'));
    if (!existing || existing.kind !== 'inference') throw notFound(c.req.param('id'));
    const key = await account.revokeKey(existing.id);
    return c.json({ key: keyView(key ?? existing) });
  });

export { callerAccount };
