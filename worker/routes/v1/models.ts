/**
 * @module routes/v1/models
 * `GET /v1/models`: the models this key may use, in OpenAI's list shape.
 */
import type { Context } from 'hono';
import type { AppEnv } from '../../env';
import { ApiError } from '../../errors';
import { getCatalog } from '../../services/catalog';

/** Lists active services the key is allowed to call. */
export async function listModels(c: Context<AppEnv>): Promise<Response> {
  const { keyId, accountId } = c.get('apiKey');
  const [catalog, { key, accountStatus }] = await Promise.all([
    getCatalog(c.env.DB),
    c.env.ACCOUNT.get(c.env.ACCOUNT.idFromName(accountId)).keyWithAccountStatus(keyId),
  ]);
  if (!key || key.kind !== 'inference') throw new ApiError({ code: 'invalid_api_key', message: 'Incorrect API key provided.' });
  if (accountStatus !== 'active') throw new ApiError({ code: 'account_suspended', message: 'This account is suspended.' });
  if (key.status !== 'active') throw new ApiError({ code: 'key_revoked', message: 'This API key has been revoked.' });
  if (key.expiresAt !== null && key.expiresAt <= Date.now()) throw new ApiError({ code: 'key_expired', message: 'This API key has expired.' });
  const data = [...catalog.values()]
    .filter((s) => s.status === 'active' && (!key.allowedServices || key.allowedServices.includes(s.name)))
    .map((s) => ({ id: s.name, object: 'model', created: Math.floor(s.createdAt / 1000), owned_by: 'gateway' }));
  return c.json({ object: 'list', data });
}
