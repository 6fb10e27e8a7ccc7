/**
 * @module pages/members/InviteForm
 * Invite someone by e-mail: the role they get and the projects they join when they accept.
 */
import { useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import { assignableRoles, ROLE_HINTS, ROLE_WORDS } from '../../api/roles';
import type { Invitation, Project, Role } from '../../api/types';
import { useAction } from '../../api/use-action';
import { CheckList } from '../../components/CheckList';
import { ErrorNote } from '../../components/states';

interface InviteFormProps {
  /** The inviter's role: only an owner invites an owner. */
  actorRole: Role | null;
  projects: Project[] | undefined;
  onInvited(invitation: Invitation): void;
  onCancel(): void;
}

/** The invite form; the API's refusal (already a member, say) is shown under it. */
export function InviteForm({ actorRole, projects, onInvited, onCancel }: InviteFormProps) {
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('developer');
  const [projectIds, setProjectIds] = useState<string[]>([]);
  const { busy, error, run } = useAction();

  function submit(event: FormEvent) {
    event.preventDefault();
    void run(async () => {
      const { invitation } = await api<{ invitation: Invitation }>('/api/account/invitations', {
        method: 'POST',
        body: { email: email.trim(), role, projectIds },
      });
      onInvited(invitation);
    });
  }

  return (
    <form className="form" onSubmit={submit}>
      <div className="field">
        <label htmlFor="invite-email">Email</label>
        <input id="invite-email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} required maxLength={254} autoComplete="off" />
      </div>
      <div className="field">
        <label htmlFor="invite-role">Role</label>
        <select id="invite-role" value={role} onChange={(e) => setRole(e.target.value as Role)} aria-describedby="invite-role-hint">
          {assignableRoles(actorRole).map((r) => (
            <option key={r} value={r}>
              {ROLE_WORDS[r]}
            </option>
          ))}
        </select>
        <p className="hint" id="invite-role-hint">
          {ROLE_HINTS[role]}
        </p>
      </div>
      <CheckList
        legend="Projects"
        options={(projects ?? []).map((p) => ({ value: p.id, label: p.name }))}
        selected={projectIds}
        onChange={setProjectIds}
        empty={projects ? 'There are no projects yet.' : 'Loading projects…'}
        hint="They join these projects when they accept. A developer manages the keys of their projects only."
      />
      {error && <ErrorNote message={error} />}
      <div className="actions">
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Sending…' : 'Send invitation'}
        </button>
      </div>
    </form>
  );
}
