/**
 * @module routes/api/organizations
 * Organisations, members and invitations.
 * - `/api/organizations`: the organisations the signed-in user belongs to (for the switcher), and
 *   creating one (the creator is its owner). Session only.
 * - `/api/invitations/accept`: accepting an invitation from its mail. Session only.
 * - `/api/account/members` and `/api/account/invitations`: the members of the organisation the
 *   request acts on (x-gateway-organization), their roles, removal, and invitations by e-mail.
 * Role rules (auth/organizations.ts): admins manage members, only owners make or remove owners,
 * the last owner stays; a removed member's keys stay, owned by the organisation.
 */
import type { Context } from 'hono';
import { acceptInvitation, invite, listInvitations, revokeInvitation } from '../../auth/invitations';
import { changeRole, createOrganization, listMembers, organizationsOf, removeMember } from '../../auth/organizations';
import { ROLES, type Role } from '../../auth/roles';
import type { AppEnv, SessionInfo } from '../../env';
import { ApiError } from '../../errors';
import { assertCsrf, loadSession } from '../../middleware/session';
import { accountObject } from '../../services/accounts';
import { caller } from './caller';
import { apiRouter, defineRoute, json, jsonBody, z } from './contract';

const TAGS = ['Organisations'];
const RoleEnum = z
  .enum(ROLES as unknown as [Role, ...Role[]])
  .describe(
    'viewer: reads everything; developer: also manages the keys of their projects; ' +
      'admin: also billing, budgets, members, projects, notifications; owner: also owners.',
  );
const Name = z.string().trim().min(1).max(100);
const UserIdParam = z.object({ userId: z.string().min(1).max(200) });
const InvitationIdParam = z.object({ id: z.string().min(1).max(200) });

const OrganizationView = z
  .object({ id: z.string(), name: z.string(), role: RoleEnum, personal: z.boolean().describe('The organisation created for you at sign-up.') })
  .openapi('Organization');
const MemberView = z
  .object({ userId: z.string(), email: z.string(), name: z.string(), role: RoleEnum, joinedAt: z.number().int(), projectIds: z.array(z.string()) })
  .openapi('Member');
const InvitationView = z
  .object({
    id: z.string(),
    email: z.string(),
    role: RoleEnum,
    projectIds: z.array(z.string()),
    invitedBy: z.string().nullable(),
    createdAt: z.number().int(),
    expiresAt: z.number().int(),
    acceptedAt: z.number().int().nullable(),
    revokedAt: z.number().int().nullable(),
    state: z.enum(['pending', 'accepted', 'revoked', 'expired']),
  })
  .openapi('Invitation');

/** The signed-in user of a session-only route (CSRF checked on unsafe methods). */
async function sessionUser(c: Context<AppEnv>): Promise<SessionInfo['user']> {
  const session = await loadSession(c);
  if (!session) throw new ApiError({ code: 'unauthorized', message: 'Sign in first.' });
  await assertCsrf(c, session);
  return session.user;
}

const listOrgs = defineRoute('session', {
  method: 'get',
  path: '/',
  tags: TAGS,
  summary: 'The organisations you belong to, with your role in each (send one’s id as x-gateway-organization)',
  responses: { 200: json(z.object({ organizations: z.array(OrganizationView) }), 'Your organisations') },
});
const createOrg = defineRoute('session', {
  method: 'post',
  path: '/',
  tags: TAGS,
  summary: 'Create an organisation (you are its owner)',
  request: { body: jsonBody(z.object({ name: Name }).strict()) },
  responses: { 201: json(z.object({ organization: OrganizationView }), 'The new organisation') },
});

export const organizationRoutes = apiRouter()
  .openapi(listOrgs, async (c) => c.json({ organizations: await organizationsOf(c.env, (await sessionUser(c)).id) }, 200))
  .openapi(createOrg, async (c) => {
    const user = await sessionUser(c);
    const mine = await organizationsOf(c.env, user.id);
    if (mine.filter((o) => o.role === 'owner').length >= 20) {
      throw new ApiError({ code: 'conflict', message: 'You own 20 organisations already.' });
    }
    return c.json({ organization: await createOrganization(c.env, user.id, c.req.valid('json').name) }, 201);
  });

const accept = defineRoute('session', {
  method: 'post',
  path: '/',
  tags: TAGS,
  summary: 'Accept an invitation (the token from its mail) as the signed-in user, whose verified address it was sent to',
  request: { body: jsonBody(z.object({ token: z.string().min(10).max(200) }).strict()) },
  responses: { 200: json(z.object({ organization: OrganizationView }), 'You are a member now') },
});

export const acceptInvitationRoutes = apiRouter().openapi(accept, async (c) => {
  const user = await sessionUser(c);
  const joined = await acceptInvitation(c.env, c.req.valid('json').token, user);
  const account = accountObject(c.env, joined.accountId);
  for (const projectId of joined.projectIds) {
    const project = await account.getProject(projectId);
    if (project) await account.updateProject(projectId, { members: [...project.members, user.id] });
  }
  const organization = (await organizationsOf(c.env, user.id)).find((o) => o.id === joined.accountId);
  return c.json({ organization: organization ?? { id: joined.accountId, name: joined.name, role: joined.role, personal: false } }, 200);
});

const listMembersRoute = defineRoute('management', {
  method: 'get',
  path: '/',
  tags: TAGS,
  summary: 'The members of the organisation, with their roles and projects',
  responses: { 200: json(z.object({ members: z.array(MemberView) }), 'Members') },
});
const changeRoleRoute = defineRoute('management', {
  method: 'patch',
  path: '/{userId}',
  tags: TAGS,
  summary: 'Change a member’s role (only an owner makes or unmakes owners; the last owner stays)',
  request: { params: UserIdParam, body: jsonBody(z.object({ role: RoleEnum }).strict()) },
  responses: { 200: json(z.object({ member: MemberView }), 'The member') },
});
const removeMemberRoute = defineRoute('management', {
  method: 'delete',
  path: '/{userId}',
  tags: TAGS,
  role: 'viewer',
  summary: 'Remove a member, or leave (your own id; any role). Their keys stay in the organisation; the last owner cannot leave',
  request: { params: UserIdParam },
  responses: { 200: json(z.object({ removed: z.literal(true), userId: z.string() }), 'Removed') },
});

async function membersWithProjects(c: Context<AppEnv>, accountId: string) {
  const [members, projects] = await Promise.all([listMembers(c.env, accountId), accountObject(c.env, accountId).listProjects()]);
  return members.map((m) => ({ ...m, projectIds: projects.filter((p) => p.members.includes(m.userId)).map((p) => p.id) }));
}

export const memberRoutes = apiRouter()
  .openapi(listMembersRoute, async (c) => c.json({ members: await membersWithProjects(c, caller(c).accountId) }, 200))
  .openapi(changeRoleRoute, async (c) => {
    const { accountId, role } = caller(c);
    const { userId } = c.req.valid('param');
    await changeRole(c.env, accountId, role, userId, c.req.valid('json').role);
    const member = (await membersWithProjects(c, accountId)).find((m) => m.userId === userId);
    if (!member) throw new ApiError({ code: 'not_found', message: `No member '${userId}' in this organisation.` });
    return c.json({ member }, 200);
  })
  .openapi(removeMemberRoute, async (c) => {
    const { accountId, role, userId: actor } = caller(c);
    const { userId } = c.req.valid('param');
    await removeMember(c.env, accountId, { userId: actor ?? undefined, role }, userId);
    await accountObject(c.env, accountId).removeMember(userId);
    return c.json({ removed: true as const, userId }, 200);
  });

const listInvites = defineRoute('management', {
  method: 'get',
  path: '/',
  tags: TAGS,
  role: 'admin',
  summary: 'The organisation’s invitations, newest first',
  responses: { 200: json(z.object({ invitations: z.array(InvitationView) }), 'Invitations') },
});
const createInvite = defineRoute('management', {
  method: 'post',
  path: '/',
  tags: TAGS,
  summary: 'Invite someone by e-mail (the link expires in 7 days; inviting an owner needs an owner)',
  request: {
    body: jsonBody(
      z
        .object({
          email: z.email().max(254),
          role: RoleEnum.default('developer'),
          projectIds: z.array(z.string().min(1).max(64)).max(50).default([]).describe('Projects the member joins on acceptance.'),
        })
        .strict(),
    ),
  },
  responses: { 201: json(z.object({ invitation: InvitationView }), 'Invited; the mail is sent') },
});
const revokeInvite = defineRoute('management', {
  method: 'delete',
  path: '/{id}',
  tags: TAGS,
  summary: 'Revoke a pending invitation (its link stops working)',
  request: { params: InvitationIdParam },
  responses: { 200: json(z.object({ invitation: InvitationView }), 'The invitation') },
});

export const invitationRoutes = apiRouter()
  .openapi(listInvites, async (c) => c.json({ invitations: await listInvitations(c.env, caller(c).accountId) }, 200))
  .openapi(createInvite, async (c) => {
    const { accountId, role, userId } = caller(c);
    const body = c.req.valid('json');
    if (body.role === 'owner' && role !== 'owner') throw new ApiError({ code: 'forbidden', message: 'Only an owner can invite an owner.' });
    const account = accountObject(c.env, accountId);
    for (const projectId of body.projectIds) {
      if (!(await account.getProject(projectId))) {
        throw new ApiError({ code: 'invalid_request', param: 'projectIds', message: `projectIds: no project '${projectId}' in this organisation.` });
      }
    }
    const org = await c.env.DB.prepare('SELECT id, name FROM accounts WHERE id = ?').bind(accountId).first<{ id: string; name: string }>();
    const session = await loadSession(c);
    const inviterName = session?.user.name || session?.user.email || 'An administrator';
    const invitation = await invite(c.env, org ?? { id: accountId, name: accountId }, { ...body, invitedBy: userId, inviterName });
    return c.json({ invitation }, 201);
  })
  .openapi(revokeInvite, async (c) => {
    const { id } = c.req.valid('param');
    const invitation = await revokeInvitation(c.env, caller(c).accountId, id);
    if (!invitation) throw new ApiError({ code: 'not_found', message: `No invitation '${id}' in this organisation.` });
    return c.json({ invitation }, 200);
  });
