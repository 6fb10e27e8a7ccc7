/**
 * @module routes/api/identity
 * `/api/auth/*` (better-auth, with the gateway's own guards in front), `/api/me` and the local
 * mail outbox `/api/dev/mail`.
 */
import { Hono, type Context } from 'hono';
import { authFor } from '../../auth/auth';
import { csrfToken } from '../../auth/csrf';
import { assertMailConfigured, linksIn, outboxMode } from '../../auth/mail';
import { clearSignInFailures, recordSignInFailure, signInLockedFor } from '../../auth/throttle';
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
  .post('/sign-in/email', async (c) => {
    // better-auth limits each client; this limits each address, whatever the client, so one
    // account cannot be brute-forced from many IPs.
    const email = await bodyEmail(c);
    if (email) {
      const retryAfter = await signInLockedFor(c.env, email);
      if (retryAfter !== null) {
        throw new ApiError({
          code: 'rate_limit_requests',
          message: `Too many failed sign-ins for this address; try again in ${retryAfter} s.`,
          headers: { 'retry-after': String(retryAfter), 'x-retry-after': String(retryAfter) },
        });
      }
    }
    const res = await forward(c);
    if (email && res.status === 401) await recordSignInFailure(c.env, email);
    if (email && res.ok) await clearSignInFailures(c.env, email);
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
