/**
 * @module pages/auth/ResetPassword
 * Choose a new password from the reset link (`?token=…`).
 */
import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api } from '../../api/client';
import { useAction } from '../../api/use-action';
import { AuthCard } from '../../components/AuthCard';
import { ErrorNote, Notice } from '../../components/states';

/** /reset-password */
export function ResetPasswordPage() {
  const [params] = useSearchParams();
  const token = params.get('token');
  const [password, setPassword] = useState('');
  const { busy, error, run } = useAction(params.get('error') ? 'This reset link is invalid or has expired. Ask for a new one.' : null);
  const [done, setDone] = useState(false);

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    void run(async () => {
      await api('/api/auth/reset-password', { method: 'POST', body: { newPassword: password, token } });
      setDone(true);
    });
  }

  if (done) {
    return (
      <AuthCard title="Password changed">
        <Notice>Your password is set. Sign in with the new one.</Notice>
        <p>
          <Link to="/login" className="button primary">
            Sign in
          </Link>
        </p>
      </AuthCard>
    );
  }
  if (!token) {
    return (
      <AuthCard title="Choose a new password">
        <ErrorNote message={error ?? 'This page needs the link from the reset e-mail.'} />
        <p className="auth-alt">
          <Link to="/forgot-password">Ask for a new link</Link>
        </p>
      </AuthCard>
    );
  }
  return (
    <AuthCard title="Choose a new password">
      <form className="form" onSubmit={onSubmit}>
        <div className="field">
          <label htmlFor="reset-password">New password</label>
          <input
            id="reset-password"
            type="password"
            autoComplete="new-password"
            required
            minLength={10}
            maxLength={128}
            aria-describedby="reset-password-hint"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
          <p className="hint" id="reset-password-hint">
            At least 10 characters.
          </p>
        </div>
        {error && <ErrorNote message={error} />}
        <button type="submit" className="primary wide" disabled={busy}>
          {busy ? 'Saving…' : 'Set password'}
        </button>
      </form>
    </AuthCard>
  );
}
