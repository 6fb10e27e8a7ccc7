/**
 * @module pages/auth/Verified
 * Where the verification link lands (the worker has verified and signed the user in).
 */
import { useEffect } from 'react';
import { Link } from 'react-router';
import { useSession } from '../../api/session';
import { AuthCard } from '../../components/AuthCard';

/** /verified */
export function VerifiedPage() {
  const { state, refresh } = useSession();
  useEffect(() => {
    void refresh();
  }, [refresh]);
  const error = new URLSearchParams(window.location.search).get('error');

  if (error) {
    return (
      <AuthCard title="This link did not work">
        <p className="muted">The verification link is invalid or has expired. Sign in to get a new one sent.</p>
        <p>
          <Link to="/login" className="button primary">
            Go to sign in
          </Link>
        </p>
      </AuthCard>
    );
  }
  return (
    <AuthCard title="Your e-mail is verified">
      <p className="muted">Thanks — your account is ready. You can create an API key and add credit.</p>
      <p>
        {state.status === 'signed-out' ? (
          <Link to="/login" className="button primary">
            Sign in
          </Link>
        ) : (
          <Link to="/" className="button primary">
            Go to the overview
          </Link>
        )}
      </p>
    </AuthCard>
  );
}
