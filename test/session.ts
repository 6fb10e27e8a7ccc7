/**
 * Test helpers for the dashboard's identity flows: a small cookie jar, sign-up through the real
 * endpoint, verification through the mail outbox, and TOTP codes (RFC 6238 on SubtleCrypto).
 */
import { expect } from 'vitest';
import { call } from './helpers';

export const DASHBOARD = 'http://dashboard.test';
export const PASSWORD = 'correct horse battery staple';

let ipSerial = 0;
/** A fresh client address, so better-auth's per-client limits of one test do not hit another. */
export function freshIp(): string {
  ipSerial += 1;
  return `10.${(ipSerial >> 16) & 255}.${(ipSerial >> 8) & 255}.${ipSerial & 255}`;
}

/** A browser-like client: keeps cookies, sends the dashboard's Origin and its own address. */
export class Browser {
  readonly cookies = new Map<string, string>();
  csrf: string | null = null;
  /** The organisation the dashboard has switched to (sent as x-gateway-organization). */
  org: string | null = null;
  constructor(
    readonly ip = freshIp(),
    readonly origin = DASHBOARD,
  ) {}

  get cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  /** Calls the worker as this browser. `csrf: true` adds the token read by `me()`. */
  async fetch(path: string, init: Parameters<typeof call>[1] & { csrf?: boolean } = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set('cookie', this.cookieHeader);
    if (!headers.has('origin')) headers.set('origin', this.origin);
    headers.set('cf-connecting-ip', this.ip);
    if (init.csrf && this.csrf) headers.set('x-csrf-token', this.csrf);
    if (this.org && !headers.has('x-gateway-organization')) headers.set('x-gateway-organization', this.org);
    const res = await call(path, { redirect: 'manual', ...init, headers });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (/max-age=0/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  async json<T = Record<string, any>>(path: string, init: Parameters<Browser['fetch']>[1] & { expect?: number } = {}): Promise<T> {
    const res = await this.fetch(path, init);
    const text = await res.text();
    if (init.expect !== undefined && res.status !== init.expect)
      throw new Error(`${init.method ?? 'GET'} ${path}: expected ${init.expect}, got ${res.status}: ${text}`);
    return (text ? JSON.parse(text) : null) as T;
  }

  /** GET /api/me, remembering the CSRF token. */
  async me(): Promise<Record<string, any>> {
    const me = await this.json('/api/me', { expect: 200 });
    this.csrf = me.csrfToken;
    return me;
  }

  signIn(email: string, password = PASSWORD): Promise<Response> {
    return this.fetch('/api/auth/sign-in/email', { method: 'POST', json: { email, password } });
  }
}

let userSerial = 0;
/** A unique address for this test run. */
export function uniqueEmail(label = 'user'): string {
  userSerial += 1;
  return `${label}-${userSerial}-${Math.random().toString(36).slice(2, 8)}@example.test`;
}

/** The newest mail to an address, from the outbox. */
export async function lastMailTo(email: string): Promise<{ subject: string; text: string; html: string; links: string[] }> {
  const res = await call(`/api/dev/mail?to=${encodeURIComponent(email)}`);
  expect(res.status).toBe(200);
  const { messages } = (await res.json()) as { messages: Array<{ subject: string; text: string; html: string; links: string[] }> };
  expect(messages.length, `mail to ${email}`).toBeGreaterThan(0);
  return messages[0];
}

/** Signs up through the real endpoint (no session yet). */
export async function signUp(browser: Browser, email: string, name = 'Test User', password = PASSWORD): Promise<Response> {
  return browser.fetch('/api/auth/sign-up/email', { method: 'POST', json: { name, email, password } });
}

/** Follows the verification link of the newest mail; the browser is then signed in. */
export async function verifyByMail(browser: Browser, email: string): Promise<Response> {
  const res = await call(`/api/dev/mail?to=${encodeURIComponent(email)}`);
  const { messages } = (await res.json()) as { messages: Array<{ links: string[] }> };
  const found = messages.flatMap((m) => m.links).find((l) => l.includes('/api/auth/verify-email'));
  expect(found, `a verification mail to ${email}`).toBeDefined();
  const link = new URL(found!);
  return browser.fetch(link.pathname + link.search);
}

/** A verified, signed-in user with its CSRF token loaded. */
export async function signedInUser(label = 'user'): Promise<{ browser: Browser; email: string; me: Record<string, any> }> {
  const browser = new Browser();
  const email = uniqueEmail(label);
  expect((await signUp(browser, email)).status).toBe(200);
  expect((await verifyByMail(browser, email)).status).toBe(302);
  return { browser, email, me: await browser.me() };
}

/** The invitation token in the newest invitation mail to an address. */
export async function invitationToken(email: string): Promise<string> {
  const mail = await lastMailTo(email);
  const link = mail.links.find((l) => l.includes('/invite?token='));
  expect(link, `an invitation mail to ${email}`).toBeDefined();
  return new URL(link as string).searchParams.get('token') as string;
}

/**
 * A new verified user who joined `owner`'s current organisation with `role` through the real
 * invitation mail; their browser is switched to it.
 */
export async function invitedMember(
  owner: Browser,
  role: 'owner' | 'admin' | 'developer' | 'viewer',
  projectIds: string[] = [],
  label = role,
): Promise<{ browser: Browser; email: string; userId: string }> {
  const member = await signedInUser(label);
  await owner.json('/api/account/invitations', { method: 'POST', json: { email: member.email, role, projectIds }, csrf: true, expect: 201 });
  const token = await invitationToken(member.email);
  const { organization } = await member.browser.json('/api/invitations/accept', { method: 'POST', json: { token }, csrf: true, expect: 200 });
  member.browser.org = organization.id;
  return { browser: member.browser, email: member.email, userId: member.me.user.id };
}

function base32Decode(text: string): Uint8Array {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of text.replace(/=+$/, '').toUpperCase()) {
    value = (value << 5) | alphabet.indexOf(ch);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return new Uint8Array(out);
}

/** The current 6-digit TOTP code (RFC 6238: HMAC-SHA1, 30 s steps) for an otpauth:// URI. */
export async function totpCode(totpURI: string, at = Date.now()): Promise<string> {
  const secret = base32Decode(new URL(totpURI).searchParams.get('secret')!);
  const counter = new DataView(new ArrayBuffer(8));
  counter.setBigUint64(0, BigInt(Math.floor(at / 30_000)));
  const key = await crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-1' }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, counter.buffer));
  const offset = mac[mac.length - 1] & 15;
  const number = ((mac[offset] & 127) << 24) | (mac[offset + 1] << 16) | (mac[offset + 2] << 8) | mac[offset + 3];
  return String(number % 1_000_000).padStart(6, '0');
}
