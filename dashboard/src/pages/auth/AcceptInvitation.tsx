/**
 * @module pages/auth/AcceptInvitation
 * Where an invitation's link lands (/invite?token=…). Signed out: sign in or create an account,
 * then come back here. Signed in: "Accept invitation" joins the organisation, switches to it and
 * opens the overview; a link for another address, or one used, revoked or expired, says so.
 */
import { useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api, ApiError } from '../../api/client';
import { useSession } from '../../api/session';
import type { Organization } from '../../api/types';
import { useAction } from '../../api/use-action';
import { AuthCard } from '../../components/AuthCard';
import { ErrorNote, Loading } from '../../components/states';
import { withNext } from './next-path';

/** /invite?token=… */
export function AcceptInvitationPage() {
  const { state, refresh, switchOrganization, signOut } = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const here = `/invite?token=${encodeURIComponent(token)}`;
  const { busy, error, run } = useAction();
  const [otherAddress, setOtherAddress] = useState(false);

  if (!token) {
    return (
      <AuthCard title="This link is incomplete">
        <p className="muted">The invitation link has no token. Open the link from the invitation mail again, or ask for a new invitation.</p>
      </AuthCard>
    );
  }
  if (state.status === 'loading') {
    return (
      <AuthCard title="Invitation">
        <Loading />
      </AuthCard>
    );
  }
  if (state.status === 'error') {
    return (
      <AuthCard title="Invitation">
        <ErrorNote message={state.message} onRetry={() => void refresh()} />
      </AuthCard>
    );
  }
  if (state.status === 'signed-out') {
    return (
      <AuthCard title="You are invited">
        <p className="muted">Sign in with the address the invitation was sent to, or create an account with it, to join the organisation.</p>
        <div className="actions start">
          <Link to={withNext('/login', here)} className="button primary">
            Sign in
          </Link>
          <Link to={withNext('/signup', here)} className="button secondary">
            Create an account
          </Link>
        </div>
      </AuthCard>
    );
  }

  function accept() {
    void run(async () => {
      setOtherAddress(false);
      try {
        const { organization } = await api<{ organization: Organization }>('/api/invitations/accept', { method: 'POST', body: { token } });
        await switchOrganization(organization.id);
        navigate('/', { replace: true });
      } catch (e) {
        setOtherAddress(e instanceof ApiError && e.reason === 'other_address');
        throw e;
      }
    });
  }

  return (
    <AuthCard title="You are invited">
      <p className="muted">
        Accept to join the organisation as <strong>{state.me.user.email}</strong>. You can switch between your organisations at the top of the menu.
      </p>
      {error && <ErrorNote message={error} />}
      {otherAddress && (
        <button type="button" className="link-button" onClick={() => void signOut(withNext('/login', here))}>
          Sign out, to sign in with the invited address
        </button>
      )}
      <div className="actions start">
        <button type="button" className="primary" disabled={busy} onClick={accept}>
          {busy ? 'Accepting…' : 'Accept invitation'}
        </button>
        <Link to="/" className="button secondary">
          Not now
        </Link>
      </div>
    </AuthCard>
  );
}
