/**
 * @module routes/api/keys
 * `/api/account/keys`: the organisation's inference keys, each in a project. Developers and up
 * manage keys; a developer only those of their projects (another project's key is simply not
 * found, as is another organisation's: the lookup happens inside the caller's own account object).
 */
import type { Context } from 'hono';
import type { KeyLimits, KeyRecord } from '../../durable-objects/account/types';
import { DEFAULT_PROJECT_ID } from '../../durable-objects/account/types';
import type { AppEnv } from '../../env';
import { ApiError } from '../../errors';
import { accountObject, issueKey, NO_LIMITS } from '../../services/accounts';
import { caller, callerAccount, visibleProjects } from './caller';
import { apiRouter, defineRoute, IdParam, json, jsonBody, z } from './contract';
import { CreateKeyInput, KeyView, keyView, UpdateKeyInput } from './schemas';

const notFound = (id: string) => new ApiError({ code: 'not_found', message: `No key '${id}' in this organisation.` });
const noProject = (id: string) =>
  new ApiError({ code: 'invalid_request', param: 'projectId', message: `projectId: no project '${id}' in this organisation that you work in.` });

/** One inference key the caller may see, or 404. */
async function visibleKey(c: Context<AppEnv>, id: string): Promise<KeyRecord> {
  const [key, projects] = await Promise.all([accountObject(c.env, callerAccount(c)).getKey(id), visibleProjects(c)]);
  if (key?.kind !== 'inference' || (projects && !projects.includes(key.projectId ?? ''))) throw notFound(id);
  return key;
}

/** A project the caller may put keys in: a developer only their own. */
async function assertProjectUsable(c: Context<AppEnv>, projectId: string): Promise<void> {
  const projects = await visibleProjects(c);
  if (projects && !projects.includes(projectId)) throw noProject(projectId);
}

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
  summary: 'List the API keys (a developer: those of their projects)',
  request: { query: z.object({ projectId: z.string().min(1).max(64).optional().describe('Only this project’s keys.') }) },
  responses: { 200: json(z.object({ keys: z.array(KeyView) }), 'Your inference keys') },
});
const create = defineRoute('management', {
  method: 'post',
  path: '/',
  role: 'developer',
  summary: 'Create an API key (the secret is returned once)',
  request: { body: jsonBody(CreateKeyInput) },
  responses: {
    201: json(OneKey.extend({ secret: z.string().describe('The key itself, shown only in this response.'), note: z.string() }), 'The new key and its secret'),
  },
});
const get = defineRoute('management', {
  method: 'get',
  path: '/{id}',
  role: 'developer',
  summary: 'One API key',
  request: { params: IdParam },
  responses: { 200: oneKey },
});
const update = defineRoute('management', {
  method: 'patch',
  path: '/{id}',
  role: 'developer',
  summary: "Edit a key's name and limits (effective on the next request)",
  request: { params: IdParam, body: jsonBody(UpdateKeyInput) },
  responses: { 200: oneKey },
});
const revoke = defineRoute('management', {
  method: 'post',
  path: '/{id}/revoke',
  role: 'developer',
  summary: 'Revoke a key (effective on the next request)',
  request: { params: IdParam },
  responses: { 200: oneKey },
});
const remove = defineRoute('management', {
  method: 'delete',
  path: '/{id}',
  role: 'developer',
  summary: 'Revoke a key (same as POST …/revoke)',
  request: { params: IdParam },
  responses: { 200: oneKey },
});

/** Revokes one of the caller's inference keys (idempotent). */
async function revokeOwn(c: Context<AppEnv>, id: string) {
  const existing = await visibleKey(c, id);
  const key = await accountObject(c.env, callerAccount(c)).revokeKey(existing.id);
  return { key: keyView(key ?? existing) };
}

export const keyRoutes = apiRouter()
  .openapi(list, async (c) => {
    const { projectId } = c.req.valid('query');
    const [keys, projects] = await Promise.all([accountObject(c.env, callerAccount(c)).listKeys('inference'), visibleProjects(c)]);
    const shown = keys.filter((k) => (!projects || projects.includes(k.projectId ?? '')) && (!projectId || k.projectId === projectId));
    return c.json({ keys: shown.map(keyView) }, 200);
  })
  .openapi(create, async (c) => {
    const { name, projectId: named, ...limits } = normaliseLimits(c.req.valid('json'));
    const { accountId, userId } = caller(c);
    const mine = await visibleProjects(c);
    const projectId = named ?? mine?.[0] ?? DEFAULT_PROJECT_ID;
    await assertProjectUsable(c, projectId);
    // The project's default limits fill what the request left out (an explicit null stays "no limit").
    const unset = (Object.keys(NO_LIMITS) as Array<keyof KeyLimits>).filter((field) => !(field in limits));
    const issued = await issueKey(c.env, accountId, 'inference', name, { ...NO_LIMITS, ...limits }, { projectId, createdBy: userId, unset });
    if (!issued) throw noProject(projectId);
    return c.json({ key: keyView(issued.key), secret: issued.secret, note: 'Store this key now: it is shown only once.' }, 201);
  })
  .openapi(get, async (c) => c.json({ key: keyView(await visibleKey(c, c.req.valid('param').id)) }, 200))
  .openapi(update, async (c) => {
    const { id } = c.req.valid('param');
    const patch = normaliseLimits(c.req.valid('json'));
    const existing = await visibleKey(c, id);
    if (patch.projectId) await assertProjectUsable(c, patch.projectId);
    const key = await accountObject(c.env, callerAccount(c)).updateKey(existing.id, patch);
    if (!key) throw patch.projectId ? noProject(patch.projectId) : notFound(id);
    return c.json({ key: keyView(key) }, 200);
  })
  .openapi(revoke, async (c) => c.json(await revokeOwn(c, c.req.valid('param').id), 200))
  .openapi(remove, async (c) => c.json(await revokeOwn(c, c.req.valid('param').id), 200));
