/**
 * @module pages/projects/Projects
 * Projects: every key is in one. Each names the models its keys may use, the limits new keys get
 * by default, and its members. Admins and owners create, edit and delete them; a developer sees
 * only their own.
 */
import { useState } from 'react';
import { api } from '../../api/client';
import { memberName, PROJECTS, useMembers, useProjects } from '../../api/organization-data';
import { atLeast } from '../../api/roles';
import { useRole } from '../../api/session';
import type { Project, ProjectInput } from '../../api/types';
import { useAction } from '../../api/use-action';
import { actionsColumn, DataTable, resourceState, type Column } from '../../components/DataTable';
import { ConfirmDialog, Dialog } from '../../components/Dialog';
import { PageHeader } from '../../components/PageHeader';
import { formatDate, isoTime } from '../../lib/time';
import { ProjectForm } from './ProjectForm';
import { ProjectKeys } from './ProjectKeys';
import { EMPTY_PROJECT_FORM, keyDefaultsWords, valuesFromProject } from './project-form-values';

const projectPath = (id: string) => `${PROJECTS}/${encodeURIComponent(id)}`;

/** /projects */
export function ProjectsPage() {
  const role = useRole();
  const admin = atLeast(role, 'admin');
  const projects = useProjects();
  const members = useMembers();
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<Project | null>(null);
  const [deleting, setDeleting] = useState<Project | null>(null);
  const [viewing, setViewing] = useState<Project | null>(null);
  const removal = useAction();
  const memberList = members.data?.members;

  async function create(input: ProjectInput) {
    await api<{ project: Project }>(PROJECTS, { method: 'POST', body: input });
    setCreating(false);
    projects.reload();
  }

  async function update(input: ProjectInput) {
    if (!editing) return;
    await api<{ project: Project }>(projectPath(editing.id), { method: 'PATCH', body: input });
    setEditing(null);
    projects.reload();
  }

  function remove() {
    if (!deleting) return;
    void removal.run(async () => {
      await api(projectPath(deleting.id), { method: 'DELETE' });
      setDeleting(null);
      projects.reload();
    });
  }

  const memberNames = (p: Project) => p.members.map((id) => memberName(id, memberList)).join(', ');
  const columns: Column<Project>[] = [
    {
      key: 'name',
      header: 'Name',
      sortValue: (p) => p.name,
      csv: { name: (p) => p.name, id: (p) => p.id, created_at: (p) => isoTime(p.createdAt) },
      cell: (p) => (
        <>
          <strong>{p.name}</strong>
          {p.default && <span className="badge">default</span>}
          <div className="sub">Created {formatDate(p.createdAt)}</div>
        </>
      ),
    },
    {
      key: 'models',
      header: 'Allowed models',
      cell: (p) => p.allowedServices?.join(', ') ?? 'All models',
      csv: { allowed_models: (p) => p.allowedServices?.join(' ') ?? '' },
    },
    {
      key: 'defaults',
      header: 'Key defaults',
      className: 'limits',
      cell: (p) => keyDefaultsWords(p.keyDefaults),
      csv: { key_defaults: (p) => keyDefaultsWords(p.keyDefaults) },
    },
    { key: 'members', header: 'Members', cell: (p) => memberNames(p) || '—', sortValue: (p) => p.members.length, csv: { members: memberNames } },
    actionsColumn<Project>((p) => (
      <>
        <button type="button" className="secondary small" onClick={() => setViewing(p)} aria-label={`Keys of ${p.name}`}>
          Keys
        </button>
        {admin && (
          <button type="button" className="secondary small" onClick={() => setEditing(p)} aria-label={`Edit ${p.name}`}>
            Edit
          </button>
        )}
        {admin && !p.default && (
          <button
            type="button"
            className="danger-outline small"
            aria-label={`Delete ${p.name}`}
            onClick={() => {
              removal.setError(null);
              setDeleting(p);
            }}
          >
            Delete
          </button>
        )}
      </>
    )),
  ];

  return (
    <>
      <PageHeader
        title="Projects"
        description="Every key is in a project: the project limits which models its keys may call and what limits new keys get, and who works on them."
        actions={
          admin && (
            <button type="button" className="primary" onClick={() => setCreating(true)}>
              New project
            </button>
          )
        }
      />
      <section className="card flush">
        <DataTable
          columns={columns}
          rows={projects.data?.projects}
          rowKey={(p) => p.id}
          {...resourceState(projects)}
          loadingText="Loading projects…"
          csvName="projects"
          empty={admin ? 'No projects yet.' : 'You are in no project yet: ask an admin to add you to one.'}
        />
      </section>

      <Dialog open={creating} title="New project" onClose={() => setCreating(false)}>
        <ProjectForm initial={EMPTY_PROJECT_FORM} members={memberList} submitLabel="Create project" onSubmit={create} onCancel={() => setCreating(false)} />
      </Dialog>
      <Dialog open={editing !== null} title={`Edit “${editing?.name ?? ''}”`} onClose={() => setEditing(null)}>
        {editing && (
          <ProjectForm
            key={editing.id}
            initial={valuesFromProject(editing)}
            members={memberList}
            submitLabel="Save changes"
            onSubmit={update}
            onCancel={() => setEditing(null)}
          />
        )}
      </Dialog>
      <Dialog open={viewing !== null} wide title={`Keys in “${viewing?.name ?? ''}”`} onClose={() => setViewing(null)}>
        {viewing && <ProjectKeys key={viewing.id} project={viewing} members={memberList} />}
        <div className="actions">
          <button type="button" className="secondary" onClick={() => setViewing(null)}>
            Close
          </button>
        </div>
      </Dialog>
      <ConfirmDialog
        open={deleting !== null}
        title="Delete this project?"
        confirmLabel="Delete project"
        busy={removal.busy}
        error={removal.error}
        onConfirm={remove}
        onClose={() => setDeleting(null)}
      >
        <p>“{deleting?.name}” is deleted. A project that still has active keys cannot be: revoke them or move them to another project first.</p>
      </ConfirmDialog>
    </>
  );
}
