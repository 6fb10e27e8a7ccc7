/**
 * What a user does in the dashboard that several flows share: sign up, verify the e-mail
 * address through the local mail outbox (/dev/mail), sign in; and the same-origin API calls a
 * signed-in page can make (the context's cookies, plus the CSRF token from /api/me).
 */
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { eventually, screenshot } from './browser';

export interface User {
  name: string;
  email: string;
  password: string;
}

export function makeUser(name: string, email: string): User {
  return { name, email, password: `e2e-${name.toLowerCase()}-Pa55word!` };
}

/** /signup (unless `open` is false: the page is on it already): fill the form, submit, and see the "check your e-mail" message. */
export async function signUp(page: Page, user: User, { shot, open = true }: { shot?: string; open?: boolean } = {}) {
  if (open) await page.goto('/signup');
  await page.getByRole('button', { name: 'Create account' }).waitFor();
  await page.getByLabel('Name', { exact: true }).fill(user.name);
  await page.getByLabel('Email', { exact: true }).fill(user.email);
  await page.getByLabel('Password', { exact: true }).fill(user.password);
  if (shot) await screenshot(page, shot, { phone: true });
  await page.getByRole('button', { name: 'Create account' }).click();
  await page
    .getByText(/check your (e-?mail|inbox)/i)
    .first()
    .waitFor();
}

/**
 * /dev/mail: open the newest message to `email`, then follow its verification link; the user
 * lands on /verified, signed in.
 */
export async function verifyByOutbox(page: Page, email: string, { shot }: { shot?: string } = {}) {
  const message = await openMail(page, email, /verif|confirm/i, { shot });
  const link = message.locator('a[href*="verify-email"]').first();
  await link.waitFor();
  await link.click();
  await page.waitForURL(/\/verified/);
  await page
    .getByText(/your e-?mail is verified/i)
    .first()
    .waitFor();
}

/**
 * Open the mail outbox and the newest message to `email` (subject matching `subject`); returns
 * the page region that shows the opened message (the page itself when it cannot tell).
 */
export async function openMail(page: Page, email: string, subject: RegExp, { shot }: { shot?: string } = {}) {
  await page.goto('/dev/mail');
  await page.getByRole('heading', { name: 'Mail outbox' }).waitFor();
  // The mail is written before sign-up answers; still, reload until the list shows it.
  const item = await eventually(
    async () => {
      const items = page.getByRole('listitem').filter({ hasText: email }).filter({ hasText: subject });
      if ((await items.count()) > 0) return items.first();
      await page.reload();
      await page.getByRole('heading', { name: 'Mail outbox' }).waitFor();
      return undefined;
    },
    { timeoutMs: 20_000, message: `no mail to ${email} with a subject like ${subject} in /dev/mail` },
  );
  if (shot) await screenshot(page, shot, { phone: true });
  const opener = item.getByRole('link').or(item.getByRole('button')).first();
  if ((await opener.count()) > 0) await opener.click();
  else await item.click();
  const message = page.getByRole('article', { name: 'Message' });
  return (await message.count()) > 0 ? message : page.locator('body');
}

/** /login: e-mail and password, then the overview. */
export async function signIn(page: Page, user: Pick<User, 'email' | 'password'>, { shot }: { shot?: string } = {}) {
  await page.goto('/login');
  await page.getByLabel('Email', { exact: true }).fill(user.email);
  await page.getByLabel('Password', { exact: true }).fill(user.password);
  if (shot) await screenshot(page, shot, { phone: true });
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
}

export type Role = 'owner' | 'admin' | 'developer' | 'viewer';

export interface Me {
  user: { id: string; email: string; name: string; role: string; emailVerified: boolean };
  account: { id: string; name: string };
  organization: { id: string; name: string; role: Role };
  organizations: Array<{ id: string; name: string; role: Role; personal: boolean }>;
  csrfToken: string;
}

/** GET /api/me with the page's session cookie (acting on `organization`, else the personal one). */
export async function me(page: Page, organization?: string): Promise<Me> {
  const response = await page.request.get('/api/me', { headers: organization ? { 'x-gateway-organization': organization } : {} });
  expect(response.status(), `GET /api/me: ${await response.text()}`).toBe(200);
  return (await response.json()) as Me;
}

/**
 * A same-origin JSON call with the page's cookies; unsafe methods carry the Origin header a
 * browser would send and, unless `csrf` is false, the CSRF token from /api/me. `organization`
 * names the organisation it acts on (x-gateway-organization), as the dashboard's switcher does.
 */
export async function api(
  page: Page,
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
  path: string,
  { body, csrf = true, organization }: { body?: unknown; csrf?: boolean | string; organization?: string } = {},
): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = organization ? { 'x-gateway-organization': organization } : {};
  if (method !== 'GET') {
    headers.origin = new URL(page.url()).origin;
    if (csrf) headers['x-csrf-token'] = typeof csrf === 'string' ? csrf : (await me(page)).csrfToken;
  }
  const response = await page.request.fetch(path, { method, headers, data: body === undefined ? undefined : body });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status(), body: parsed };
}
