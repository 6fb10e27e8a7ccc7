/**
 * @module auth/organizations
 * Organisations and their members. An organisation is a billing account (`accounts`); who belongs
 * to it, and as what (./roles.ts), is in D1 `memberships`. An organisation always keeps one owner: the
 * statements that demote or remove an owner check it in the same statement, so two concurrent
 * demotions cannot both pass. Role changes are read from D1 on every request (nothing cached).
 */
import type { Env } from '../env';
import { ApiError } from '../errors';
import { createAccount } from '../services/accounts';
import { atLeast, type Role } from './roles';
import { accountOfUser, ensureBillingAccount } from './users';

export type { Role };

export interface Organization {
  id: string;
  name: string;
  role: Role;
  /** The organisation created for this user at sign-up. */
  personal: boolean;
}

export interface Member {
  userId: string;
  email: string;
  name: string;
  role: Role;
  joinedAt: number;
}

/** The user's role in the organisation, or null when they are not a member. */
export async function roleIn(env: Env, accountId: string, userId: string): Promise<Role | null> {
  const row = await env.DB.prepare('SELECT role FROM memberships WHERE account_id = ? AND user_id = ?').bind(accountId, userId).first<{ role: Role }>();
  return row?.role ?? null;
}

/** Every organisation the user belongs to, the personal one first, then by name. */
export async function organizationsOf(env: Env, userId: string): Promise<Organization[]> {
  const { results } = await env.DB.prepare(
    `SELECT a.id, a.name, m.role, (ua.account_id IS NOT NULL) AS personal
       FROM memberships m JOIN accounts a ON a.id = m.account_id
       LEFT JOIN user_accounts ua ON ua.account_id = m.account_id AND ua.user_id = m.user_id
      WHERE m.user_id = ? ORDER BY personal DESC, a.name, a.id`,
  )
    .bind(userId)
    .all<{ id: string; name: string; role: Role; personal: number }>();
  return results.map((r) => ({ id: r.id, name: r.name, role: r.role, personal: Boolean(r.personal) }));
}

/** Creates an organisation with the user as its owner. */
export async function createOrganization(env: Env, userId: string, name: string): Promise<Organization> {
  const account = await createAccount(env, name);
  await env.DB.prepare('INSERT INTO memberships (account_id, user_id, role, created_at) VALUES (?, ?, ?, ?)')
    .bind(account.id, userId, 'owner', Date.now())
    .run();
  return { id: account.id, name: account.name, role: 'owner', personal: false };
}

/** Adds a member (no change when they already belong: an invitation never lowers or raises a role). */
export async function addMember(env: Env, accountId: string, userId: string, role: Role): Promise<void> {
  await env.DB.prepare('INSERT OR IGNORE INTO memberships (account_id, user_id, role, created_at) VALUES (?, ?, ?, ?)')
    .bind(accountId, userId, role, Date.now())
    .run();
}

export async function listMembers(env: Env, accountId: string): Promise<Member[]> {
  const { results } = await env.DB.prepare(
    `SELECT m.user_id, u.email, u.name, m.role, m.created_at FROM memberships m JOIN auth_user u ON u.id = m.user_id
      WHERE m.account_id = ? ORDER BY m.created_at, u.email`,
  )
    .bind(accountId)
    .all<{ user_id: string; email: string; name: string; role: Role; created_at: number }>();
  return results.map((r) => ({ userId: r.user_id, email: r.email, name: r.name, role: r.role, joinedAt: r.created_at }));
}

/** Another owner remains after this one is demoted or removed (evaluated inside the statement). */
const ANOTHER_OWNER = "(role <> 'owner' OR (SELECT count(*) FROM memberships WHERE account_id = ?1 AND role = 'owner') > 1)";

const lastOwner = () =>
  new ApiError({ code: 'conflict', message: 'An organisation keeps at least one owner: make another member owner first.', reason: 'last_owner' });

/**
 * Changes a member's role. Only an owner makes or unmakes owners; the last owner stays one.
 * Returns the member, or throws not_found / forbidden / conflict.
 */
export async function changeRole(env: Env, accountId: string, actorRole: Role, userId: string, role: Role): Promise<Member> {
  const current = await roleIn(env, accountId, userId);
  if (!current) throw new ApiError({ code: 'not_found', message: `No member '${userId}' in this organisation.` });
  if ((role === 'owner' || current === 'owner') && actorRole !== 'owner') {
    throw new ApiError({ code: 'forbidden', message: 'Only an owner can make or unmake owners.' });
  }
  const res = await env.DB.prepare(`UPDATE memberships SET role = ?2 WHERE account_id = ?1 AND user_id = ?3 AND (?2 = 'owner' OR ${ANOTHER_OWNER})`)
    .bind(accountId, role, userId)
    .run();
  if (res.meta.changes === 0) throw lastOwner();
  return (await listMembers(env, accountId)).find((m) => m.userId === userId) as Member;
}

/**
 * Removes a member (or lets one leave). Their keys stay, owned by the organisation. Only an owner
 * removes another owner; the last owner cannot leave.
 */
export async function removeMember(env: Env, accountId: string, actor: { userId?: string; role: Role }, userId: string): Promise<void> {
  const current = await roleIn(env, accountId, userId);
  if (!current) throw new ApiError({ code: 'not_found', message: `No member '${userId}' in this organisation.` });
  const self = actor.userId === userId;
  if (!self && !atLeast(actor.role, 'admin')) throw new ApiError({ code: 'forbidden', message: 'Removing members needs the admin role.' });
  if (!self && current === 'owner' && actor.role !== 'owner') throw new ApiError({ code: 'forbidden', message: 'Only an owner can remove an owner.' });
  const res = await env.DB.prepare(`DELETE FROM memberships WHERE account_id = ?1 AND user_id = ?2 AND ${ANOTHER_OWNER}`).bind(accountId, userId).run();
  if (res.meta.changes === 0) throw lastOwner();
}

/**
 * The organisation a session request acts on: the one named by `x-gateway-organization` (which
 * the user must belong to: another organisation's id is simply not found), else the user's
 * personal organisation, else the first they belong to.
 */
export async function organizationFor(env: Env, userId: string, requested: string | undefined): Promise<{ accountId: string; role: Role } | null> {
  if (requested) {
    const role = await roleIn(env, requested, userId);
    if (!role) throw new ApiError({ code: 'not_found', message: `No organisation '${requested}' that you belong to.`, param: 'x-gateway-organization' });
    return { accountId: requested, role };
  }
  const row = await env.DB.prepare(
    `SELECT m.account_id, m.role FROM memberships m LEFT JOIN user_accounts ua ON ua.account_id = m.account_id AND ua.user_id = m.user_id
      WHERE m.user_id = ? ORDER BY (ua.account_id IS NOT NULL) DESC, m.created_at LIMIT 1`,
  )
    .bind(userId)
    .first<{ account_id: string; role: Role }>();
  return row ? { accountId: row.account_id, role: row.role } : null;
}

/**
 * The organisation a session acts on (see organizationFor). A user who was never given a personal
 * organisation (created before sign-up made one) gets it now; one who left every organisation gets
 * null.
 */
export async function currentOrganization(
  env: Env,
  user: { id: string; name: string; email: string },
  requested: string | undefined,
): Promise<{ accountId: string; role: Role } | null> {
  const org = await organizationFor(env, user.id, requested);
  if (org || (await accountOfUser(env, user.id))) return org;
  await ensureBillingAccount(env, user);
  return organizationFor(env, user.id, requested);
}

export const noOrganization = () =>
  new ApiError({
    code: 'not_found',
    reason: 'no_organization',
    message: 'You belong to no organisation: create one (POST /api/organizations) or accept an invitation.',
  });

/** The header that names the organisation of a session request. */
export const ORGANIZATION_HEADER = 'x-gateway-organization';
