/**
 * @module pages/projects/ProjectKeys
 * One project's keys (GET /api/account/keys?projectId=): who created each, its state and use.
 */
import { query } from '../../api/client';
import { memberName } from '../../api/organization-data';
import type { KeyView, Member, Project } from '../../api/types';
import { useResource } from '../../api/use-resource';
import { DataTable, resourceState, type Column } from '../../components/DataTable';
import { usdTotal } from '../../lib/money';
import { formatDateTime, isoTime, timeValue } from '../../lib/time';

function columns(members: Member[] | undefined): Column<KeyView>[] {
  return [
    {
      key: 'name',
      header: 'Name',
      sortValue: (k) => k.name,
      csv: { name: (k) => k.name, status: (k) => k.status },
      cell: (k) => (
        <>
          <strong>{k.name}</strong>
          {k.status !== 'active' && <span className="badge">revoked</span>}
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
    },
    {
      key: 'created',
      header: 'Created',
      sortValue: (k) => timeValue(k.createdAt),
      csv: { created_at: (k) => isoTime(k.createdAt), created_by: (k) => memberName(k.createdBy, members) },
      cell: (k) => (
        <>
          {formatDateTime(k.createdAt)}
          <div className="sub">by {k.createdBy ? memberName(k.createdBy, members) : 'a management key'}</div>
        </>
      ),
    },
    { key: 'last-used', header: 'Last used', cell: (k) => (k.lastUsedAt ? formatDateTime(k.lastUsedAt) : 'Never'), sortValue: (k) => timeValue(k.lastUsedAt) },
    { key: 'spend', header: 'Spend', align: 'right', cell: (k) => usdTotal(k.spentMicros), sortValue: (k) => k.spentMicros },
  ];
}

/** The keys of `project`, loaded when shown. */
export function ProjectKeys({ project, members }: { project: Project; members: Member[] | undefined }) {
  const keys = useResource<{ keys: KeyView[] }>(`/api/account/keys${query({ projectId: project.id })}`);
  return (
    <DataTable
      columns={columns(members)}
      rows={keys.data?.keys}
      rowKey={(k) => k.id}
      rowClassName={(k) => (k.status === 'active' ? '' : 'dim')}
      {...resourceState(keys)}
      loadingText="Loading the project’s keys…"
      csvName={`keys-${project.name}`}
      empty="No keys in this project yet. Create one on the API keys page."
    />
  );
}
