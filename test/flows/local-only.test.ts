/**
 * What only a local deployment may do (the mail outbox), and what only a verified address may
 * get (the admin role from ADMIN_EMAILS).
 */
import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { serializeSignedCookie } from 'better-call';
import { describe, expect, it } from 'vitest';
import { authFor } from '../../worker/auth/auth';
import type { Env } from '../../worker/env';
import worker from '../../worker/index';
import { call } from '../helpers';
import { Browser, signUp, verifyByMail } from '../session';

/** Runs a request against the worker with some bindings changed. */
function withEnv(overrides: Record<string, string | undefined>, request: Request): Promise<Response> {
  return Promise.resolve(worker.fetch(request, { ...(env as unknown as Env), ...overrides } as Env, createExecutionContext()));
}

describe('the local mail outbox', () => {
  it('is served with MAIL_MODE=outbox and LOCAL_DEV=1 (what npm start and the tests set)', async () => {
    expect((await call('/api/dev/mail')).status).toBe(200);
  });

  it('is 404 on a production-like deployment even with MAIL_MODE=outbox', async () => {
    for (const LOCAL_DEV of [undefined, '', '0', 'true']) {
      const res = await withEnv({ LOCAL_DEV }, new Request('http://gateway.test/api/dev/mail?to=admin@example.test'));
      expect(res.status, `LOCAL_DEV=${LOCAL_DEV}`).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
    }
  });

  it('is not written to on a production-like deployment: sign-up says mail is not configured', async () => {
    const res = await withEnv(
      { LOCAL_DEV: undefined },
      new Request('http://gateway.test/api/auth/sign-up/email', {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: 'http://dashboard.test' },
        body: JSON.stringify({ name: 'Nobody', email: 'nobody-prod@example.test', password: 'correct horse battery staple' }),
      }),
    );
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/LOCAL_DEV/);
    const { n } = (await env.DB.prepare('SELECT count(*) AS n FROM mail_outbox WHERE "to" = ?').bind('nobody-prod@example.test').first<{ n: number }>())!;
    expect(n).toBe(0);
  });
});

/** A session cookie for a user, made the way better-auth makes them (to act as an unverified user). */
async function sessionCookieFor(userId: string): Promise<string> {
  const ctx = await authFor(env as unknown as Env).$context;
  const session = await ctx.internalAdapter.createSession(userId);
  const cookie = await serializeSignedCookie(ctx.authCookies.sessionToken.name, session.token, ctx.secret);
  return cookie.split(';')[0];
}

describe('the admin role from ADMIN_EMAILS', () => {
  it('is given only once the address is verified', async () => {
    const email = 'seed-admin@example.test';
    const browser = new Browser();
    expect((await signUp(browser, email, 'Would-be admin')).status).toBe(200);
    const row = await env.DB.prepare('SELECT id, role, email_verified FROM auth_user WHERE email = ?')
      .bind(email)
      .first<{ id: string; role: string; email_verified: number }>();
    expect(row).toMatchObject({ role: 'user', email_verified: 0 });

    // Even holding a session, an unverified admin address is no admin.
    const unverified = await call('/api/admin/services', { headers: { cookie: await sessionCookieFor(row!.id), origin: 'http://dashboard.test' } });
    expect(unverified.status).toBe(403);
    expect(((await unverified.json()) as { error: { code: string } }).error.code).toBe('forbidden');

    expect((await verifyByMail(browser, email)).status).toBe(302);
    expect((await browser.me()).user.role).toBe('admin');
    expect((await browser.fetch('/api/admin/services')).status).toBe(200);
  });

  it('is refused to a session whose user is unverified, whatever its stored role', async () => {
    const email = 'admin@example.test';
    expect((await signUp(new Browser(), email, 'Old admin')).status).toBe(200);
    const { id } = (await env.DB.prepare('SELECT id FROM auth_user WHERE email = ?').bind(email).first<{ id: string }>())!;
    // A row written by an older version, which gave the role at sign-up.
    await env.DB.prepare("UPDATE auth_user SET role = 'admin' WHERE id = ?").bind(id).run();
    const res = await call('/api/admin/accounts', { headers: { cookie: await sessionCookieFor(id), origin: 'http://dashboard.test' } });
    expect(res.status).toBe(403);
  });
});
