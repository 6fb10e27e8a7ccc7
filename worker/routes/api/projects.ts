/**
 * @module routes/api/projects
 * `/api/account/projects`: the organisation's projects. Every inference key is in one; a project
 * names the models its keys may use (checked at admission with the key's own list, so an edit
 * applies to the very next request), default limits for its new keys, and its members (developers
 * see and manage only their projects' keys and usage). Admins and owners edit projects; a
 * developer sees only their own. The default project cannot be deleted, nor a project with
 * active keys.
 */
import { roleIn } from '../../auth/organizations';
import type { Project } from '../../durable-objects/account/types';
import type { Env } from '../../env';
import { ApiError } from '../../errors';
import { accountObject } from '../../services/accounts';
import { getCatalog } from '../../services/catalog';
import { caller, visibleProjects } from './caller';
import { apiRouter, defineRoute, IdParam, json, jsonBody, z } from './contract';

const TAGS = ['Projects'];
const MAX_PROJECTS = 100;
const positive = z.number().int().min(1).max(1_000_000_000);
const micros = z.number().int().min(0).max(1_000_000_000_000);

const KeyDefaults = z
  .object({
    requestsPerMinute: positive.nullable(),
    maxConcurrent: positive.nullable(),
    spendLimitMicros: micros.nullable(),
    periodSpendLimitMicros: micros.nullable(),
    period: z.enum(['day', 'month']).nullable(),
  })
  .partial()
  .strict()
  .describe('Limits a new key of this project gets where its request sets none.');
const Fields = z.object({
  name: z.string().trim().min(1).max(100),
  allowedServices: z.array(z.string().min(1).max(200)).max(100).nullable().describe('Model names its keys may use; null: any.'),
  keyDefaults: KeyDefaults,
  members: z.array(z.string().min(1).max(200)).max(500).describe('User ids of the members working in it.'),
});
const CreateProject = Fields.partial({ allowedServices: true, keyDefaults: true, members: true }).strict().openapi('ProjectInput');
const UpdateProject = Fields.partial().strict().openapi('ProjectPatch');
const ProjectView = z
  .object({
    id: z.string(),
    name: z.string(),
    allowedServices: z.array(z.string()).nullable(),
    keyDefaults: KeyDefaults,
    members: z.array(z.string()),
    default: z.boolean().describe('The default project (keys made without a project go here; it cannot be deleted).'),
    createdAt: z.number().int(),
    updatedAt: z.number().int(),
  })
  .openapi('Project');
const OneProject = z.object({ project: ProjectView });

const view = (p: Project) => ({ ...p, default: p.id === 'proj_default' });
const notFound = (id: string) => new ApiError({ code: 'not_found', message: `No project '${id}' in this organisation.` });

/** Allowed models must exist in the catalog; members must belong to the organisation. */
async function check(env: Env, accountId: string, input: { allowedServices?: string[] | null; members?: string[] }): Promise<void> {
  if (input.allowedServices) {
    const catalog = await getCatalog(env.DB);
    const unknown = input.allowedServices.find((m) => !catalog.get(m));
    if (unknown) throw new ApiError({ code: 'invalid_request', param: 'allowedServices', message: `allowedServices: there is no model '${unknown}'.` });
  }
  for (const userId of input.members ?? []) {
    if (!(await roleIn(env, accountId, userId))) {
      throw new ApiError({ code: 'invalid_request', param: 'members', message: `members: '${userId}' is not a member of this organisation.` });
    }
  }
}

const list = defineRoute('management', {
  method: 'get',
  path: '/',
  tags: TAGS,
  summary: 'The projects (a developer: the ones they work in)',
  responses: { 200: json(z.object({ projects: z.array(ProjectView) }), 'Projects') },
});
const create = defineRoute('management', {
  method: 'post',
  path: '/',
  tags: TAGS,
  summary: 'Create a project',
  request: { body: jsonBody(CreateProject) },
  responses: { 201: json(OneProject, 'The project') },
});
const get = defineRoute('management', {
  method: 'get',
  path: '/{id}',
  tags: TAGS,
  summary: 'One project',
  request: { params: IdParam },
  responses: { 200: json(OneProject, 'The project') },
});
const update = defineRoute('management', {
  method: 'patch',
  path: '/{id}',
  tags: TAGS,
  summary: 'Edit a project (allowed models apply to the very next request)',
  request: { params: IdParam, body: jsonBody(UpdateProject) },
  responses: { 200: json(OneProject, 'The project') },
});
const remove = defineRoute('management', {
  method: 'delete',
  path: '/{id}',
  tags: TAGS,
  summary: 'Delete a project without active keys (not the default project)',
  request: { params: IdParam },
  responses: { 200: json(z.object({ deleted: z.literal(true), id: z.string() }), 'Deleted') },
});

export const projectRoutes = apiRouter()
  .openapi(list, async (c) => {
    const [projects, visible] = await Promise.all([accountObject(c.env, caller(c).accountId).listProjects(), visibleProjects(c)]);
    return c.json({ projects: projects.filter((p) => !visible || visible.includes(p.id)).map(view) }, 200);
  })
  .openapi(create, async (c) => {
    const { accountId } = caller(c);
    const body = c.req.valid('json');
    await check(c.env, accountId, body);
    const account = accountObject(c.env, accountId);
    if ((await account.listProjects()).length >= MAX_PROJECTS)
      throw new ApiError({ code: 'conflict', message: `An organisation has at most ${MAX_PROJECTS} projects.` });
    const project = await account.createProject({ allowedServices: null, keyDefaults: {}, members: [], ...body });
    return c.json({ project: view(project) }, 201);
  })
  .openapi(get, async (c) => {
    const { id } = c.req.valid('param');
    const [project, visible] = await Promise.all([accountObject(c.env, caller(c).accountId).getProject(id), visibleProjects(c)]);
    if (!project || (visible && !visible.includes(id))) throw notFound(id);
    return c.json({ project: view(project) }, 200);
  })
  .openapi(update, async (c) => {
    const { accountId } = caller(c);
    const { id } = c.req.valid('param');
    const patch = c.req.valid('json');
    await check(c.env, accountId, patch);
    const project = await accountObject(c.env, accountId).updateProject(id, patch);
    if (!project) throw notFound(id);
    return c.json({ project: view(project) }, 200);
  })
  .openapi(remove, async (c) => {
    const { id } = c.req.valid('param');
    const outcome = await accountObject(c.env, caller(c).accountId).deleteProject(id);
    if (outcome === 'not_found') throw notFound(id);
    if (outcome === 'default') throw new ApiError({ code: 'conflict', reason: 'default_project', message: 'The default project cannot be deleted.' });
    if (outcome === 'has_keys') {
      throw new ApiError({
        code: 'conflict',
        reason: 'project_has_keys',
        message: 'This project still has active keys: revoke them or move them to another project first.',
      });
    }
    return c.json({ deleted: true as const, id }, 200);
  });
