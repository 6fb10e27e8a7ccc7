/**
 * @module auth/roles
 * A member's role in an organisation, from least to most: viewer (reads everything), developer
 * (also manages the keys of their projects), admin (also billing, budgets, members, projects and
 * notifications), owner (also makes and removes owners). A management key acts as an admin.
 */
export type Role = 'owner' | 'admin' | 'developer' | 'viewer';
export const ROLES: readonly Role[] = ['viewer', 'developer', 'admin', 'owner'];

/** Whether `role` includes everything `min` may do. */
export function atLeast(role: Role, min: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(min);
}
