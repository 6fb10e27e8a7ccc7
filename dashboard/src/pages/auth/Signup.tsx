/**
 * @module pages/auth/Signup
 * Create an account; the user then confirms the e-mail address from the mail we send. A `?next=`
 * (an invitation, say) travels through the verification link to /verified, which offers it.
 */
import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api } from '../../api/client';
import { useAction } from '../../api/use-action';
import { AuthCard } from '../../components/AuthCard';
import { ErrorNote, Notice } from '../../components/states';
import { safeNext, withNext } from './next-path';

/** /signup */
export function SignupPage() {
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { busy, error, run } = useAction();
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    void run(async () => {
      await api('/api/auth/sign-up/email', {
        method: 'POST',
        body: { name: name.trim(), email: email.trim(), password, callbackURL: withNext('/verified', next) },
      });
      setSentTo(email.trim());
    });
  }

  if (sentTo) {
    return (
      <AuthCard title="Check your e-mail">
        <Notice>
          We sent a verification link to <strong>{sentTo}</strong>. Open it to finish creating your account.
        </Notice>
        <p className="muted">
          Running locally? Read the mail in the <Link to="/dev/mail">mail outbox</Link>.
        </p>
        <p>
          <Link to={withNext('/login', next)}>Back to sign in</Link>
        </p>
      </AuthCard>
    );
  }

  return (
    <AuthCard title="Create your account">
      <form className="form" onSubmit={onSubmit}>
        <div className="field">
          <label htmlFor="signup-name">Name</label>
          <input id="signup-name" autoComplete="name" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="signup-email">Email</label>
          <input id="signup-email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="signup-password">Password</label>
          <input
            id="signup-password"
            type="password"
            autoComplete="new-password"
            required
            minLength={10}
            maxLength={128}
            aria-describedby="signup-password-hint"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
          <p className="hint" id="signup-password-hint">
            At least 10 characters.
          </p>
        </div>
        {error && <ErrorNote message={error} />}
        <button type="submit" className="primary wide" disabled={busy}>
          {busy ? 'Creating…' : 'Create account'}
        </button>
      </form>
      <p className="auth-alt">
        Already have an account? <Link to={withNext('/login', next)}>Sign in</Link>
      </p>
    </AuthCard>
  );
}
