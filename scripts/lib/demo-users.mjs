// @ts-check
/**
 * Demo users for `npm start`: signed up and verified through the real endpoints and the local
 * mail outbox, each with a session-bound client. Web APIs only (tests call these inside workerd).
 */
import { GatewayApiError } from './gateway-api.mjs';

/**
 * A password for a demo user that is stable on this machine and unknown elsewhere.
 * @param {string} adminToken
 * @param {string} email
 */
export async function demoPassword(adminToken, email) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`demo-password:${adminToken}:${email}`)));
  return `demo-${Array.from(digest.slice(0, 9), (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/**
 * Sign a user up (or find it), verify it through the outbox mail if needed, and return a
 * session-bound client for /api/account/* plus the user's billing account id.
 * @param {{ gatewayUrl: string, dashboardUrl: string, fetch: typeof fetch }} site
 * @param {{ name: string, email: string, password: string }} who
 */
export async function ensureUser(site, who) {
  const base = site.gatewayUrl.replace(/\/+$/, '');
  // Browsers send the dashboard's Origin; better-auth refuses others on cookie-bearing requests.
  const origin = new URL(site.dashboardUrl).origin;
  /** @type {Map<string, string>} */
  const cookies = new Map();
  /**
   * @param {string} method
   * @param {string} path
   * @param {unknown} [body]
   * @param {Record<string, string>} [extra]
   */
  const send = async (method, path, body, extra = {}) => {
    /** @type {Record<string, string>} */
    const headers = { accept: 'application/json', origin, ...extra };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (cookies.size) headers.cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await site.fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq > 0) cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    const text = await res.text();
    /** @type {unknown} */
    let parsed = text;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed };
  };

  // A user seeded before signs in; sign-up (limited per client) only for a new one.
  let signIn = await send('POST', '/api/auth/sign-in/email', { email: who.email, password: who.password });
  if (signIn.status === 401) {
    const signUp = await send('POST', '/api/auth/sign-up/email', { name: who.name, email: who.email, password: who.password, callbackURL: '/verified' });
    if (signUp.status !== 200 && signUp.status !== 422) throw new GatewayApiError('POST', '/api/auth/sign-up/email', signUp.status, signUp.body);
    signIn = await send('POST', '/api/auth/sign-in/email', { email: who.email, password: who.password });
  }
  if (signIn.status === 403) {
    let link = await verificationLink(send, who.email);
    if (!link) {
      await send('POST', '/api/auth/send-verification-email', { email: who.email, callbackURL: '/verified' });
      link = await verificationLink(send, who.email);
    }
    if (!link) throw new Error(`no verification mail for ${who.email} in /api/dev/mail (is MAIL_MODE=outbox set in .dev.vars?)`);
    const url = new URL(link);
    const verified = await send('GET', url.pathname + url.search);
    if (verified.status !== 302) throw new GatewayApiError('GET', url.pathname, verified.status, verified.body);
    signIn = await send('POST', '/api/auth/sign-in/email', { email: who.email, password: who.password });
  }
  if (signIn.status !== 200) {
    throw new GatewayApiError(
      'POST',
      '/api/auth/sign-in/email',
      signIn.status,
      `${JSON.stringify(signIn.body)} (the demo user exists with another password? delete .local/state to start over)`,
    );
  }
  const me = await send('GET', '/api/me');
  if (me.status !== 200) throw new GatewayApiError('GET', '/api/me', me.status, me.body);
  const csrfToken = /** @type {string} */ (field(me.body, 'csrfToken'));
  const account = /** @type {{ id: string }} */ (field(me.body, 'account'));
  return {
    accountId: account.id,
    /**
     * A call to /api/account/* as this user (session cookie + CSRF token), in their personal
     * organisation or the one named; throws unless 2xx.
     * @param {string} method
     * @param {string} path
     * @param {unknown} [body]
     * @param {string} [organization]
     */
    async request(method, path, body, organization) {
      const res = await send(method, path, body, { 'x-csrf-token': csrfToken, ...(organization ? { 'x-gateway-organization': organization } : {}) });
      if (res.status < 200 || res.status > 299) throw new GatewayApiError(method, path, res.status, res.body);
      return res;
    },
  };
}

/**
 * The newest verification link mailed to `email`, from the local outbox.
 * @param {(method: string, path: string) => Promise<{ status: number, body: unknown }>} send
 * @param {string} email
 * @returns {Promise<string | undefined>}
 */
async function verificationLink(send, email) {
  const res = await send('GET', `/api/dev/mail?to=${encodeURIComponent(email)}`);
  if (res.status !== 200) return undefined;
  const messages = /** @type {Array<{ links: string[] }>} */ (field(res.body, 'messages'));
  return messages.flatMap((m) => m.links).find((l) => l.includes('/api/auth/verify-email'));
}

/**
 * `body[name]`, or a clear error naming what the contract promised.
 * @param {unknown} body
 * @param {string} name
 * @returns {unknown}
 */
export function field(body, name) {
  const value = body && typeof body === 'object' ? /** @type {Record<string, unknown>} */ (body)[name] : undefined;
  if (value === undefined || value === null) {
    throw new Error(`gateway response lacks "${name}": ${JSON.stringify(body).slice(0, 300)}`);
  }
  return value;
}
