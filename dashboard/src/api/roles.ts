/**
 * @module api/roles
 * The roles a member has in an organisation and what each may do, as docs/organizations.md says.
 * The dashboard only hides what a role cannot do; the API refuses it either way.
 */
import type { Role } from './types';

/** Least to most. */
export const ROLES: readonly Role[] = ['viewer', 'developer', 'admin', 'owner'];

/** True when `role` is `least` or above it. */
export function atLeast(role: Role | null | undefined, least: Role): boolean {
  return role ? ROLES.indexOf(role) >= ROLES.indexOf(least) : false;
}

export const ROLE_WORDS: Record<Role, string> = { viewer: 'Viewer', developer: 'Developer', admin: 'Admin', owner: 'Owner' };

/** What each role may do, in one line (the role pickers' hint). */
export const ROLE_HINTS: Record<Role, string> = {
  viewer: 'Reads everything except notification channels and invitations.',
  developer: 'Also creates, edits and revokes keys in their projects.',
  admin: 'Also billing, budgets, projects, members and notifications.',
  owner: 'Also makes and removes owners.',
};

/** The roles `actor` may give a member or an invitation (only an owner gives owner). */
export function assignableRoles(actor: Role | null | undefined): Role[] {
  if (!atLeast(actor, 'admin')) return [];
  return actor === 'owner' ? [...ROLES] : ROLES.filter((r) => r !== 'owner');
}
