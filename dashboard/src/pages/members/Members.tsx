/**
 * @module pages/members/Members
 * The organisation's members: their roles (changed in place by admins; owners only by owners),
 * their projects, removing a member or leaving, and inviting people by e-mail.
 */
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { api, errorText } from '../../api/client';
import { projectName, useMembers, useProjects } from '../../api/organization-data';
import { assignableRoles, atLeast, ROLE_WORDS } from '../../api/roles';
import { useMe, useRole, useSession } from '../../api/session';
import type { Invitation, Member, Role } from '../../api/types';
import { useAction } from '../../api/use-action';
import { useResource } from '../../api/use-resource';
import { actionsColumn, DataTable, resourceState, type Column } from '../../components/DataTable';
import { ConfirmDialog, Dialog } from '../../components/Dialog';
import { PageHeader } from '../../components/PageHeader';
import { ErrorNote, Notice } from '../../components/states';
import { formatDate, isoTime } from '../../lib/time';
import { InvitationsSection } from './Invitations';
import { InviteForm } from './InviteForm';

/** Whether `actor` may change `member`'s role or remove them (not oneself: that is leaving). */
function canManage(actor: Role | null, member: Member): boolean {
  return atLeast(actor, 'admin') && (member.role !== 'owner' || actor === 'owner');
}

/** /members */
export function MembersPage() {
  const me = useMe();
  const role = useRole();
  const { switchOrganization } = useSession();
  const navigate = useNavigate();
  const members = useMembers();
  const projects = useProjects();
  const admin = atLeast(role, 'admin');
  const invitations = useResource<{ invitations: Invitation[] }>(admin ? '/api/account/invitations' : null);
  const [inviting, setInviting] = useState(false);
  const [invited, setInvited] = useState<Invitation | null>(null);
  const [removing, setRemoving] = useState<Member | null>(null);
  const [roleError, setRoleError] = useState<string | null>(null);
  const [changing, setChanging] = useState<string | null>(null);
  const removal = useAction();
  const projectList = projects.data?.projects;
  const leaving = removing?.userId === me.user.id;

  async function changeRole(member: Member, next: Role) {
    setRoleError(null);
    setChanging(member.userId);
    try {
      await api(`/api/account/members/${encodeURIComponent(member.userId)}`, { method: 'PATCH', body: { role: next } });
      // Your own role changed: what the dashboard offers changes with it.
      if (member.userId === me.user.id) await switchOrganization(me.organization?.id ?? null);
      else members.reload();
    } catch (e) {
      setRoleError(`${member.name || member.email} keeps the role ${ROLE_WORDS[member.role]}: ${errorText(e)}`);
    } finally {
      setChanging(null);
    }
  }

  function remove() {
    if (!removing) return;
    void removal.run(async () => {
      await api(`/api/account/members/${encodeURIComponent(removing.userId)}`, { method: 'DELETE' });
      setRemoving(null);
      if (!leaving) return members.reload();
      await switchOrganization(null);
      navigate('/');
    });
  }

  const columns: Column<Member>[] = [
    {
      key: 'name',
      header: 'Name',
      sortValue: (m) => m.name || m.email,
      csv: { name: (m) => m.name, user_id: (m) => m.userId },
      cell: (m) => (
        <>
          <strong>{m.name || m.email}</strong>
          {m.userId === me.user.id && <span className="badge">you</span>}
        </>
      ),
    },
    { key: 'email', header: 'Email', cell: (m) => m.email, sortValue: (m) => m.email, csv: { email: (m) => m.email } },
    {
      key: 'role',
      header: 'Role',
      sortValue: (m) => m.role,
      csv: { role: (m) => m.role },
      cell: (m) => {
        const options = assignableRoles(role);
        if (!options.includes(m.role)) options.push(m.role);
        return (
          <select
            aria-label={`Role of ${m.name || m.email}`}
            value={m.role}
            disabled={!canManage(role, m) || changing !== null}
            onChange={(e) => void changeRole(m, e.target.value as Role)}
          >
            {options.map((r) => (
              <option key={r} value={r}>
                {ROLE_WORDS[r]}
              </option>
            ))}
          </select>
        );
      },
    },
    {
      key: 'projects',
      header: 'Projects',
      cell: (m) => m.projectIds.map((id) => projectName(id, projectList)).join(', ') || '—',
      csv: { projects: (m) => m.projectIds.map((id) => projectName(id, projectList)).join(', ') },
    },
    { key: 'joined', header: 'Joined', cell: (m) => formatDate(m.joinedAt), sortValue: (m) => m.joinedAt, csv: { joined_at: (m) => isoTime(m.joinedAt) } },
    actionsColumn<Member>((m) => {
      const self = m.userId === me.user.id;
      if (!self && !canManage(role, m)) return null;
      return (
        <button
          type="button"
          className="danger-outline small"
          onClick={() => {
            removal.setError(null);
            setRemoving(m);
          }}
        >
          {self ? 'Leave' : 'Remove'}
        </button>
      );
    }),
  ];

  return (
    <>
      <PageHeader
        title="Members"
        description={`The people in ${me.organization?.name ?? 'this organisation'} and what each may do.`}
        actions={
          admin && (
            <button
              type="button"
              className="primary"
              onClick={() => {
                setInvited(null);
                setInviting(true);
              }}
            >
              Invite member
            </button>
          )
        }
      />
      {invited && <Notice>An invitation is on its way to {invited.email}. The link in it works for 7 days.</Notice>}
      {roleError && <ErrorNote message={roleError} />}

      <section className="card flush">
        <DataTable
          columns={columns}
          rows={members.data?.members}
          rowKey={(m) => m.userId}
          {...resourceState(members)}
          loadingText="Loading members…"
          csvName="members"
          empty="No members."
        />
      </section>

      {admin && <InvitationsSection invitations={invitations} projects={projectList} />}

      <Dialog open={inviting} title="Invite a member" onClose={() => setInviting(false)}>
        <InviteForm
          actorRole={role}
          projects={projectList}
          onInvited={(invitation) => {
            setInviting(false);
            setInvited(invitation);
            invitations.reload();
          }}
          onCancel={() => setInviting(false)}
        />
      </Dialog>
      <ConfirmDialog
        open={removing !== null}
        title={leaving ? 'Leave this organisation?' : 'Remove this member?'}
        confirmLabel={leaving ? 'Leave organisation' : 'Remove member'}
        busy={removal.busy}
        error={removal.error}
        onConfirm={remove}
        onClose={() => setRemoving(null)}
      >
        {leaving ? (
          <p>You lose access to {me.organization?.name ?? 'it'} from the next request. The keys you created stay, owned by the organisation.</p>
        ) : (
          <p>
            {removing?.name || removing?.email} loses access from the next request and is taken out of every project. The keys they created keep working: revoke
            them on the API keys page if they should stop.
          </p>
        )}
      </ConfirmDialog>
    </>
  );
}
