/**
 * @module pages/Settings
 * Profile name, password change, and two-factor authentication (TOTP).
 */
import { useState, type FormEvent, type ReactNode } from 'react';
import { api } from '../api/client';
import { useMe, useSession } from '../api/session';
import { useAction } from '../api/use-action';
import { CopyButton } from '../components/CopyButton';
import { PageHeader } from '../components/PageHeader';
import { ErrorNote, Notice } from '../components/states';

/** Runs a form submit with busy/error/done state. */
function useSubmit() {
  const { busy, error, setError, run: runAction } = useAction();
  const [done, setDone] = useState<string | null>(null);
  function run(action: () => Promise<string | null>) {
    return runAction(async () => {
      setDone(null);
      setDone(await action());
    });
  }
  const feedback: ReactNode = (
    <>
      {error && <ErrorNote message={error} />}
      {done && <Notice>{done}</Notice>}
    </>
  );
  return { busy, run, feedback, setError };
}

/** /settings */
export function SettingsPage() {
  const me = useMe();
  return (
    <>
      <PageHeader
        title="Settings"
        description={
          <>
            Signed in as <strong>{me.user.email}</strong>
            {me.organization ? (
              <>
                {' '}
                · organisation {me.organization.name} <code>{me.organization.id}</code>
              </>
            ) : null}
          </>
        }
      />
      <div className="grid-2">
        <section className="card">
          <h2>Profile</h2>
          <ProfileForm />
        </section>
        <section className="card">
          <h2>Password</h2>
          <PasswordForm />
        </section>
      </div>
      <section className="card">
        <h2>Two-factor authentication</h2>
        <TwoFactor />
      </section>
    </>
  );
}

function ProfileForm() {
  const me = useMe();
  const { refresh } = useSession();
  const [name, setName] = useState(me.user.name);
  const { busy, run, feedback } = useSubmit();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      await api('/api/auth/update-user', { method: 'POST', body: { name: name.trim() } });
      await refresh();
      return 'Your name is saved.';
    });
  };
  return (
    <form className="form" onSubmit={submit}>
      <div className="field">
        <label htmlFor="profile-name">Name</label>
        <input id="profile-name" autoComplete="name" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="profile-email">Email</label>
        <input id="profile-email" type="email" value={me.user.email} readOnly aria-describedby="profile-email-hint" />
        <p className="hint" id="profile-email-hint">
          {me.user.emailVerified ? 'Verified.' : 'Not verified yet.'}
        </p>
      </div>
      {feedback}
      <div className="actions start">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save'}
        </button>
      </div>
    </form>
  );
}

function PasswordForm() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [others, setOthers] = useState(true);
  const { busy, run, feedback } = useSubmit();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      await api('/api/auth/change-password', { method: 'POST', body: { currentPassword: current, newPassword: next, revokeOtherSessions: others } });
      setCurrent('');
      setNext('');
      return others ? 'Password changed. Other devices were signed out.' : 'Password changed.';
    });
  };
  return (
    <form className="form" onSubmit={submit}>
      <div className="field">
        <label htmlFor="pw-current">Current password</label>
        <input id="pw-current" type="password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="pw-new">New password</label>
        <input
          id="pw-new"
          type="password"
          autoComplete="new-password"
          required
          minLength={10}
          maxLength={128}
          value={next}
          onChange={(e) => setNext(e.target.value)}
          aria-describedby="pw-new-hint"
        />
        <p className="hint" id="pw-new-hint">
          At least 10 characters.
        </p>
      </div>
      <label className="check">
        <input type="checkbox" checked={others} onChange={(e) => setOthers(e.target.checked)} /> Sign out my other devices
      </label>
      {feedback}
      <div className="actions start">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Saving…' : 'Change password'}
        </button>
      </div>
    </form>
  );
}

function TwoFactor() {
  const me = useMe();
  const { refresh } = useSession();
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [setup, setSetup] = useState<{ totpURI: string; backupCodes: string[] } | null>(null);
  const { busy, run, feedback } = useSubmit();

  const enable = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      const result = await api<{ totpURI: string; backupCodes: string[] }>('/api/auth/two-factor/enable', { method: 'POST', body: { password } });
      setPassword('');
      setSetup(result);
      return null;
    });
  };
  const confirm = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      await api('/api/auth/two-factor/verify-totp', { method: 'POST', body: { code: code.replace(/\s+/g, '') } });
      setSetup(null);
      setCode('');
      await refresh();
      return 'Two-factor authentication is on. You will be asked for a code when you sign in.';
    });
  };
  const disable = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      await api('/api/auth/two-factor/disable', { method: 'POST', body: { password } });
      setPassword('');
      await refresh();
      return 'Two-factor authentication is off.';
    });
  };

  if (setup) {
    const secret = new URL(setup.totpURI).searchParams.get('secret');
    return (
      <form className="form" onSubmit={confirm}>
        <p>
          Add this account to your authenticator app (Google Authenticator, 1Password, Authy…) with the setup key or the link below, then enter the code it
          shows.
        </p>
        {secret && (
          <div className="secret-row">
            <span className="muted">Setup key</span>
            <code className="secret">{secret}</code>
            <CopyButton text={secret} />
          </div>
        )}
        <div className="secret-row">
          <code className="secret wrap" data-testid="totp-uri">
            {setup.totpURI}
          </code>
          <CopyButton text={setup.totpURI} />
        </div>
        {setup.backupCodes.length > 0 && (
          <details>
            <summary>Backup codes (each works once if you lose your phone)</summary>
            <ul className="codes">
              {setup.backupCodes.map((c) => (
                <li key={c}>
                  <code>{c}</code>
                </li>
              ))}
            </ul>
          </details>
        )}
        <div className="field narrow">
          <label htmlFor="tfa-code">Authentication code</label>
          <input id="tfa-code" inputMode="numeric" autoComplete="one-time-code" required value={code} onChange={(e) => setCode(e.target.value)} />
        </div>
        {feedback}
        <div className="actions start">
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Checking…' : 'Verify'}
          </button>
        </div>
      </form>
    );
  }

  return (
    <form className="form" onSubmit={me.user.twoFactorEnabled ? disable : enable}>
      <p>
        Status: <span className={`status ${me.user.twoFactorEnabled ? 'good' : 'wait'}`}>{me.user.twoFactorEnabled ? 'On' : 'Off'}</span>{' '}
        {me.user.twoFactorEnabled ? 'Signing in asks for a code from your authenticator app.' : 'Add a code from an authenticator app to every sign-in.'}
      </p>
      <div className="field narrow">
        <label htmlFor="tfa-password">Password</label>
        <input id="tfa-password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
      </div>
      {feedback}
      <div className="actions start">
        {me.user.twoFactorEnabled ? (
          <button type="submit" className="danger-outline" disabled={busy}>
            {busy ? 'Turning off…' : 'Turn off two-factor'}
          </button>
        ) : (
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Starting…' : 'Turn on two-factor'}
          </button>
        )}
      </div>
    </form>
  );
}
