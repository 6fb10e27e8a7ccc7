/**
 * @module pages/keys/Keys
 * API keys: create in a project (secret shown once), list by project, edit limits or move to
 * another project, revoke with confirmation. Developers and up manage keys; viewers only read.
 */
import { useState } from 'react';
import { api, errorText, query } from '../../api/client';
import { defaultProjectId, projectName, useProjects } from '../../api/organization-data';
import { atLeast } from '../../api/roles';
import { useRole } from '../../api/session';
import type { KeyInput, KeyView, Project } from '../../api/types';
import { useResource } from '../../api/use-resource';
import { CopyButton } from '../../components/CopyButton';
import { actionsColumn, DataTable, resourceState, type Column } from '../../components/DataTable';
import { ConfirmDialog, Dialog } from '../../components/Dialog';
import { PageHeader } from '../../components/PageHeader';
import { usdAuto, usdPlain, usdTotal } from '../../lib/money';
import { formatCount, formatDateTime, isoTime, timeValue } from '../../lib/time';
import { KeyForm } from './KeyForm';
import { EMPTY_KEY_FORM, valuesFromKey, withoutUnset } from './key-form-values';

/** A one-line summary of a key's limits. */
function limitsSummary(key: KeyView): string {
  const l = key.limits;
  const parts: string[] = [];
  if (l.allowedServices?.length) parts.push(`models: ${l.allowedServices.join(', ')}`);
  if (l.requestsPerMinute) parts.push(`${formatCount(l.requestsPerMinute)} req/min`);
  if (l.tokensPerMinute) parts.push(...Object.entries(l.tokensPerMinute).map(([m, n]) => `${formatCount(n)} tok/min${m === '*' ? '' : ` (${m})`}`));
  if (l.maxConcurrent) parts.push(`${l.maxConcurrent} concurrent`);
  if (l.spendLimitMicros !== null) parts.push(`${usdAuto(l.spendLimitMicros)} lifetime`);
  if (l.periodSpendLimitMicros !== null) parts.push(`${usdAuto(l.periodSpendLimitMicros)}/${l.period ?? 'month'}`);
  if (key.expiresAt) parts.push(`expires ${formatDateTime(key.expiresAt)}`);
  return parts.length ? parts.join(' · ') : 'No limits';
}

const KEY_COLUMNS: Column<KeyView>[] = [
  {
    key: 'name',
    header: 'Name',
    sortValue: (k) => k.name,
    csv: { name: (k) => k.name, status: (k) => (k.pausedAt && k.status === 'active' ? 'paused' : k.status), created_at: (k) => isoTime(k.createdAt) },
    cell: (k) => (
      <>
        <strong>{k.name}</strong>
        {k.status !== 'active' && <span className="badge">revoked</span>}
        {k.status === 'active' && k.pausedAt && (
          <span className="badge warn" title={k.pausedReason ?? undefined}>
            paused: <a href="/anomalies">resume in Anomalies</a>
          </span>
        )}
        <div className="sub">Created {formatDateTime(k.createdAt)}</div>
      </>
    ),
  },
  {
    key: 'key',
    header: 'Key',
    cell: (k) => (
      <code className="nowrap">
        {k.prefix}…{k.last4}
      </code>
    ),
    csv: { key: (k) => `${k.prefix}…${k.last4}` },
  },
  {
    key: 'last-used',
    header: 'Last used',
    cell: (k) => (k.lastUsedAt ? formatDateTime(k.lastUsedAt) : 'Never'),
    sortValue: (k) => timeValue(k.lastUsedAt),
    csv: { last_used_at: (k) => isoTime(k.lastUsedAt) },
  },
  {
    key: 'spend',
    header: 'Spend',
    align: 'right',
    sortValue: (k) => k.spentMicros,
    csv: { spend_usd: (k) => usdPlain(k.spentMicros), period_spend_usd: (k) => usdPlain(k.periodSpentMicros) },
    cell: (k) => (
      <>
        {usdTotal(k.spentMicros)}
        {k.limits.periodSpendLimitMicros !== null && (
          <div className="sub">
            {usdTotal(k.periodSpentMicros)} this {k.limits.period ?? 'month'}
          </div>
        )}
      </>
    ),
  },
  { key: 'limits', header: 'Limits', className: 'limits', cell: limitsSummary, csv: { limits: limitsSummary } },
];

/** The project column: its name (or id, for a project the caller does not see). */
function projectColumn(projects: Project[] | undefined): Column<KeyView> {
  return {
    key: 'project',
    header: 'Project',
    cell: (k) => projectName(k.projectId, projects),
    sortValue: (k) => projectName(k.projectId, projects),
    csv: { project: (k) => projectName(k.projectId, projects), project_id: (k) => k.projectId ?? '' },
  };
}

/** /keys */
export function KeysPage() {
  const role = useRole();
  const canWrite = atLeast(role, 'developer');
  const projects = useProjects();
  const projectList = projects.data?.projects;
  const [projectFilter, setProjectFilter] = useState('');
  const keys = useResource<{ keys: KeyView[] }>(`/api/account/keys${query({ projectId: projectFilter })}`);
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<KeyView | null>(null);
  const [revoking, setRevoking] = useState<KeyView | null>(null);
  const [revokeBusy, setRevokeBusy] = useState(false);
  const [revokeError, setRevokeError] = useState<string | null>(null);
  const [created, setCreated] = useState<{ name: string; secret: string } | null>(null);

  async function create(input: KeyInput) {
    try {
      const result = await api<{ key: KeyView; secret: string }>('/api/account/keys', { method: 'POST', body: withoutUnset(input) });
      setCreating(false);
      setCreated({ name: result.key.name, secret: result.secret });
      keys.reload();
    } catch (e) {
      throw new Error(errorText(e));
    }
  }

  async function update(input: KeyInput) {
    if (!editing) return;
    try {
      await api(`/api/account/keys/${encodeURIComponent(editing.id)}`, { method: 'PATCH', body: input });
      setEditing(null);
      keys.reload();
    } catch (e) {
      throw new Error(errorText(e));
    }
  }

  async function revoke() {
    if (!revoking) return;
    setRevokeBusy(true);
    setRevokeError(null);
    try {
      await api(`/api/account/keys/${encodeURIComponent(revoking.id)}/revoke`, { method: 'POST' });
      setRevoking(null);
      keys.reload();
    } catch (e) {
      setRevokeError(errorText(e));
    } finally {
      setRevokeBusy(false);
    }
  }

  // Active keys first, each group in the server's order.
  const list = keys.data && [...keys.data.keys.filter((k) => k.status === 'active'), ...keys.data.keys.filter((k) => k.status !== 'active')];
  const [nameColumn, ...otherColumns] = KEY_COLUMNS;
  const columns = [
    nameColumn,
    projectColumn(projectList),
    ...otherColumns,
    actionsColumn<KeyView>(
      (k) =>
        canWrite &&
        k.status === 'active' && (
          <>
            <button type="button" className="secondary small" onClick={() => setEditing(k)}>
              Edit
            </button>
            <button
              type="button"
              className="danger-outline small"
              onClick={() => {
                setRevokeError(null);
                setRevoking(k);
              }}
            >
              Revoke
            </button>
          </>
        ),
    ),
  ];

  return (
    <>
      <PageHeader
        title="API keys"
        description="Keys call the OpenAI-compatible /v1 API. Each is in a project and can carry its own limits."
        actions={
          canWrite && (
            <button
              type="button"
              className="primary"
              onClick={() => {
                setCreated(null);
                setCreating(true);
              }}
            >
              Create key
            </button>
          )
        }
      />

      {created && (
        <section className="card secret-card" aria-label="Your new key">
          <h2>Your new key “{created.name}”</h2>
          <p>
            Copy it now and keep it somewhere safe: <strong>it is shown only once</strong>.
          </p>
          <div className="secret-row">
            <code data-testid="new-key-secret" className="secret">
              {created.secret}
            </code>
            <CopyButton text={created.secret} />
          </div>
          <button type="button" className="link-button" onClick={() => setCreated(null)}>
            Done
          </button>
        </section>
      )}

      <form className="filters card" onSubmit={(e) => e.preventDefault()} aria-label="Filters">
        <div className="field">
          <label htmlFor="keys-project">Project</label>
          <select id="keys-project" value={projectFilter} onChange={(e) => setProjectFilter(e.target.value)}>
            <option value="">All projects</option>
            {projectList?.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </div>
      </form>

      <section className="card flush">
        <DataTable
          columns={columns}
          rows={list}
          rowKey={(k) => k.id}
          rowClassName={(k) => (k.status === 'active' ? '' : 'dim')}
          {...resourceState(keys)}
          loadingText="Loading your keys…"
          csvName="api-keys"
          empty={projectFilter ? 'This project has no keys yet.' : 'There are no API keys yet. Create one to start calling the API.'}
        />
      </section>

      <Dialog open={creating} title="Create an API key" onClose={() => setCreating(false)}>
        <KeyForm
          initial={{ ...EMPTY_KEY_FORM, projectId: projectFilter }}
          projects={projectList}
          creating
          defaultProjectId={defaultProjectId(projectList, role === 'developer')}
          submitLabel="Create"
          onSubmit={create}
          onCancel={() => setCreating(false)}
        />
      </Dialog>
      <Dialog open={editing !== null} title={`Edit “${editing?.name ?? ''}”`} onClose={() => setEditing(null)}>
        {editing && (
          <KeyForm
            key={editing.id}
            initial={valuesFromKey(editing)}
            projects={projectList}
            submitLabel="Save changes"
            onSubmit={update}
            onCancel={() => setEditing(null)}
          />
        )}
      </Dialog>
      <ConfirmDialog
        open={revoking !== null}
        title="Revoke this key?"
        confirmLabel="Revoke key"
        busy={revokeBusy}
        error={revokeError}
        onConfirm={revoke}
        onClose={() => setRevoking(null)}
      >
        <p>
          Requests with{' '}
          <code>
            {revoking?.prefix}…{revoking?.last4}
          </code>{' '}
          (“{revoking?.name}”) will be refused from the next call. This cannot be undone.
        </p>
      </ConfirmDialog>
    </>
  );
}
