/**
 * @module pages/auth/Verified
 * Where the verification link lands (the worker has verified and signed the user in); a `?next=`
 * from sign-up (an invitation, say) is where "Continue" goes.
 */
import { useEffect } from 'react';
import { Link } from 'react-router';
import { useSession } from '../../api/session';
import { AuthCard } from '../../components/AuthCard';
import { safeNext, withNext } from './next-path';

/** /verified */
export function VerifiedPage() {
  const { state, refresh } = useSession();
  useEffect(() => {
    void refresh();
  }, [refresh]);
  const search = new URLSearchParams(window.location.search);
  const error = search.get('error');
  const next = safeNext(search.get('next'));

  if (error) {
    return (
      <AuthCard title="This link did not work">
        <p className="muted">The verification link is invalid or has expired. Sign in to get a new one sent.</p>
        <p>
          <Link to={withNext('/login', next)} className="button primary">
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
          <Link to={withNext('/login', next)} className="button primary">
            Sign in
          </Link>
        ) : next !== '/' ? (
          <Link to={next} className="button primary">
            Continue
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
