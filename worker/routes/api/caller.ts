/**
 * @module routes/api/caller
 * Who an `/api/account/*` request acts for: the organisation (set by middleware/account-auth.ts),
 * the caller's role in it, and, for a developer, the projects they work in (a developer sees and
 * manages only those projects' keys and usage; every other role sees the whole organisation).
 */
import type { Context } from 'hono';
import type { Role } from '../../auth/roles';
import type { AppEnv } from '../../env';
import { ApiError } from '../../errors';
import { accountObject } from '../../services/accounts';

type Principal = AppEnv['Variables']['principal'];
type Account = Extract<Principal, { kind: 'account' }>;

function accountPrincipal(c: { get(key: 'principal'): Principal }): Account {
  const principal = c.get('principal');
  if (principal.kind !== 'account') throw new ApiError({ code: 'forbidden', message: 'This route acts on your own organisation.' });
  return principal;
}

/** The organisation the request acts on. */
export function callerAccount(c: { get(key: 'principal'): Principal }): string {
  return accountPrincipal(c).accountId;
}

/** The caller's role there and, when signed in, their user id. */
export function caller(c: { get(key: 'principal'): Principal }): { accountId: string; role: Role; userId: string | null } {
  const p = accountPrincipal(c);
  return { accountId: p.accountId, role: p.role, userId: p.userId ?? null };
}

/** The projects the caller may see keys and usage of: a developer's own, or null for all. */
export async function visibleProjects(c: Context<AppEnv>): Promise<string[] | null> {
  const { accountId, role, userId } = caller(c);
  if (role !== 'developer' || !userId) return null;
  const projects = await accountObject(c.env, accountId).listProjects();
  return projects.filter((p) => p.members.includes(userId)).map((p) => p.id);
}
