/**
 * @module components/OrgSwitcher
 * The organisation the dashboard acts on, with the user's role there: a picker of every
 * organisation they belong to, and "Create organisation" (a dialog with the name).
 */
import { useId, useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { api } from '../api/client';
import { ROLE_WORDS } from '../api/roles';
import { useMe, useSession } from '../api/session';
import type { Organization } from '../api/types';
import { useAction } from '../api/use-action';
import { Dialog } from './Dialog';
import { ErrorNote } from './states';

/** The picker (in the sidebar); `onCreate` opens the create dialog, which lives outside the nav. */
export function OrgSwitcher({ onCreate }: { onCreate(): void }) {
  const me = useMe();
  const { switchOrganization } = useSession();
  const id = useId();
  const { busy, error, setError, run } = useAction();
  const current = me.organization;

  function choose(orgId: string) {
    void run(async () => {
      const next = await switchOrganization(orgId);
      if (next.status === 'error') setError(next.message);
    });
  }

  return (
    <div className="org-switcher">
      {me.organizations.length > 0 ? (
        <>
          <label htmlFor={id}>Organisation</label>
          <select id={id} value={current?.id ?? ''} onChange={(e) => choose(e.target.value)} disabled={busy} aria-describedby={`${id}-role`}>
            {me.organizations.map((o) => (
              <option key={o.id} value={o.id}>
                {o.personal ? `${o.name} (personal)` : o.name}
              </option>
            ))}
          </select>
          <p className="hint" id={`${id}-role`} data-testid="org-role">
            {current ? `Your role: ${ROLE_WORDS[current.role]}` : 'Choose an organisation.'}
          </p>
        </>
      ) : (
        <p className="hint">You belong to no organisation yet.</p>
      )}
      {error && <ErrorNote message={error} />}
      <button type="button" className="link-button" onClick={onCreate}>
        Create organisation
      </button>
    </div>
  );
}

/** The "Create organisation" dialog: the creator becomes its owner and the dashboard switches to it. */
export function CreateOrganizationDialog({ open, onClose }: { open: boolean; onClose(): void }) {
  const { switchOrganization } = useSession();
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const { busy, error, run } = useAction();

  function submit(event: FormEvent) {
    event.preventDefault();
    void run(async () => {
      const { organization } = await api<{ organization: Organization }>('/api/organizations', { method: 'POST', body: { name: name.trim() } });
      await switchOrganization(organization.id);
      setName('');
      onClose();
      navigate('/');
    });
  }

  return (
    <Dialog open={open} title="Create an organisation" onClose={onClose}>
      <form className="form" onSubmit={submit}>
        <div className="field">
          <label htmlFor="org-name">Name</label>
          <input
            id="org-name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            required
            maxLength={100}
            autoComplete="organization"
            aria-describedby="org-name-hint"
          />
          <p className="hint" id="org-name-hint">
            You will be its owner. It has its own balance, keys, budgets and members.
          </p>
        </div>
        {error && <ErrorNote message={error} />}
        <div className="actions">
          <button type="button" className="secondary" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create organisation'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
