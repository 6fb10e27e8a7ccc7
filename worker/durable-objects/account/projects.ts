/**
 * @module account/projects
 * The organisation's projects, kept in its account object because admission reads them: a key may
 * use only the models both it and its project allow, and an edit takes effect on the next request
 * (the object is the only writer, so the in-memory copy is exact). Every organisation has the
 * default project (created by migration V11); it cannot be deleted.
 */
import { newId } from '../../lib/ids';
import { DEFAULT_PROJECT_ID, type Project, type ProjectInput, type ProjectKeyDefaults } from './types';

type Row = Record<string, SqlStorageValue>;

function rowToProject(row: Row): Project {
  return {
    id: String(row.id),
    name: String(row.name),
    allowedServices: row.allowed_services === null ? null : (JSON.parse(String(row.allowed_services)) as string[]),
    keyDefaults: JSON.parse(String(row.key_defaults)) as ProjectKeyDefaults,
    members: JSON.parse(String(row.members)) as string[],
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

/** Why a project could not be deleted. */
export type ProjectRemoval = 'removed' | 'not_found' | 'default' | 'has_keys';

export class ProjectBook {
  private byId: Map<string, Project> | null = null;

  /** Every project, the default first, then by creation. */
  list(sql: SqlStorage): Project[] {
    return [...this.map(sql).values()];
  }

  get(sql: SqlStorage, projectId: string | null): Project | null {
    return projectId === null ? null : (this.map(sql).get(projectId) ?? null);
  }

  /** The projects a member works in. */
  ofMember(sql: SqlStorage, userId: string): Project[] {
    return this.list(sql).filter((p) => p.members.includes(userId));
  }

  create(sql: SqlStorage, input: ProjectInput, now: number): Project {
    const id = newId('proj');
    sql.exec(
      'INSERT INTO projects (id, name, allowed_services, key_defaults, members, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      id,
      input.name,
      input.allowedServices ? JSON.stringify(input.allowedServices) : null,
      JSON.stringify(input.keyDefaults),
      JSON.stringify([...new Set(input.members)]),
      now,
      now,
    );
    this.byId = null;
    return this.get(sql, id) as Project;
  }

  update(sql: SqlStorage, projectId: string, patch: Partial<ProjectInput>, now: number): Project | null {
    const before = this.get(sql, projectId);
    if (!before) return null;
    const next = { ...before, ...patch };
    sql.exec(
      'UPDATE projects SET name = ?, allowed_services = ?, key_defaults = ?, members = ?, updated_at = ? WHERE id = ?',
      next.name,
      next.allowedServices ? JSON.stringify(next.allowedServices) : null,
      JSON.stringify(next.keyDefaults),
      JSON.stringify([...new Set(next.members)]),
      now,
      projectId,
    );
    this.byId = null;
    return this.get(sql, projectId);
  }

  /** Deletes an empty project (no active keys); the default project stays. */
  remove(sql: SqlStorage, projectId: string): ProjectRemoval {
    if (projectId === DEFAULT_PROJECT_ID) return 'default';
    if (!this.get(sql, projectId)) return 'not_found';
    const active = sql.exec<{ n: number }>("SELECT count(*) AS n FROM keys WHERE project_id = ? AND status = 'active'", projectId).one().n;
    if (active > 0) return 'has_keys';
    sql.exec('DELETE FROM projects WHERE id = ?', projectId);
    this.byId = null;
    return 'removed';
  }

  /** Takes a removed member out of every project (their keys stay, owned by the organisation). */
  removeMember(sql: SqlStorage, userId: string, now: number): void {
    for (const p of this.ofMember(sql, userId)) {
      this.update(sql, p.id, { members: p.members.filter((m) => m !== userId) }, now);
    }
  }

  private map(sql: SqlStorage): Map<string, Project> {
    if (!this.byId) {
      const rows = sql.exec<Row>("SELECT * FROM projects ORDER BY id = 'proj_default' DESC, created_at, id").toArray();
      this.byId = new Map(rows.map((r) => [String(r.id), rowToProject(r)]));
    }
    return this.byId;
  }
}
