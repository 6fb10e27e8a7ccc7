/**
 * One table of every /api route the app registers, and the refusals each must give: no
 * credentials, another tenant's ids, a non-admin on admin routes, a cookie without the CSRF
 * token. The first test compares the table with `app.routes`, so a new route cannot be left out.
 */
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../worker/app';
import { DEFAULT_ANOMALY_SETTINGS } from '../../worker/durable-objects/account/anomaly-settings';
import { ADMIN, call, callJson } from '../helpers';
import { Browser, invitedMember, signedInUser, signUp, verifyByMail } from '../session';

interface Ids {
  keyId: string;
  topupId: string;
  accountId: string;
  serviceId: string;
  budgetId: string;
  channelId: string;
  projectId: string;
  invitationId: string;
  ownerId: string;
}
type Guard = 'public' | 'session' | 'account' | 'admin';
type Role = 'viewer' | 'developer' | 'admin' | 'owner';
interface Route {
  guard: Guard;
  /** The least role in the organisation that may call an account route (default: viewer for GET, admin otherwise). */
  role?: Role;
  /** Concrete path with user A's ids. */
  path?: (ids: Ids) => string;
  json?: unknown;
  /** Status user B gets on A's object (account routes that name an id). */
  crossTenant?: number;
}

const ROUTES: Record<string, Route> = {
  'GET /api/health': { guard: 'public' },
  'GET /api/openapi.json': { guard: 'public' },
  'GET /api/docs': { guard: 'public' },
  // better-auth: its own sessions, origin check and rate limits (test/flows/auth.test.ts).
  'POST /api/auth/sign-in/email': { guard: 'public' },
  'POST /api/auth/sign-up/email': { guard: 'public' },
  'POST /api/auth/request-password-reset': { guard: 'public' },
  // better-auth refuses it without a session (401) and from a foreign origin (auth.test.ts).
  'POST /api/auth/update-user': { guard: 'public' },
  'GET /api/auth/*': { guard: 'public' },
  'POST /api/auth/*': { guard: 'public' },
  // Only exists with MAIL_MODE=outbox (local development).
  'GET /api/dev/mail': { guard: 'public' },
  // Signed by the provider (test/flows/stripe.test.ts, btcpay.test.ts).
  'POST /api/webhooks/stripe': { guard: 'public' },
  'POST /api/webhooks/btcpay': { guard: 'public' },
  'GET /api/me': { guard: 'session' },
  'GET /api/organizations': { guard: 'session' },
  'POST /api/organizations': { guard: 'session', json: { name: 'x' } },
  'POST /api/invitations/accept': { guard: 'session', json: { token: 'x'.repeat(40) } },

  'GET /api/account': { guard: 'account' },
  'GET /api/account/journal': { guard: 'account' },
  'GET /api/account/usage': { guard: 'account' },
  'GET /api/account/usage.csv': { guard: 'account' },
  'GET /api/account/analytics': { guard: 'account' },
  'GET /api/account/usage-archives': { guard: 'account', role: 'admin' },
  // Cross-tenant downloads: test/flows/rollups.test.ts (another organisation's archive key is 404).
  'GET /api/account/usage-archives/download': { guard: 'account', role: 'admin', path: () => '/api/account/usage-archives/download?key=usage%2Fnone' },
  'GET /api/account/keys': { guard: 'account' },
  'POST /api/account/keys': { guard: 'account', role: 'developer', json: { name: 'x' } },
  'GET /api/account/keys/:id': { guard: 'account', role: 'developer', path: (i) => `/api/account/keys/${i.keyId}`, crossTenant: 404 },
  'PATCH /api/account/keys/:id': {
    guard: 'account',
    role: 'developer',
    path: (i) => `/api/account/keys/${i.keyId}`,
    json: { name: 'stolen' },
    crossTenant: 404,
  },
  'POST /api/account/keys/:id/revoke': { guard: 'account', role: 'developer', path: (i) => `/api/account/keys/${i.keyId}/revoke`, crossTenant: 404 },
  'DELETE /api/account/keys/:id': { guard: 'account', role: 'developer', path: (i) => `/api/account/keys/${i.keyId}`, crossTenant: 404 },
  'GET /api/account/projects': { guard: 'account' },
  'POST /api/account/projects': { guard: 'account', json: { name: 'x' } },
  'GET /api/account/projects/:id': { guard: 'account', path: (i) => `/api/account/projects/${i.projectId}`, crossTenant: 404 },
  'PATCH /api/account/projects/:id': { guard: 'account', path: (i) => `/api/account/projects/${i.projectId}`, json: { name: 'stolen' }, crossTenant: 404 },
  'DELETE /api/account/projects/:id': { guard: 'account', path: (i) => `/api/account/projects/${i.projectId}`, crossTenant: 404 },
  'GET /api/account/members': { guard: 'account' },
  'PATCH /api/account/members/:userId': { guard: 'account', path: (i) => `/api/account/members/${i.ownerId}`, json: { role: 'viewer' }, crossTenant: 404 },
  // Any member may leave (their own id); removing someone else needs an admin (checked in the handler).
  'DELETE /api/account/members/:userId': { guard: 'account', role: 'admin', path: (i) => `/api/account/members/${i.ownerId}`, crossTenant: 404 },
  'GET /api/account/invitations': { guard: 'account', role: 'admin' },
  'POST /api/account/invitations': { guard: 'account', json: { email: 'someone@example.test' } },
  'DELETE /api/account/invitations/:id': { guard: 'account', path: (i) => `/api/account/invitations/${i.invitationId}`, crossTenant: 404 },
  'GET /api/account/budgets': { guard: 'account' },
  'POST /api/account/budgets': { guard: 'account', json: { name: 'x', scope: 'organization', amountMicros: 1, window: 'day' } },
  'GET /api/account/budgets/:id': { guard: 'account', path: (i) => `/api/account/budgets/${i.budgetId}`, crossTenant: 404 },
  'PATCH /api/account/budgets/:id': { guard: 'account', path: (i) => `/api/account/budgets/${i.budgetId}`, json: { amountMicros: 0 }, crossTenant: 404 },
  'DELETE /api/account/budgets/:id': { guard: 'account', path: (i) => `/api/account/budgets/${i.budgetId}`, crossTenant: 404 },
  'GET /api/account/calendar': { guard: 'account' },
  'PUT /api/account/calendar': { guard: 'account', json: { weekStart: 1 } },
  'GET /api/account/alerts': { guard: 'account' },
  'GET /api/account/anomalies': { guard: 'account' },
  'POST /api/account/anomalies/:id/resolve': { guard: 'account', role: 'admin', path: () => '/api/account/anomalies/anm_none/resolve' },
  'GET /api/account/anomaly-settings': { guard: 'account' },
  'PUT /api/account/anomaly-settings': { guard: 'account', role: 'admin', json: DEFAULT_ANOMALY_SETTINGS },
  'GET /api/account/forecast': { guard: 'account', role: 'admin' },
  'GET /api/account/statements': { guard: 'account', role: 'admin' },
  'GET /api/account/statements/:period/pdf': { guard: 'account', role: 'admin', path: () => '/api/account/statements/2000-01/pdf' },
  'GET /api/account/statements/:period/csv': { guard: 'account', role: 'admin', path: () => '/api/account/statements/2000-01/csv' },
  'GET /api/account/alert-settings': { guard: 'account' },
  'PUT /api/account/alert-settings': { guard: 'account', json: { lowBalanceMicros: null } },
  'GET /api/account/notification-channels': { guard: 'account', role: 'admin' },
  'POST /api/account/notification-channels': { guard: 'account', json: { kind: 'slack', name: 'x', target: 'https://hooks.test/x' } },
  'GET /api/account/notification-channels/:id': {
    guard: 'account',
    role: 'admin',
    path: (i) => `/api/account/notification-channels/${i.channelId}`,
    crossTenant: 404,
  },
  'PATCH /api/account/notification-channels/:id': {
    guard: 'account',
    path: (i) => `/api/account/notification-channels/${i.channelId}`,
    json: { enabled: false },
    crossTenant: 404,
  },
  'DELETE /api/account/notification-channels/:id': { guard: 'account', path: (i) => `/api/account/notification-channels/${i.channelId}`, crossTenant: 404 },
  'POST /api/account/notification-channels/:id/test': {
    guard: 'account',
    path: (i) => `/api/account/notification-channels/${i.channelId}/test`,
    crossTenant: 404,
  },
  'POST /api/account/notification-channels/:id/rotate-secret': {
    guard: 'account',
    path: (i) => `/api/account/notification-channels/${i.channelId}/rotate-secret`,
    crossTenant: 404,
  },
  'GET /api/account/notification-channels/:id/deliveries': {
    guard: 'account',
    role: 'admin',
    path: (i) => `/api/account/notification-channels/${i.channelId}/deliveries`,
    crossTenant: 404,
  },
  'GET /api/account/billing': { guard: 'account' },
  // Also refuses a management key (403): only a signed-in member changes it (auto-recharge.test.ts).
  'PUT /api/account/billing/auto-recharge': { guard: 'account', json: { enabled: false, thresholdMicros: 0, amountCents: 500, monthlyCapCents: 500 } },
  'POST /api/account/topups': { guard: 'account', json: { method: 'card', amountCents: 1000 } },
  'GET /api/account/topups': { guard: 'account' },
  'GET /api/account/topups/:id': { guard: 'account', path: (i) => `/api/account/topups/${i.topupId}`, crossTenant: 404 },
  'GET /api/account/topups/:id/receipt': { guard: 'account', path: (i) => `/api/account/topups/${i.topupId}/receipt`, crossTenant: 404 },
  'GET /api/account/transactions': { guard: 'account' },
  'POST /api/account/promotions/redeem': { guard: 'account', json: { code: 'NOPE' } },

  'GET /api/admin/accounts': { guard: 'admin' },
  'POST /api/admin/accounts': { guard: 'admin', json: { name: 'x' } },
  'GET /api/admin/accounts/:id': { guard: 'admin', path: (i) => `/api/admin/accounts/${i.accountId}` },
  'POST /api/admin/accounts/:id/adjustments': {
    guard: 'admin',
    path: (i) => `/api/admin/accounts/${i.accountId}/adjustments`,
    json: { amountMicros: 1_000_000_000, reason: 'free money' },
  },
  'POST /api/admin/accounts/:id/write-off': { guard: 'admin', path: (i) => `/api/admin/accounts/${i.accountId}/write-off`, json: { reason: 'nope' } },
  'POST /api/admin/accounts/:id/status': { guard: 'admin', path: (i) => `/api/admin/accounts/${i.accountId}/status`, json: { status: 'suspended' } },
  'POST /api/admin/accounts/:id/management-keys': { guard: 'admin', path: (i) => `/api/admin/accounts/${i.accountId}/management-keys` },
  'POST /api/admin/accounts/:id/management-keys/:keyId/revoke': {
    guard: 'admin',
    path: (i) => `/api/admin/accounts/${i.accountId}/management-keys/${i.keyId}/revoke`,
  },
  'GET /api/admin/accounts/:id/keys': { guard: 'admin', path: (i) => `/api/admin/accounts/${i.accountId}/keys` },
  'GET /api/admin/accounts/:id/journal': { guard: 'admin', path: (i) => `/api/admin/accounts/${i.accountId}/journal` },
  // Local demo only (DEMO_HISTORY=1 and LOCAL_DEV=1, else 404): test/flows/demo-history.test.ts.
  'POST /api/admin/demo/:id/history': { guard: 'admin', path: (i) => `/api/admin/demo/${i.accountId}/history`, json: { models: ['demo-llm'] } },
  'GET /api/admin/services': { guard: 'admin' },
  'POST /api/admin/services': { guard: 'admin', json: { name: 'x' } },
  'GET /api/admin/services/:id': { guard: 'admin', path: (i) => `/api/admin/services/${i.serviceId}` },
  'PATCH /api/admin/services/:id': { guard: 'admin', path: (i) => `/api/admin/services/${i.serviceId}`, json: { maxOutputTokens: 1 } },
  'POST /api/admin/promotions': { guard: 'admin', json: { code: 'SECURITY', amountMicros: 1, maxUses: 1 } },
  'GET /api/admin/promotions': { guard: 'admin' },
  'GET /api/admin/reviews': { guard: 'admin' },
  'POST /api/admin/reviews/:id/resolve': { guard: 'admin', path: () => '/api/admin/reviews/rev_x/resolve', json: { note: 'nope' } },
  'POST /api/admin/reconcile': { guard: 'admin' },
  'GET /api/admin/topups': { guard: 'admin' },
  'GET /api/admin/audit': { guard: 'admin' },
  'GET /api/admin/analytics': { guard: 'admin' },
};

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const entries = Object.entries(ROUTES).map(([key, route]) => {
  const [method, pattern] = key.split(' ');
  return { key, method, pattern, ...route };
});
const concrete = (e: (typeof entries)[number], ids: Ids) => (e.path ? e.path(ids) : e.pattern);
const codeOf = async (res: Response) =>
  (
    (await res
      .clone()
      .json()
      .catch(() => ({}))) as any
  )?.error?.code;

let ids: Ids;
let userA: Browser;
let userB: Browser;
let admin: Browser;
/** Members of A's organisation with the two least roles. */
let viewerOfA: Browser;
let developerOfA: Browser;
const ROLE_RANK: Role[] = ['viewer', 'developer', 'admin', 'owner'];
const leastRole = (e: { method: string; role?: Role }): Role => e.role ?? (e.method === 'GET' ? 'viewer' : 'admin');

beforeAll(async () => {
  const a = await signedInUser('matrix-a');
  const b = await signedInUser('matrix-b');
  userA = a.browser;
  userB = b.browser;
  admin = new Browser();
  await signUp(admin, 'admin@example.test', 'Operator');
  await verifyByMail(admin, 'admin@example.test');
  expect((await admin.me()).user.role).toBe('admin');
  const { key } = await userA.json('/api/account/keys', { method: 'POST', json: { name: 'A key' }, csrf: true, expect: 201 });
  const topupId = 'top_matrix_a';
  await env.DB.prepare(
    `INSERT INTO topups (id, account_id, method, amount_cents, credit_micros, status, created_at, updated_at) VALUES (?, ?, 'card', 1000, 10000000, 'paid', ?, ?)`,
  )
    .bind(topupId, a.me.account.id, Date.now(), Date.now())
    .run();
  const { service } = await callJson('/api/admin/services', {
    method: 'POST',
    auth: ADMIN,
    expect: 201,
    json: {
      name: 'matrix-model',
      endpoints: ['chat'],
      originBaseUrl: 'http://origin.test/v1',
      maxOutputTokens: 16,
      prices: { inputMicrosPer1M: 1, outputMicrosPer1M: 1 },
    },
  });
  const { budget } = await userA.json('/api/account/budgets', {
    method: 'POST',
    json: { name: 'A budget', scope: 'organization', amountMicros: 5_000_000, window: 'month' },
    csrf: true,
    expect: 201,
  });
  const { channel } = await userA.json('/api/account/notification-channels', {
    method: 'POST',
    json: { kind: 'webhook', name: 'A hook', target: 'https://hooks.test/a' },
    csrf: true,
    expect: 201,
  });
  const { project } = await userA.json('/api/account/projects', { method: 'POST', json: { name: 'A project' }, csrf: true, expect: 201 });
  const { invitation } = await userA.json('/api/account/invitations', { method: 'POST', json: { email: 'pending@example.test' }, csrf: true, expect: 201 });
  ids = {
    keyId: key.id,
    topupId,
    accountId: a.me.account.id,
    serviceId: service.id,
    budgetId: budget.id,
    channelId: channel.id,
    projectId: project.id,
    invitationId: invitation.id,
    ownerId: a.me.user.id,
  };
  viewerOfA = (await invitedMember(userA, 'viewer')).browser;
  developerOfA = (await invitedMember(userA, 'developer')).browser;
});

describe('security matrix', () => {
  it('has an expectation for every /api route the app registers, and no stale ones', () => {
    const registered = new Set(
      createApp()
        .routes.filter((r) => r.path.startsWith('/api') && r.method !== 'ALL')
        .map((r) => `${r.method} ${r.path}`),
    );
    expect([...registered].sort()).toEqual(Object.keys(ROUTES).sort());
  });

  it('answers 401 unauthorized on every non-public route without a session or key', async () => {
    for (const e of entries.filter((x) => x.guard !== 'public')) {
      const res = await call(concrete(e, ids), { method: e.method, json: e.json });
      expect(res.status, `${e.key} without credentials`).toBe(401);
      expect(await codeOf(res), e.key).toBe('unauthorized');
    }
  });

  it('serves the public routes without credentials (their own checks apply)', async () => {
    expect((await call('/api/health')).status).toBe(200);
    expect((await call('/api/openapi.json')).status).toBe(200);
    expect((await call('/api/dev/mail')).status).toBe(200);
    expect((await call('/api/auth/get-session')).status).toBe(200);
    for (const provider of ['stripe', 'btcpay']) {
      const res = await call(`/api/webhooks/${provider}`, { method: 'POST', body: '{}' });
      expect(res.status, `unsigned ${provider} webhook`).toBe(400);
      expect(await codeOf(res)).toBe('invalid_signature');
    }
  });

  it('answers 403 forbidden to a signed-in non-admin on every admin route, changing nothing', async () => {
    await userA.me();
    const before = await callJson(`/api/admin/accounts/${ids.accountId}`, { auth: ADMIN, expect: 200 });
    for (const e of entries.filter((x) => x.guard === 'admin')) {
      const res = await userA.fetch(concrete(e, ids), { method: e.method, json: e.json, csrf: true });
      expect(res.status, `${e.key} as a non-admin`).toBe(403);
      expect(await codeOf(res), e.key).toBe('forbidden');
    }
    const after = await callJson(`/api/admin/accounts/${ids.accountId}`, { auth: ADMIN, expect: 200 });
    expect(after.account).toMatchObject({ status: 'active', balanceMicros: before.account.balanceMicros });
  });

  it('answers 403 csrf_failed on every unsafe route reached with a session cookie but no x-csrf-token', async () => {
    const unsafe = entries.filter((x) => UNSAFE.has(x.method) && x.guard !== 'public');
    expect(unsafe.length).toBeGreaterThanOrEqual(18);
    for (const e of unsafe) {
      const who = e.guard === 'admin' ? admin : userA;
      const res = await who.fetch(concrete(e, ids), { method: e.method, json: e.json });
      expect(res.status, `${e.key} without the CSRF token`).toBe(403);
      expect(await codeOf(res), e.key).toBe('csrf_failed');
      const wrong = await who.fetch(concrete(e, ids), { method: e.method, json: e.json, headers: { 'x-csrf-token': 'forged' } });
      expect(await codeOf(wrong), `${e.key} with a forged CSRF token`).toBe('csrf_failed');
    }
    const keys = await userA.json('/api/account/keys', { expect: 200 });
    expect(keys.keys.map((k: any) => [k.id, k.name, k.status])).toEqual([[ids.keyId, 'A key', 'active']]);
  });

  it('answers 403 forbidden to each role on every account route above it, changing nothing', async () => {
    for (const [who, role] of [
      [viewerOfA, 'viewer'],
      [developerOfA, 'developer'],
    ] as const) {
      await who.me();
      const above = entries.filter((x) => x.guard === 'account' && ROLE_RANK.indexOf(leastRole(x)) > ROLE_RANK.indexOf(role));
      expect(above.length).toBeGreaterThan(role === 'viewer' ? 25 : 20);
      for (const e of above) {
        const res = await who.fetch(concrete(e, ids), { method: e.method, json: e.json, csrf: true });
        expect(res.status, `${e.key} as a ${role}`).toBe(403);
        expect(await codeOf(res), `${e.key} as a ${role}`).toBe('forbidden');
      }
      // What the role may do, it may.
      for (const e of entries.filter((x) => x.guard === 'account' && x.method === 'GET' && leastRole(x) === 'viewer' && !x.path)) {
        expect((await who.fetch(e.pattern)).status, `${e.key} as a ${role}`).toBe(200);
      }
    }
    const keys = await userA.json('/api/account/keys', { expect: 200 });
    expect(keys.keys.map((k: any) => [k.id, k.name, k.status])).toEqual([[ids.keyId, 'A key', 'active']]);
    expect((await userA.json(`/api/account/projects/${ids.projectId}`, { expect: 200 })).project.name).toBe('A project');
    const { members } = await userA.json('/api/account/members', { expect: 200 });
    expect(members.find((m: any) => m.userId === ids.ownerId).role).toBe('owner');
  });

  it("gives user B 404 on user A's ids and nothing of A's data; A's data stays unchanged", async () => {
    await userB.me();
    for (const e of entries.filter((x) => x.crossTenant)) {
      const res = await userB.fetch(concrete(e, ids), { method: e.method, json: e.json, csrf: true });
      expect(res.status, `${e.key} as another tenant`).toBe(e.crossTenant);
    }
    const usage = await userB.json(`/api/account/usage?keyId=${ids.keyId}`, { expect: 200 });
    expect(usage.data).toEqual([]);
    const analytics = await userB.json(`/api/account/analytics?keyId=${ids.keyId}`, { expect: 200 });
    expect(analytics.totals.requests).toBe(0);
    expect((await userB.json('/api/account/topups', { expect: 200 })).topups).toEqual([]);
    expect((await userB.json('/api/account', { expect: 200 })).account.id).not.toBe(ids.accountId);
    const keys = await userA.json('/api/account/keys', { expect: 200 });
    expect(keys.keys.map((k: any) => [k.id, k.name, k.status])).toEqual([[ids.keyId, 'A key', 'active']]);
    expect((await userA.json(`/api/account/topups/${ids.topupId}`, { expect: 200 })).topup.id).toBe(ids.topupId);
  });

  it('lets the admin session through on admin routes, with the CSRF token on unsafe ones', async () => {
    await admin.me();
    expect((await admin.fetch('/api/admin/services')).status).toBe(200);
    const found = await admin.json(`/api/admin/accounts?q=${encodeURIComponent('matrix-a')}`, { expect: 200 });
    expect(found.accounts).toEqual([
      expect.objectContaining({ id: ids.accountId, balanceMicros: 0, status: 'active', ownerEmail: expect.stringMatching(/^matrix-a-/) }),
    ]);
    const adjusted = await admin.json(`/api/admin/accounts/${ids.accountId}/adjustments`, {
      method: 'POST',
      json: { amountMicros: 2_500_000, reason: 'welcome credit' },
      csrf: true,
      expect: 201,
    });
    expect(adjusted.balanceMicros).toBe(2_500_000);
    const audit = await env.DB.prepare("SELECT actor FROM audit_log WHERE action = 'account.adjust' AND target = ?")
      .bind(ids.accountId)
      .all<{ actor: string }>();
    expect(audit.results.map((r) => r.actor)).toEqual([`user:${(await admin.me()).user.id}`]);
    expect((await userA.json('/api/account', { expect: 200 })).account.balanceMicros).toBe(2_500_000);
  });
});
