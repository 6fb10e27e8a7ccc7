/**
 * @module routes/api/identity
 * `/api/auth/*` (better-auth, with the gateway's own guards in front), `/api/me` and the local
 * mail outbox `/api/dev/mail`.
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { authFor } from '../../auth/auth';
import { csrfToken } from '../../auth/csrf';
import { assertMailConfigured, linksIn, outboxMode } from '../../auth/mail';
import { clearSignInAttempts, countSignInAttempt } from '../../auth/throttle';
import { currentOrganization, ORGANIZATION_HEADER, organizationsOf } from '../../auth/organizations';
import type { AppEnv } from '../../env';
import { ApiError, type ErrorCode } from '../../errors';
import { loadSession } from '../../middleware/session';
import { apiRouter, defineRoute, json, z } from './contract';

/** Largest body any auth endpoint needs (an e-mail, a password, a name, a code). */
const MAX_AUTH_BODY_BYTES = 16 * 1024;
/** Longest display name; it becomes the billing account's name too. */
const MAX_NAME_LENGTH = 100;

/** better-auth's statuses in the gateway's closed vocabulary (one status per code). */
function codeFor(status: number): ErrorCode {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 413) return 'payload_too_large';
  if (status === 429) return 'rate_limit_requests';
  if (status === 503) return 'service_unavailable';
  if (status >= 500) return 'internal_error';
  return 'invalid_request';
}

/**
 * Hands the request to better-auth and answers its refusals in the gateway's `/api` error shape
 * (`{error: {code, message, requestId, reason}}`), keeping its human-readable message; its own
 * code (e.g. EMAIL_NOT_VERIFIED) goes in `reason`, so clients can tell cases apart.
 */
async function forward(c: Context<AppEnv>): Promise<Response> {
  const res = await authFor(c.env).handler(c.req.raw);
  if (res.status < 400 || !res.headers.get('content-type')?.includes('application/json')) return res;
  const body = (await res.json().catch(() => null)) as { message?: unknown; code?: unknown } | null;
  const retryAfter = res.headers.get('x-retry-after') ?? res.headers.get('retry-after');
  throw new ApiError({
    code: codeFor(res.status),
    message: typeof body?.message === 'string' && body.message ? body.message : `Sign-in service refused the request (HTTP ${res.status}).`,
    reason: typeof body?.code === 'string' ? body.code : undefined,
    headers: retryAfter ? { 'retry-after': retryAfter, 'x-retry-after': retryAfter } : undefined,
  });
}

/** A display name, when given, is 1–100 characters after trimming. */
async function assertNameFits(c: Context<AppEnv>): Promise<void> {
  const body = (await c.req.raw
    .clone()
    .json()
    .catch(() => null)) as { name?: unknown } | null;
  if (body && 'name' in body && (typeof body.name !== 'string' || body.name.trim().length === 0 || body.name.length > MAX_NAME_LENGTH)) {
    throw new ApiError({ code: 'invalid_request', param: 'name', message: `name: between 1 and ${MAX_NAME_LENGTH} characters.` });
  }
}

async function bodyEmail(c: Context<AppEnv>): Promise<string | null> {
  const body = (await c.req.raw
    .clone()
    .json()
    .catch(() => null)) as { email?: unknown } | null;
  return typeof body?.email === 'string' ? body.email : null;
}

/** better-auth under `/api/auth`, behind the per-address sign-in limit and the mail check. */
export const authRoutes = new Hono<AppEnv>()
  // Bodies are JSON only. better-auth also takes form bodies, which would let a request carry an
  // address that the guards below cannot see (and a cross-site form needs no preflight).
  .use(
    '*',
    bodyLimit({
      maxSize: MAX_AUTH_BODY_BYTES,
      onError: () => {
        throw new ApiError({ code: 'payload_too_large', message: `Auth request bodies are at most ${MAX_AUTH_BODY_BYTES} bytes.` });
      },
    }),
  )
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
    await assertNameFits(c);
    return forward(c);
  })
  .post('/update-user', async (c) => {
    await assertNameFits(c);
    return forward(c);
  })
  .post('/request-password-reset', async (c) => {
    assertMailConfigured(c.env);
    return forward(c);
  })
  .on(['GET', 'POST'], '/*', forward);

const Me = z.object({
  user: z.object({
    id: z.string(),
    email: z.string(),
    name: z.string(),
    role: z.string().describe('user or admin.'),
    emailVerified: z.boolean(),
    twoFactorEnabled: z.boolean(),
  }),
  account: z
    .object({ id: z.string(), name: z.string() })
    .nullable()
    .describe('The organisation this request acts on (x-gateway-organization, else your personal one); null when you belong to none.'),
  organization: z.object({ id: z.string(), name: z.string(), role: z.enum(['owner', 'admin', 'developer', 'viewer']) }).nullable(),
  organizations: z
    .array(z.object({ id: z.string(), name: z.string(), role: z.enum(['owner', 'admin', 'developer', 'viewer']), personal: z.boolean() }))
    .describe('Every organisation you belong to (the switcher).'),
  csrfToken: z.string().describe('Send as x-csrf-token on unsafe requests made with the session.'),
});
const OutboxMessage = z.object({
  id: z.string(),
  to: z.string(),
  subject: z.string(),
  text: z.string(),
  html: z.string(),
  links: z.array(z.string()).describe('The URLs in the text, e.g. the verification link.'),
  createdAt: z.number().int(),
});

const TAGS = ['Identity'];
const me = defineRoute('session', {
  method: 'get',
  path: '/',
  summary: 'The signed-in user, the organisation acting on (x-gateway-organization), all of theirs, and the CSRF token for x-csrf-token',
  tags: TAGS,
  responses: { 200: json(Me, 'The signed-in user') },
});
const devMail = defineRoute('none', {
  method: 'get',
  path: '/',
  summary: 'Local mail outbox, newest first (?to=); 404 unless MAIL_MODE=outbox and LOCAL_DEV=1',
  tags: TAGS,
  request: { query: z.object({ to: z.string().max(320).optional().describe('Only mail to this address.') }) },
  responses: { 200: json(z.object({ messages: z.array(OutboxMessage) }), 'The latest 100 messages') },
});

/** `/api/me`: the signed-in user, the organisation the request acts on, all of theirs, and the CSRF token. */
export const meRoutes = apiRouter().openapi(me, async (c) => {
  const session = await loadSession(c);
  if (!session) throw new ApiError({ code: 'unauthorized', message: 'Not signed in.' });
  const { user } = session;
  const current = await currentOrganization(c.env, user, c.req.header(ORGANIZATION_HEADER)?.trim() || undefined);
  const organizations = await organizationsOf(c.env, user.id);
  const named = current && organizations.find((o) => o.id === current.accountId);
  const organization = current ? { id: current.accountId, name: named?.name ?? current.accountId, role: current.role } : null;
  return c.json(
    {
      user: {
        id: user.id,
        email: user.email,
        name: user.name,
        role: user.role ?? 'user',
        emailVerified: user.emailVerified,
        twoFactorEnabled: Boolean(user.twoFactorEnabled),
      },
      account: organization && { id: organization.id, name: organization.name },
      organization,
      organizations,
      csrfToken: await csrfToken(session.session.id, c.env.BETTER_AUTH_SECRET as string),
    },
    200,
  );
});

interface OutboxRow {
  id: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  created_at: number;
}

/** `/api/dev/mail`: the local outbox, newest first; 404 unless MAIL_MODE=outbox on a LOCAL_DEV=1 deployment. */
export const devMailRoutes = apiRouter().openapi(devMail, async (c) => {
  if (!outboxMode(c.env)) throw new ApiError({ code: 'not_found', message: 'No such route.' });
  const to = c.req.valid('query').to?.trim().toLowerCase();
  const stmt = to
    ? c.env.DB.prepare('SELECT * FROM mail_outbox WHERE "to" = ? ORDER BY created_at DESC, id DESC LIMIT 100').bind(to)
    : c.env.DB.prepare('SELECT * FROM mail_outbox ORDER BY created_at DESC, id DESC LIMIT 100');
  const { results } = await stmt.all<OutboxRow>();
  return c.json(
    {
      messages: results.map((m) => ({ id: m.id, to: m.to, subject: m.subject, text: m.text, html: m.html, links: linksIn(m.text), createdAt: m.created_at })),
    },
    200,
  );
});
