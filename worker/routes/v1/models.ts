/**
 * @module routes/v1/models
 * `GET /v1/models` (the models this key may use, in OpenAI's list shape) and
 * `GET /v1/models/{model}` (one of them; any other name is 404 `model_not_found`).
 */
import type { Context } from 'hono';
import type { AppEnv } from '../../env';
import { ApiError } from '../../errors';
import { type CatalogService, getCatalog } from '../../services/catalog';

/** The active services this request's key may call, after checking the key is usable. */
async function allowedServices(c: Context<AppEnv>): Promise<CatalogService[]> {
  const { keyId, accountId } = c.get('apiKey');
  const [catalog, { key, accountStatus }] = await Promise.all([
    getCatalog(c.env.DB),
    c.env.ACCOUNT.get(c.env.ACCOUNT.idFromName(accountId)).keyWithAccountStatus(keyId),
  ]);
  if (key?.kind !== 'inference') throw new ApiError({ code: 'invalid_api_key', message: 'Incorrect API key provided.' });
  if (accountStatus !== 'active') throw new ApiError({ code: 'account_suspended', message: 'This account is suspended.' });
  if (key.status !== 'active') throw new ApiError({ code: 'key_revoked', message: 'This API key has been revoked.' });
  if (key.expiresAt !== null && key.expiresAt <= Date.now()) throw new ApiError({ code: 'key_expired', message: 'This API key has expired.' });
  return [...catalog.values()].filter((s) => s.status === 'active' && (!key.allowedServices || key.allowedServices.includes(s.name)));
}

/** OpenAI's Model object. */
const modelView = (s: CatalogService) => ({ id: s.name, object: 'model' as const, created: Math.floor(s.createdAt / 1000), owned_by: 'gateway' });

/** Lists active services the key is allowed to call. */
export async function listModels(c: Context<AppEnv>): Promise<Response> {
  return c.json({ object: 'list', data: (await allowedServices(c)).map(modelView) });
}

/** One model the key may call; unknown and not-allowed names alike are 404, so names do not leak. */
export async function retrieveModel(c: Context<AppEnv>): Promise<Response> {
  const name = c.req.param('model') ?? '';
  const service = (await allowedServices(c)).find((s) => s.name === name);
  if (!service)
    throw new ApiError({
      code: 'model_not_found',
      param: 'model',
      message: `The model '${name.slice(0, 256)}' does not exist or you do not have access to it.`,
    });
  return c.json(modelView(service));
}
