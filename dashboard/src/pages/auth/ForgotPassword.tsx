/**
 * @module pages/auth/ForgotPassword
 * Ask for a password reset link.
 */
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { api } from '../../api/client';
import { useAction } from '../../api/use-action';
import { AuthCard } from '../../components/AuthCard';
import { ErrorNote, Notice } from '../../components/states';

/** /forgot-password */
export function ForgotPasswordPage() {
  const [email, setEmail] = useState('');
  const { busy, error, run } = useAction();
  const [sent, setSent] = useState(false);

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    void run(async () => {
      await api('/api/auth/request-password-reset', { method: 'POST', body: { email: email.trim(), redirectTo: '/reset-password' } });
      setSent(true);
    });
  }

  return (
    <AuthCard title="Reset your password">
      {sent ? (
        <Notice>
          If an account uses <strong>{email.trim()}</strong>, a reset link is on its way. Check your e-mail.
        </Notice>
      ) : (
        <form className="form" onSubmit={onSubmit}>
          <p className="muted">We will e-mail you a link to choose a new password.</p>
          <div className="field">
            <label htmlFor="forgot-email">Email</label>
            <input id="forgot-email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
          </div>
          {error && <ErrorNote message={error} />}
          <button type="submit" className="primary wide" disabled={busy}>
            {busy ? 'Sending…' : 'Send reset link'}
          </button>
        </form>
      )}
      <p className="auth-alt">
        <Link to="/login">Back to sign in</Link>
      </p>
    </AuthCard>
  );
}
