/**
 * @module routes/api/identity
 * `/api/auth/*` (better-auth, with the gateway's own guards in front), `/api/me` and the local
 * mail outbox `/api/dev/mail`.
 */
import { Hono, type Context } from 'hono';
import { authFor } from '../../auth/auth';
import { csrfToken } from '../../auth/csrf';
import { assertMailConfigured, linksIn, outboxMode } from '../../auth/mail';
import { clearSignInAttempts, countSignInAttempt } from '../../auth/throttle';
import { ensureBillingAccount } from '../../auth/users';
import type { AppEnv } from '../../env';
import { ApiError } from '../../errors';
import { loadSession } from '../../middleware/session';

const forward = (c: Context<AppEnv>) => authFor(c.env).handler(c.req.raw);

async function bodyEmail(c: Context<AppEnv>): Promise<string | null> {
  const body = await c.req.raw.clone().json().catch(() => null) as { email?: unknown } | null;
  return typeof body?.email === 'string' ? body.email : null;
}

/** better-auth under `/api/auth`, behind the per-address sign-in limit and the mail check. */
export const authRoutes = new Hono<AppEnv>()
  // Bodies are JSON only. better-auth also takes form bodies, which would let a request carry an
  // address that the guards below cannot see (and a cross-site form needs no preflight).
  .use('*', async (c, next) => {
    const type = c.req.header('content-type');
    if (c.req.method === 'POST' && type !== undefined && !/^application\/json\b/i.test(type)) {
      throw new ApiError({ code: 'invalid_request', message: 'Send the body as JSON (Content-Type: application/json).' });
    }
    await next();
  })
  // better-auth's admin plugin supplies the role field; its own endpoints (impersonation, user
  // removal, password setting, role changes) are not part of this gateway and are not served.
  .all('/admin/*', () => {
    throw new ApiError({ code: 'not_found', message: 'No such route.' });
  })
  .post('/sign-in/email', async (c) => {
    // better-auth limits each client; this limits each address, whatever the client, so one
    // account cannot be brute-forced from many IPs. The attempt is counted before it is tried
    // (one atomic UPSERT), so parallel guesses cannot all slip past a stale count; a successful
    // sign-in clears the count.
    const email = await bodyEmail(c);
    if (email) {
      const retryAfter = await countSignInAttempt(c.env, email);
      if (retryAfter !== null) {
        throw new ApiError({
          code: 'rate_limit_requests',
          message: `Too many sign-in attempts for this address; try again in ${retryAfter} s.`,
          headers: { 'retry-after': String(retryAfter), 'x-retry-after': String(retryAfter) },
        });
      }
    }
    const res = await forward(c);
    if (email && res.ok) await clearSignInAttempts(c.env, email);
    return res;
  })
  .post('/sign-up/email', async (c) => {
    // Refuse before the user exists if the verification mail could not be sent.
    assertMailConfigured(c.env);
    return forward(c);
  })
  .post('/request-password-reset', async (c) => {
    assertMailConfigured(c.env);
    return forward(c);
  })
  .on(['GET', 'POST'], '/*', forward);

/** `/api/me`: the signed-in user, their billing account and the CSRF token. */
export const meRoutes = new Hono<AppEnv>().get('/', async (c) => {
  const session = await loadSession(c);
  if (!session) throw new ApiError({ code: 'unauthorized', message: 'Not signed in.' });
  const { user } = session;
  const accountId = await ensureBillingAccount(c.env, user);
  const account = await c.env.DB.prepare('SELECT id, name FROM accounts WHERE id = ?').bind(accountId).first<{ id: string; name: string }>();
  return c.json({
    user: { id: user.id, email: user.email, name: user.name, role: user.role ?? 'user', emailVerified: user.emailVerified, twoFactorEnabled: Boolean(user.twoFactorEnabled) },
    account: { id: accountId, name: account?.name ?? user.name },
    csrfToken: await csrfToken(session.session.id, c.env.BETTER_AUTH_SECRET as string),
  });
});

interface OutboxRow { id: string; to: string; subject: string; text: string; html: string; created_at: number }

/** `/api/dev/mail`: the local outbox, newest first; absent unless MAIL_MODE=outbox. */
export const devMailRoutes = new Hono<AppEnv>().get('/', async (c) => {
  if (!outboxMode(c.env)) throw new ApiError({ code: 'not_found', message: 'No such route.' });
  const to = c.req.query('to')?.trim().toLowerCase();
  const stmt = to
    ? c.env.DB.prepare('SELECT * FROM mail_outbox WHERE "to" = ? ORDER BY created_at DESC, id DESC LIMIT 100').bind(to)
    : c.env.DB.prepare('SELECT * FROM mail_outbox ORDER BY created_at DESC, id DESC LIMIT 100');
  const { results } = await stmt.all<OutboxRow>();
  return c.json({
    messages: results.map((m) => ({ id: m.id, to: m.to, subject: m.subject, text: m.text, html: m.html, links: linksIn(m.text), createdAt: m.created_at })),
  });
});
