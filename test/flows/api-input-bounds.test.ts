/**
 * Every /api input is bounded: hostile query values and bodies (huge, negative, NaN, wrong
 * types, deep, 1 MB) on every route that takes them answer 4xx in the /api error shape, never 5xx.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ADMIN, call, callJson, createWorld, type World } from '../helpers';
import { installProviders } from '../payments';

let world: World;
let mk: string;

afterEach(() => vi.restoreAllMocks());

beforeAll(async () => {
  world = await createWorld();
  mk = `Bearer ${world.managementKey}`;
});

const HOSTILE_QUERY = [
  '99999999999999999',
  '9'.repeat(400),
  '-1',
  '-99999999999999999',
  'NaN',
  'Infinity',
  '1e400',
  '0x10',
  '',
  ' ',
  'garbage',
  '2024-13-45T99:99:99Z',
  '+275760-09-13T00:00:00.001Z',
  '-271821-04-19T00:00:00Z',
  '%00',
  'x'.repeat(5000),
  '[]',
  '{"a":1}',
  'null',
];

/** Routes and the query parameters each takes. */
const QUERY_ROUTES: Array<{ path: string; auth: () => string; params: string[] }> = [
  { path: '/api/account/analytics', auth: () => mk, params: ['from', 'to', 'tz', 'keyId', 'model'] },
  { path: '/api/admin/analytics', auth: () => ADMIN, params: ['from', 'to', 'tz'] },
  { path: '/api/account/usage', auth: () => mk, params: ['from', 'to', 'keyId', 'model', 'limit', 'cursor'] },
  { path: '/api/account/usage.csv', auth: () => mk, params: ['from', 'to', 'limit'] },
  { path: '/api/account/journal', auth: () => mk, params: ['before', 'limit'] },
  { path: '/api/account/transactions', auth: () => mk, params: ['from', 'to', 'tz', 'format'] },
  { path: '/api/admin/accounts', auth: () => ADMIN, params: ['q', 'limit'] },
  { path: '/api/admin/reviews', auth: () => ADMIN, params: ['status'] },
  { path: '/api/dev/mail', auth: () => '', params: ['to'] },
];

const deep = (n: number): unknown => (n === 0 ? 1 : { a: deep(n - 1) });
const HOSTILE_VALUES: unknown[] = [
  1e308,
  -1e308,
  -1,
  0,
  1.5,
  Number.MAX_SAFE_INTEGER + 2,
  'NaN',
  '',
  'x'.repeat(100_000),
  [],
  ['a'],
  {},
  { a: [1] },
  null,
  true,
  deep(200),
];

/** Routes with JSON bodies, a valid body for each, so one field at a time can be made hostile. */
const BODY_ROUTES: Array<{ method: string; path: () => string; auth: () => string; body: Record<string, unknown> }> = [
  {
    method: 'POST',
    path: () => '/api/account/keys',
    auth: () => mk,
    body: {
      name: 'k',
      requestsPerMinute: 10,
      tokensPerMinute: { '*': 100 },
      maxConcurrent: 2,
      spendLimitMicros: 10,
      periodSpendLimitMicros: 5,
      period: 'day',
      expiresAt: Date.now() + 60_000,
      allowedServices: ['m'],
    },
  },
  {
    method: 'PATCH',
    path: () => `/api/account/keys/${world.keyId}`,
    auth: () => mk,
    body: { name: 'k', tokensPerMinute: { m: 5 }, expiresAt: '2099-01-01T00:00:00Z' },
  },
  {
    method: 'PUT',
    path: () => '/api/account/billing/auto-recharge',
    auth: () => mk,
    body: { enabled: false, thresholdMicros: 0, amountCents: 500, monthlyCapCents: 500 },
  },
  { method: 'POST', path: () => '/api/account/topups', auth: () => mk, body: { method: 'card', amountCents: 1000, saveCard: false } },
  { method: 'POST', path: () => '/api/account/promotions/redeem', auth: () => mk, body: { code: 'NOPE' } },
  { method: 'POST', path: () => '/api/admin/accounts', auth: () => ADMIN, body: { name: 'n' } },
  {
    method: 'POST',
    path: () => `/api/admin/accounts/${world.accountId}/adjustments`,
    auth: () => ADMIN,
    body: { amountMicros: 1, reason: 'bounds test', idempotencyKey: 'bounds' },
  },
  { method: 'POST', path: () => `/api/admin/accounts/${world.accountId}/write-off`, auth: () => ADMIN, body: { reason: 'bounds test' } },
  { method: 'POST', path: () => `/api/admin/accounts/${world.accountId}/status`, auth: () => ADMIN, body: { status: 'active' } },
  {
    method: 'POST',
    path: () => '/api/admin/services',
    auth: () => ADMIN,
    body: {
      name: 'bounds-svc',
      endpoints: ['chat'],
      originBaseUrl: 'http://origin.test/v1',
      maxOutputTokens: 16,
      prices: { inputMicrosPer1M: 1, outputMicrosPer1M: 1 },
    },
  },
  {
    method: 'PATCH',
    path: () => `/api/admin/services/${world.serviceId}`,
    auth: () => ADMIN,
    body: { maxOutputTokens: 32, defaultTokensPerMinute: 100, prices: { inputMicrosPer1M: 1, outputMicrosPer1M: 1 } },
  },
  {
    method: 'POST',
    path: () => '/api/admin/promotions',
    auth: () => ADMIN,
    body: { code: 'BOUNDS', amountMicros: 1, maxUses: 1, expiresAt: Date.now() + 60_000 },
  },
  { method: 'POST', path: () => '/api/admin/reviews/rev_none/resolve', auth: () => ADMIN, body: { note: 'bounds test' } },
];

const query = (path: string, param: string, value: string) => `${path}?${param}=${encodeURIComponent(value)}`;

describe('/api input bounds', () => {
  it('answers 400 invalid_request for out-of-range or garbage times', async () => {
    for (const path of ['/api/account/analytics', '/api/account/usage', '/api/account/transactions']) {
      for (const [param, value] of [
        ['to', '99999999999999999'],
        ['from', 'garbage'],
        ['from', ''],
        ['to', '-1'],
        ['from', '+275760-09-13T00:00:00.000Z'],
      ]) {
        const res = await call(query(path, param, value), { auth: mk });
        const body = (await res.json()) as { error: { code: string; param?: string; requestId: string } };
        expect(res.status, `${path} ${param}=${value}: ${JSON.stringify(body)}`).toBe(400);
        expect(body.error).toMatchObject({ code: 'invalid_request', param });
        expect(body.error.requestId).toBe(res.headers.get('x-request-id'));
      }
    }
  });

  it('never answers 5xx to a hostile query value on any route', async () => {
    const failures: string[] = [];
    for (const route of QUERY_ROUTES) {
      for (const param of route.params) {
        for (const value of HOSTILE_QUERY) {
          const res = await call(query(route.path, param, value), { auth: route.auth() || undefined });
          if (res.status >= 500) failures.push(`${route.path}?${param}=${value.slice(0, 40)} → ${res.status} ${(await res.text()).slice(0, 200)}`);
          else await res.body?.cancel();
        }
        // The same parameter twice (an array where a string is expected).
        const twice = await call(`${route.path}?${param}=1&${param}=2`, { auth: route.auth() || undefined });
        if (twice.status >= 500) failures.push(`${route.path}?${param}=1&${param}=2 → ${twice.status}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('never answers 5xx to a hostile value in any field of any body', async () => {
    installProviders(); // top-ups reach the (fake) payment provider when their input is valid
    const failures: string[] = [];
    for (const route of BODY_ROUTES) {
      for (const field of Object.keys(route.body)) {
        for (const value of HOSTILE_VALUES) {
          const res = await call(route.path(), { method: route.method, auth: route.auth(), json: { ...route.body, [field]: value } });
          if (res.status >= 500)
            failures.push(`${route.method} ${route.path()} ${field}=${JSON.stringify(value).slice(0, 40)} → ${res.status} ${(await res.text()).slice(0, 200)}`);
          else await res.body?.cancel();
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it("bounds a key's per-model token limits: at most 64 models, names ≤ 100 characters, positive safe integers", async () => {
    const create = (tokensPerMinute: unknown) => call('/api/account/keys', { method: 'POST', auth: mk, json: { name: 'k', tokensPerMinute } });
    const tooMany = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`model-${i}`, 10]));
    for (const bad of [tooMany, { ['m'.repeat(101)]: 10 }, { m: 0 }, { m: -5 }, { m: 1.5 }, { m: 1e300 }, { '': 10 }, ['m']]) {
      const res = await create(bad);
      const body = (await res.json()) as { error: { code: string; param?: string } };
      expect(res.status, JSON.stringify(bad).slice(0, 80)).toBe(400);
      expect(body.error.code).toBe('invalid_request');
      expect(body.error.param ?? '').toMatch(/^tokensPerMinute/);
    }
    expect((await create(Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`model-${i}`, 10])))).status).toBe(201);
  });

  it('refuses expiry dates outside the calendar', async () => {
    for (const expiresAt of [1e300, 8.64e15 + 1, '+275760-09-13T00:00:00.001Z']) {
      const res = await call('/api/account/keys', { method: 'POST', auth: mk, json: { name: 'k', expiresAt } });
      expect(res.status, String(expiresAt)).toBe(400);
    }
  });

  it('refuses a 1 MB body on every /api route with 413 in the /api error shape', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(1_048_576) });
    const targets = [
      ...BODY_ROUTES.map((r) => ({ method: r.method, path: r.path(), auth: r.auth() })),
      { method: 'POST', path: '/api/auth/sign-up/email', auth: '' },
    ];
    for (const t of targets) {
      const res = await call(t.path, { method: t.method, auth: t.auth || undefined, body: big, headers: { 'content-type': 'application/json' } });
      const body = (await res.json()) as { error: { code: string; requestId: string } };
      expect(res.status, `${t.method} ${t.path}`).toBe(413);
      expect(body.error.code).toBe('payload_too_large');
      expect(body.error.requestId).toMatch(/^req_/);
    }
    // Without a content-length (a stream), the limit still holds.
    const chunks = new TextEncoder().encode(big);
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(chunks);
        controller.close();
      },
    });
    const res = await call('/api/account/keys', {
      method: 'POST',
      auth: mk,
      body: stream,
      headers: { 'content-type': 'application/json' },
      duplex: 'half',
    } as RequestInit & { duplex: string; auth: string });
    expect(res.status).toBe(413);
  });

  it('gives webhooks room for large provider events but not unbounded bodies', async () => {
    // A 300 KB event reaches the signature check (400 invalid_signature), a 1 MB one does not.
    const event = JSON.stringify({ id: 'evt_big', padding: 'x'.repeat(300_000) });
    const ok = await call('/api/webhooks/stripe', {
      method: 'POST',
      body: event,
      headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=00' },
    });
    expect(ok.status).toBe(400);
    expect(((await ok.json()) as { error: { code: string } }).error.code).toBe('invalid_signature');
    const huge = await call('/api/webhooks/stripe', { method: 'POST', body: 'x'.repeat(1_100_000), headers: { 'stripe-signature': 't=1,v1=00' } });
    expect(huge.status).toBe(413);
  });

  it('still accepts ordinary requests', async () => {
    await callJson('/api/account/analytics?from=2026-01-01T00:00:00Z&to=2026-01-31T00:00:00Z&tz=Europe/Berlin', { auth: mk, expect: 200 });
    await callJson(`/api/account/usage?from=${Date.now() - 3_600_000}&limit=5`, { auth: mk, expect: 200 });
  });
});
