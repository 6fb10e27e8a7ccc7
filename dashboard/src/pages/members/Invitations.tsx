/**
 * @module pages/members/Invitations
 * The organisation's invitations (admins and owners): who, as what, into which projects, their
 * state, and revoking a pending one.
 */
import { useState } from 'react';
import { api } from '../../api/client';
import { projectName } from '../../api/organization-data';
import { ROLE_WORDS } from '../../api/roles';
import type { Invitation, Project } from '../../api/types';
import { useAction } from '../../api/use-action';
import type { Resource } from '../../api/use-resource';
import { actionsColumn, DataTable, resourceState, type Column } from '../../components/DataTable';
import { ConfirmDialog } from '../../components/Dialog';
import { formatDateTime, isoTime } from '../../lib/time';

const STATE_TONE: Record<Invitation['state'], string> = { pending: 'wait', accepted: 'good', revoked: 'bad', expired: 'bad' };

function columns(projects: Project[] | undefined): Column<Invitation>[] {
  const names = (i: Invitation) => i.projectIds.map((id) => projectName(id, projects)).join(', ');
  return [
    { key: 'email', header: 'Email', cell: (i) => i.email, sortValue: (i) => i.email, csv: { email: (i) => i.email } },
    { key: 'role', header: 'Role', cell: (i) => ROLE_WORDS[i.role], sortValue: (i) => i.role, csv: { role: (i) => i.role } },
    { key: 'projects', header: 'Projects', cell: (i) => names(i) || '—', csv: { projects: names } },
    {
      key: 'state',
      header: 'State',
      cell: (i) => <span className={`status ${STATE_TONE[i.state]}`}>{i.state}</span>,
      sortValue: (i) => i.state,
      csv: { state: (i) => i.state },
    },
    {
      key: 'sent',
      header: 'Sent',
      cell: (i) => (
        <>
          {formatDateTime(i.createdAt)}
          {i.state === 'pending' && <div className="sub">Expires {formatDateTime(i.expiresAt)}</div>}
        </>
      ),
      sortValue: (i) => i.createdAt,
      csv: { created_at: (i) => isoTime(i.createdAt), expires_at: (i) => isoTime(i.expiresAt) },
    },
  ];
}

/** The invitations table with Revoke on pending rows. */
export function InvitationsSection({ invitations, projects }: { invitations: Resource<{ invitations: Invitation[] }>; projects: Project[] | undefined }) {
  const [revoking, setRevoking] = useState<Invitation | null>(null);
  const revoke = useAction();

  function confirm() {
    if (!revoking) return;
    void revoke.run(async () => {
      await api(`/api/account/invitations/${encodeURIComponent(revoking.id)}`, { method: 'DELETE' });
      setRevoking(null);
      invitations.reload();
    });
  }

  const cols = [
    ...columns(projects),
    actionsColumn<Invitation>(
      (i) =>
        i.state === 'pending' && (
          <button
            type="button"
            className="danger-outline small"
            onClick={() => {
              revoke.setError(null);
              setRevoking(i);
            }}
          >
            Revoke
          </button>
        ),
    ),
  ];

  return (
    <section className="card flush">
      <DataTable
        title="Invitations"
        columns={cols}
        rows={invitations.data?.invitations}
        rowKey={(i) => i.id}
        rowClassName={(i) => (i.state === 'pending' ? '' : 'dim')}
        {...resourceState(invitations)}
        loadingText="Loading invitations…"
        csvName="invitations"
        empty="No invitations yet."
      />
      <ConfirmDialog
        open={revoking !== null}
        title="Revoke this invitation?"
        confirmLabel="Revoke invitation"
        busy={revoke.busy}
        error={revoke.error}
        onConfirm={confirm}
        onClose={() => setRevoking(null)}
      >
        <p>The link sent to {revoking?.email} stops working. You can invite the address again later.</p>
      </ConfirmDialog>
    </section>
  );
}
