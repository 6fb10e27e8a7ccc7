import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Env } from '../../worker/env';
import worker from '../../worker/index';
import { call } from '../helpers';
import { Browser, DASHBOARD, lastMailTo, PASSWORD, signedInUser, signUp, totpCode, uniqueEmail, verifyByMail } from '../session';

afterEach(() => vi.restoreAllMocks());

/** Runs a request against the worker with some bindings changed. */
function withEnv(overrides: Record<string, string | undefined>, request: Request): Promise<Response> {
  return Promise.resolve(worker.fetch(request, { ...(env as unknown as Env), ...overrides } as Env, createExecutionContext()));
}

describe('sign-up and e-mail verification', () => {
  it('mails a verification link on the dashboard origin; following it signs in with a secure session cookie', async () => {
    const browser = new Browser();
    const email = uniqueEmail('signup');
    const res = await signUp(browser, email, 'Ada Lovelace');
    expect(res.status).toBe(200);
    expect(browser.cookies.size, 'no session before verification').toBe(0);

    const mail = await lastMailTo(email);
    expect(mail.subject).toMatch(/verify/i);
    const link = mail.links.find((l) => l.includes('/api/auth/verify-email'))!;
    expect(link.startsWith(`${DASHBOARD}/api/auth/verify-email?token=`)).toBe(true);
    expect(new URL(link).searchParams.get('callbackURL')).toBe('/verified');
    expect(mail.html).toContain(link.replace(/&/g, '&#38;'));

    const verified = await verifyByMail(browser, email);
    expect(verified.status).toBe(302);
    expect(verified.headers.get('location')).toBe('/verified');
    const sessionCookie = verified.headers.getSetCookie().find((c) => c.includes('session_token='))!;
    expect(sessionCookie).toMatch(/^__Secure-/);
    expect(sessionCookie).toMatch(/;\s*HttpOnly/i);
    expect(sessionCookie).toMatch(/;\s*Secure/i);
    expect(sessionCookie).toMatch(/;\s*SameSite=Lax/i);

    const me = await browser.me();
    expect(me.user).toMatchObject({ email, name: 'Ada Lovelace', role: 'user', emailVerified: true, twoFactorEnabled: false });
    expect(me.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(me.account).toMatchObject({ name: 'Ada Lovelace' });
  });

  it('creates exactly one billing account per user, which the session acts on', async () => {
    const { browser, me } = await signedInUser('billing');
    const links = await env.DB.prepare('SELECT account_id FROM user_accounts WHERE user_id = ?').bind(me.user.id).all<{ account_id: string }>();
    expect(links.results.map((r) => r.account_id)).toEqual([me.account.id]);
    const row = await env.DB.prepare('SELECT id, status FROM accounts WHERE id = ?').bind(me.account.id).first();
    expect(row).toMatchObject({ id: me.account.id, status: 'active' });
    await browser.me();
    const again = await env.DB.prepare('SELECT count(*) AS n FROM user_accounts WHERE user_id = ?').bind(me.user.id).first<{ n: number }>();
    expect(again?.n).toBe(1);
    const balance = await browser.json('/api/account', { expect: 200 });
    expect(balance.account).toMatchObject({ id: me.account.id, balanceMicros: 0 });
  });

  it('refuses sign-in before verification (403) and with a wrong password (401)', async () => {
    const browser = new Browser();
    const email = uniqueEmail('early');
    await signUp(browser, email);
    expect((await browser.signIn(email)).status).toBe(403);
    await verifyByMail(new Browser(), email);
    expect((await browser.signIn(email, 'not the password at all')).status).toBe(401);
    expect((await browser.signIn(email)).status).toBe(200);
    expect((await browser.me()).user.email).toBe(email);
  });

  it('answers a sign-up for a taken address like a new one, creating nothing and telling the owner by mail', async () => {
    const { email, me } = await signedInUser('taken');
    const again = await signUp(new Browser(), email, 'Impostor', 'another long password');
    expect(again.status).toBe(200);
    const users = await env.DB.prepare('SELECT id, name FROM auth_user WHERE email = ?').bind(email).all<{ id: string; name: string }>();
    expect(users.results).toEqual([{ id: me.user.id, name: 'Test User' }]);
    const mail = await lastMailTo(email);
    expect(mail.subject).toMatch(/tried to sign up/);
    expect(mail.links).toEqual([`${DASHBOARD}/login`]);
    expect((await new Browser().signIn(email, 'another long password')).status).toBe(401);
  });

  it('rejects passwords shorter than 10 characters', async () => {
    const res = await signUp(new Browser(), uniqueEmail('short'), 'Shorty', 'short');
    expect(res.status).toBe(400);
  });

  it('gives the admin role to ADMIN_EMAILS addresses (any case) and no one else', async () => {
    const admin = new Browser();
    await signUp(admin, 'root@example.test', 'Root');
    await verifyByMail(admin, 'root@example.test');
    expect((await admin.me()).user.role).toBe('admin');
    expect((await admin.fetch('/api/admin/services')).status).toBe(200);
    const { browser: user } = await signedInUser('plain');
    expect((await user.me()).user.role).toBe('user');
    const refused = await user.fetch('/api/admin/services');
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as any).error.code).toBe('forbidden');
  });

  it("does not serve the auth library's own admin endpoints, even to an admin", async () => {
    const admin = new Browser();
    await signUp(admin, 'admin@example.test', 'Root');
    await verifyByMail(admin, 'admin@example.test');
    expect((await admin.me()).user.role).toBe('admin');
    const { browser: user } = await signedInUser('target');
    const userId = (await user.me()).user.id;
    for (const path of ['impersonate-user', 'set-role', 'set-user-password', 'remove-user', 'create-user', 'ban-user', 'list-users']) {
      const res = await admin.fetch(`/api/auth/admin/${path}`, {
        method: path === 'list-users' ? 'GET' : 'POST',
        ...(path === 'list-users' ? {} : { json: { userId, role: 'admin', newPassword: 'x'.repeat(12) } }),
      });
      expect(res.status, path).toBe(404);
    }
    expect((await user.me()).user.role).toBe('user');
  });
});

describe('sessions', () => {
  it('ends the session on sign-out; the old cookie no longer works', async () => {
    const { browser } = await signedInUser('signout');
    const oldCookie = browser.cookieHeader;
    expect((await browser.fetch('/api/auth/sign-out', { method: 'POST', json: {} })).status).toBe(200);
    expect((await call('/api/me', { headers: { cookie: oldCookie } })).status).toBe(401);
    const res = await browser.fetch('/api/me');
    expect(res.status).toBe(401);
    expect(((await res.json()) as any).error.code).toBe('unauthorized');
  });

  it('refuses an unsafe auth request carrying the session cookie from a foreign origin', async () => {
    const { browser, me } = await signedInUser('origin');
    const res = await browser.fetch('/api/auth/update-user', { method: 'POST', json: { name: 'Mallory' }, headers: { origin: 'http://evil.test' } });
    expect(res.status).toBe(403);
    expect((await browser.me()).user.name).toBe(me.user.name);
    const ok = await browser.fetch('/api/auth/update-user', { method: 'POST', json: { name: 'Renamed' } });
    expect(ok.status).toBe(200);
    expect((await browser.me()).user.name).toBe('Renamed');
  });

  it('requires the CSRF token of this session on unsafe /api requests made with the cookie', async () => {
    const { browser } = await signedInUser('csrf');
    const other = await signedInUser('csrf-other');
    const missing = await browser.fetch('/api/account/keys', { method: 'POST', json: { name: 'k' } });
    expect(missing.status).toBe(403);
    expect(((await missing.json()) as any).error.code).toBe('csrf_failed');
    const foreign = await browser.fetch('/api/account/keys', { method: 'POST', json: { name: 'k' }, headers: { 'x-csrf-token': other.me.csrfToken } });
    expect(((await foreign.json()) as any).error.code).toBe('csrf_failed');
    expect((await browser.json('/api/account/keys', { expect: 200 })).keys).toEqual([]);
    const ok = await browser.json('/api/account/keys', { method: 'POST', json: { name: 'k' }, csrf: true, expect: 201 });
    expect(ok.secret).toMatch(/^sk-gw-/);
  });
});

describe('login throttling', () => {
  it('locks one address after 5 failures from many clients, even with the right password', async () => {
    const email = uniqueEmail('brute');
    await signUp(new Browser(), email);
    await verifyByMail(new Browser(), email);
    for (let i = 0; i < 5; i++) expect((await new Browser().signIn(email, `wrong password ${i}`)).status).toBe(401);
    const locked = await new Browser().signIn(email);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(800);
    expect(((await locked.json()) as any).error.code).toBe('rate_limit_requests');
    // Another address is not affected.
    const { browser } = await signedInUser('bystander');
    expect((await browser.me()).user.emailVerified).toBe(true);
  });

  it('counts parallel attempts on one address atomically, and refuses form bodies that would hide the address', async () => {
    const email = uniqueEmail('burst');
    await signUp(new Browser(), email);
    await verifyByMail(new Browser(), email);
    const form = await new Browser().fetch('/api/auth/sign-in/email', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `email=${encodeURIComponent(email)}&password=wrong-password`,
    });
    expect(form.status).toBe(400);
    const statuses = await Promise.all(Array.from({ length: 15 }, (_, i) => new Browser().signIn(email, `wrong password ${i}`).then((r) => r.status)));
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(10);
    expect((await new Browser().signIn(email)).status).toBe(429);
  });

  it('limits one client hammering sign-in, counted in D1', async () => {
    const client = new Browser();
    const statuses: number[] = [];
    for (let i = 0; i < 22; i++) statuses.push((await client.signIn(uniqueEmail('nobody'), 'whatever password')).status);
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(statuses[20]).toBe(429);
    const counted = await env.DB.prepare("SELECT count FROM auth_rate_limit WHERE key LIKE 'auth:%' AND key LIKE ?")
      .bind(`%${client.ip}%`)
      .first<{ count: number }>();
    expect(counted?.count).toBeGreaterThanOrEqual(21);
    // Another client is not throttled.
    expect((await new Browser().signIn(uniqueEmail('nobody'), 'whatever password')).status).toBe(401);
  });
});

describe('passwords', () => {
  it('resets a forgotten password through the mailed link', async () => {
    const { email } = await signedInUser('reset');
    const browser = new Browser();
    expect((await browser.fetch('/api/auth/request-password-reset', { method: 'POST', json: { email, redirectTo: '/reset-password' } })).status).toBe(200);
    const mail = await lastMailTo(email);
    expect(mail.subject).toMatch(/reset/i);
    const link = new URL(mail.links[0]);
    expect(link.origin + link.pathname).toBe(`${DASHBOARD}/reset-password`);
    const token = link.searchParams.get('token')!;
    expect((await browser.fetch('/api/auth/reset-password', { method: 'POST', json: { newPassword: 'a brand new passphrase', token } })).status).toBe(200);
    expect((await browser.signIn(email)).status).toBe(401);
    expect((await browser.signIn(email, 'a brand new passphrase')).status).toBe(200);
    expect((await browser.fetch('/api/auth/reset-password', { method: 'POST', json: { newPassword: 'another new passphrase', token } })).status).toBe(400);
  });

  it('changes the password only with the current one', async () => {
    const { browser, email } = await signedInUser('change');
    expect(
      (await browser.fetch('/api/auth/change-password', { method: 'POST', json: { currentPassword: 'not my password', newPassword: 'next passphrase 42' } }))
        .status,
    ).toBe(400);
    expect(
      (await browser.fetch('/api/auth/change-password', { method: 'POST', json: { currentPassword: PASSWORD, newPassword: 'next passphrase 42' } })).status,
    ).toBe(200);
    expect((await new Browser().signIn(email)).status).toBe(401);
    expect((await new Browser().signIn(email, 'next passphrase 42')).status).toBe(200);
  });
});

describe('two-factor (TOTP)', () => {
  it('asks for the code at sign-in once enabled and accepts only the right one, or a backup code once', async () => {
    const { browser, email } = await signedInUser('totp');
    const enabled = await browser.json('/api/auth/two-factor/enable', { method: 'POST', json: { password: PASSWORD }, expect: 200 });
    expect(enabled.totpURI).toMatch(/^otpauth:\/\/totp\/GPU%20Gateway/);
    expect(enabled.backupCodes.length).toBeGreaterThan(0);
    await browser.json('/api/auth/two-factor/verify-totp', { method: 'POST', json: { code: await totpCode(enabled.totpURI) }, expect: 200 });
    expect((await browser.me()).user.twoFactorEnabled).toBe(true);

    const next = new Browser();
    const first = await next.json('/api/auth/sign-in/email', { method: 'POST', json: { email, password: PASSWORD }, expect: 200 });
    expect(first.twoFactorRedirect).toBe(true);
    expect((await next.fetch('/api/me')).status).toBe(401);
    const good = await totpCode(enabled.totpURI);
    const wrong = good === '000000' ? '111111' : '000000';
    expect((await next.fetch('/api/auth/two-factor/verify-totp', { method: 'POST', json: { code: wrong } })).status).toBe(401);
    await next.json('/api/auth/two-factor/verify-totp', { method: 'POST', json: { code: good }, expect: 200 });
    expect((await next.me()).user.email).toBe(email);

    // A backup code works once, in place of the app's code.
    const [backup] = enabled.backupCodes as string[];
    const lostPhone = new Browser();
    expect((await lostPhone.json('/api/auth/sign-in/email', { method: 'POST', json: { email, password: PASSWORD }, expect: 200 })).twoFactorRedirect).toBe(
      true,
    );
    await lostPhone.json('/api/auth/two-factor/verify-backup-code', { method: 'POST', json: { code: backup }, expect: 200 });
    expect((await lostPhone.me()).user.email).toBe(email);
    const again = new Browser();
    await again.json('/api/auth/sign-in/email', { method: 'POST', json: { email, password: PASSWORD }, expect: 200 });
    expect((await again.fetch('/api/auth/two-factor/verify-backup-code', { method: 'POST', json: { code: backup } })).status).toBe(401);

    await browser.json('/api/auth/two-factor/disable', { method: 'POST', json: { password: PASSWORD }, expect: 200 });
    const plain = await new Browser().json('/api/auth/sign-in/email', { method: 'POST', json: { email, password: PASSWORD }, expect: 200 });
    expect(plain.twoFactorRedirect).toBeUndefined();
  });
});

describe('mail', () => {
  it('refuses sign-up with 503 naming the missing settings when production mail is not configured, creating nothing', async () => {
    const email = uniqueEmail('nomail');
    const res = await withEnv(
      { MAIL_MODE: undefined },
      new Request('http://gateway.test/api/auth/sign-up/email', {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: DASHBOARD },
        body: JSON.stringify({ name: 'N', email, password: PASSWORD }),
      }),
    );
    expect(res.status).toBe(503);
    const body = (await res.json()) as any;
    expect(body.error.code).toBe('service_unavailable');
    expect(body.error.message).toContain('MAIL_API_URL, MAIL_API_KEY, MAIL_FROM');
    expect(await env.DB.prepare('SELECT id FROM auth_user WHERE email = ?').bind(email).first()).toBeNull();
  });

  it('sends production mail as a JSON POST to the configured e-mail API', async () => {
    const sent: Array<{ url: string; auth: string | null; body: any }> = [];
    const realFetch = globalThis.fetch;
    vi.spyOn(globalThis, 'fetch').mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      if (new URL(request.url).hostname !== 'mail.test') return realFetch(input, init);
      sent.push({ url: request.url, auth: request.headers.get('authorization'), body: await request.json() });
      return Response.json({ id: 'msg_1' });
    });
    const email = uniqueEmail('prod');
    const res = await withEnv(
      { MAIL_MODE: undefined, MAIL_API_URL: 'https://mail.test/emails', MAIL_API_KEY: 're_test', MAIL_FROM: 'Gateway <no-reply@example.test>' },
      new Request('http://gateway.test/api/auth/sign-up/email', {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: DASHBOARD, 'cf-connecting-ip': '10.99.0.1' },
        body: JSON.stringify({ name: 'P', email, password: PASSWORD }),
      }),
    );
    expect(res.status).toBe(200);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ url: 'https://mail.test/emails', auth: 'Bearer re_test', body: { from: 'Gateway <no-reply@example.test>', to: [email] } });
    expect(sent[0].body.text).toContain(`${DASHBOARD}/api/auth/verify-email?token=`);
    expect(sent[0].body.html).toContain('<a href=');
  });

  it('lists the outbox newest first, filtered by recipient, and hides it unless MAIL_MODE=outbox', async () => {
    const email = uniqueEmail('outbox');
    await signUp(new Browser(), email);
    await new Browser().fetch('/api/auth/request-password-reset', { method: 'POST', json: { email, redirectTo: '/reset-password' } });
    await verifyByMail(new Browser(), email);
    const { messages } = (await (await call(`/api/dev/mail?to=${encodeURIComponent(email.toUpperCase())}`)).json()) as any;
    expect(messages.map((m: any) => m.to)).toEqual([email, email]);
    expect(messages[0].createdAt).toBeGreaterThanOrEqual(messages[1].createdAt);
    expect(messages.some((m: any) => /reset/i.test(m.subject))).toBe(true);
    const hidden = await withEnv({ MAIL_MODE: undefined }, new Request('http://gateway.test/api/dev/mail'));
    expect(hidden.status).toBe(404);
  });
});
