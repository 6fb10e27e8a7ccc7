/**
 * @module api/organization-data
 * The organisation's projects and members as several pages read them (pickers, names in tables),
 * and their names in plain words.
 */
import type { Member, Project } from './types';
import { type Resource, useResource } from './use-resource';

export const PROJECTS = '/api/account/projects';
export const MEMBERS = '/api/account/members';

/** GET /api/account/projects (a developer: their own). */
export function useProjects(): Resource<{ projects: Project[] }> {
  return useResource<{ projects: Project[] }>(PROJECTS);
}

/** GET /api/account/members. */
export function useMembers(): Resource<{ members: Member[] }> {
  return useResource<{ members: Member[] }>(MEMBERS);
}

/** A project's name, else its id (a project the caller cannot see, or one deleted since). */
export function projectName(id: string | null | undefined, projects: readonly Project[] | undefined): string {
  if (!id) return '—';
  return projects?.find((p) => p.id === id)?.name ?? id;
}

/** A member's name (or address), else the user id (someone who left). */
export function memberName(userId: string | null | undefined, members: readonly Member[] | undefined): string {
  if (!userId) return '—';
  const member = members?.find((m) => m.userId === userId);
  return member ? member.name || member.email : userId;
}

/**
 * The project a new key goes in by default, as the API picks it: a developer's first project,
 * else the default project.
 */
export function defaultProjectId(projects: readonly Project[] | undefined, developer: boolean): string {
  if (!projects?.length) return '';
  if (developer) return projects[0].id;
  return (projects.find((p) => p.default) ?? projects[0]).id;
}
