/**
 * Bad input on the sign-in routes gets a clear error in the gateway's `/api` shape and creates
 * nothing: malformed JSON, missing fields, an invalid address, an oversized name or body.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { Env } from '../../worker/env';
import { Browser, signUp, uniqueEmail } from '../session';

const DB = (env as unknown as Env).DB;

async function post(path: string, body: string): Promise<{ status: number; error: Record<string, unknown> }> {
  const res = await new Browser().fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const json = (await res.json()) as { error: Record<string, unknown> };
  return { status: res.status, error: json.error };
}

async function users(email: string): Promise<number> {
  return (await DB.prepare('SELECT COUNT(*) AS n FROM auth_user WHERE email = ?').bind(email).first<{ n: number }>())!.n;
}

describe('bad input on /api/auth', () => {
  it('answers malformed JSON, missing fields and an invalid address with 400 invalid_request and a reason', async () => {
    const malformed = await post('/api/auth/sign-in/email', '{"email":');
    expect(malformed.status).toBe(400);
    expect(malformed.error).toMatchObject({ code: 'invalid_request', reason: 'BAD_REQUEST' });
    expect(malformed.error.requestId).toMatch(/^req_/);
    const missing = await post('/api/auth/sign-in/email', '{}');
    expect(missing.status).toBe(400);
    expect(missing.error.message).toMatch(/email/);
    const invalid = await post('/api/auth/sign-up/email', JSON.stringify({ email: 'not-an-address', password: 'a long enough password', name: 'X' }));
    expect(invalid).toMatchObject({ status: 400, error: { code: 'invalid_request' } });
  });

  it('refuses a name over 100 characters and a body over 16 KiB, creating nothing', async () => {
    const email = uniqueEmail('long-name');
    const long = await post('/api/auth/sign-up/email', JSON.stringify({ email, password: 'a long enough password', name: 'n'.repeat(101) }));
    expect(long).toMatchObject({ status: 400, error: { code: 'invalid_request', param: 'name' } });
    const huge = await post('/api/auth/sign-up/email', JSON.stringify({ email, password: 'a long enough password', name: 'ok', pad: 'x'.repeat(20_000) }));
    expect(huge).toMatchObject({ status: 413, error: { code: 'payload_too_large' } });
    expect(await users(email)).toBe(0);
  });

  it('tells an unverified sign-in apart by its reason', async () => {
    const email = uniqueEmail('unverified');
    await signUp(new Browser(), email);
    const res = await post('/api/auth/sign-in/email', JSON.stringify({ email, password: 'correct horse battery staple' }));
    expect(res.status).toBe(403);
    expect(res.error).toMatchObject({ code: 'forbidden', reason: 'EMAIL_NOT_VERIFIED' });
  });
});
