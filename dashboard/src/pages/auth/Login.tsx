/**
 * @module pages/auth/Login
 * Sign in with e-mail and password, then the authentication code (or a backup code) when
 * two-factor is on.
 */
import { useState, type FormEvent } from 'react';
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router';
import { api, ApiError, errorText } from '../../api/client';
import { useSession } from '../../api/session';
import { useAction } from '../../api/use-action';
import { AuthCard } from '../../components/AuthCard';
import { ErrorNote, Notice } from '../../components/states';
import { safeNext, withNext } from './next-path';

function signInError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 401) return 'The e-mail or password is wrong.';
    if (error.status === 403) return 'Confirm your e-mail address first: open the link in the mail we sent you.';
    if (error.status === 429) {
      return error.retryAfterSeconds
        ? `Too many sign-in attempts. Try again in ${Math.ceil(error.retryAfterSeconds / 60)} minute(s).`
        : 'Too many sign-in attempts. Wait a little and try again.';
    }
  }
  return errorText(error);
}

/** /login */
export function LoginPage() {
  const { state, refresh } = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  const [step, setStep] = useState<'password' | 'totp'>('password');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [useBackupCode, setUseBackupCode] = useState(false);
  const [trustDevice, setTrustDevice] = useState(false);
  const { busy, error, setError, run } = useAction();
  const [unverified, setUnverified] = useState(false);
  const [resent, setResent] = useState(false);

  if (state.status === 'signed-in' && !busy) return <Navigate to={next} replace />;

  async function finish() {
    const session = await refresh();
    if (session.status === 'signed-in') navigate(next, { replace: true });
    else setError(session.status === 'error' ? session.message : 'Signing in did not work. Try again.');
  }

  function onPassword(event: FormEvent) {
    event.preventDefault();
    void run(async () => {
      setUnverified(false);
      setResent(false);
      try {
        const result = await api<{ twoFactorRedirect?: boolean }>('/api/auth/sign-in/email', {
          method: 'POST',
          body: { email: email.trim(), password, rememberMe: true },
        });
        if (result?.twoFactorRedirect) setStep('totp');
        else await finish();
      } catch (e) {
        // Sign-in failures have their own wording (and 403 offers to resend the link).
        setError(signInError(e));
        setUnverified(e instanceof ApiError && e.status === 403);
      }
    });
  }

  async function resend() {
    try {
      await api('/api/auth/send-verification-email', { method: 'POST', body: { email: email.trim(), callbackURL: '/verified' } });
      setResent(true);
    } catch (e) {
      setError(errorText(e));
    }
  }

  function onCode(event: FormEvent) {
    event.preventDefault();
    void run(async () => {
      try {
        if (useBackupCode) await api('/api/auth/two-factor/verify-backup-code', { method: 'POST', body: { code: code.trim(), trustDevice } });
        else await api('/api/auth/two-factor/verify-totp', { method: 'POST', body: { code: code.replace(/\s+/g, ''), trustDevice } });
        await finish();
      } catch (e) {
        const invalid = useBackupCode ? 'That backup code is not valid or was already used.' : 'That code is not valid. Enter the current code from your app.';
        setError(e instanceof ApiError && e.status === 401 ? invalid : signInError(e));
      }
    });
  }

  if (step === 'totp') {
    return (
      <AuthCard title="Two-factor authentication">
        <form className="form" onSubmit={onCode}>
          {useBackupCode ? (
            <>
              <p className="muted">Enter one of the backup codes you saved when you turned on two-factor. Each code works once.</p>
              <div className="field" key="backup">
                <label htmlFor="login-backup-code">Backup code</label>
                <input
                  id="login-backup-code"
                  autoComplete="off"
                  autoCapitalize="none"
                  spellCheck={false}
                  required
                  // biome-ignore lint/a11y/noAutofocus: the second step of sign-in has one field; the user just submitted the first step and expects to type the code
                  autoFocus
                  value={code}
                  onChange={(e) => setCode(e.target.value)}
                />
              </div>
            </>
          ) : (
            <>
              <p className="muted">Enter the 6-digit code from your authenticator app.</p>
              <div className="field" key="totp">
                <label htmlFor="login-code">Authentication code</label>
                <input
                  id="login-code"
                  inputMode="numeric"
                  autoComplete="one-time-code"
                  required
                  pattern="[0-9 ]{6,8}"
                  // biome-ignore lint/a11y/noAutofocus: the second step of sign-in has one field; the user just submitted the first step and expects to type the code
                  autoFocus
                  value={code}
                  onChange={(e) => setCode(e.target.value)}
                />
              </div>
            </>
          )}
          <button
            type="button"
            className="link-button"
            onClick={() => {
              setUseBackupCode(!useBackupCode);
              setCode('');
              setError(null);
            }}
          >
            {useBackupCode ? 'Use the code from your authenticator app' : 'Use a backup code'}
          </button>
          <label className="check">
            <input type="checkbox" checked={trustDevice} onChange={(e) => setTrustDevice(e.target.checked)} /> Trust this device for 30 days
          </label>
          {error && <ErrorNote message={error} />}
          <button type="submit" className="primary wide" disabled={busy}>
            {busy ? 'Checking…' : 'Verify'}
          </button>
        </form>
        <p className="auth-alt">
          <button
            type="button"
            className="link-button"
            onClick={() => {
              setStep('password');
              setCode('');
              setUseBackupCode(false);
              setError(null);
            }}
          >
            Use another account
          </button>
        </p>
      </AuthCard>
    );
  }

  return (
    <AuthCard title="Sign in">
      <form className="form" onSubmit={onPassword}>
        <div className="field">
          <label htmlFor="login-email">Email</label>
          <input id="login-email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </div>
        <div className="field">
          <div className="label-row">
            <label htmlFor="login-password">Password</label>
            <Link to="/forgot-password" className="small-link">
              Forgot password?
            </Link>
          </div>
          <input id="login-password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </div>
        {error && <ErrorNote message={error} />}
        {unverified && !resent && (
          <button type="button" className="link-button" onClick={() => void resend()}>
            Send the verification link again
          </button>
        )}
        {resent && <Notice>A new verification link is on its way to {email.trim()}.</Notice>}
        <button type="submit" className="primary wide" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p className="auth-alt">
        New here? <Link to={withNext('/signup', next)}>Create an account</Link>
      </p>
      {state.status === 'error' && <ErrorNote message={state.message} />}
    </AuthCard>
  );
}
