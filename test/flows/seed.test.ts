import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { demoStillWorks, seedDemo } from '../../scripts/lib/seed.mjs';
import { DEMO_KEY_LIMITS } from '../../scripts/lib/seed.mjs';
import { ADMIN, callJson, dispatch, installOrigin, ORIGIN_URL, sdk } from '../helpers';
import { Browser } from '../session';

const fetchWorker = ((input: RequestInfo | URL, init?: RequestInit) => dispatch(new Request(input, init))) as typeof fetch;
const options = {
  gatewayUrl: 'http://gateway.test',
  dashboardUrl: 'http://dashboard.test',
  adminToken: env.ADMIN_TOKEN as string,
  originUrl: ORIGIN_URL,
  adminEmail: 'seed-admin@example.test',
  userEmail: 'seed-user@example.test',
  fetch: fetchWorker,
};

afterEach(() => vi.restoreAllMocks());

describe('demo seed (npm start)', () => {
  it("signs up and verifies the demo admin and user, funds the user's own account once, and issues a working key", async () => {
    const demo = await seedDemo(options);
    expect(demo).toMatchObject({
      gatewayUrl: 'http://gateway.test',
      dashboardUrl: 'http://dashboard.test',
      model: 'demo-llm',
      adminEmail: 'seed-admin@example.test',
      userEmail: 'seed-user@example.test',
    });
    expect(demo.apiKey).toMatch(/^sk-gw-/);
    expect(demo.lowBalanceApiKey).toMatch(/^sk-gw-/);
    expect(demo.adminPassword.length).toBeGreaterThanOrEqual(10);
    expect(await demoStillWorks(demo, { gatewayUrl: options.gatewayUrl, fetch: fetchWorker })).toBe(true);

    const admin = new Browser();
    expect((await admin.signIn(demo.adminEmail, demo.adminPassword)).status).toBe(200);
    expect((await admin.me()).user.role).toBe('admin');
    const user = new Browser();
    expect((await user.signIn(demo.userEmail, demo.userPassword)).status).toBe(200);
    const me = await user.me();
    expect(me.user.role).toBe('user');
    expect(me.account.id).toBe(demo.accountId);
    expect((await user.json('/api/account', { expect: 200 })).account.balanceMicros).toBe(10_000_000);

    const again = await seedDemo(options);
    expect(again.accountId).toBe(demo.accountId);
    expect(again.adminPassword).toBe(demo.adminPassword);
    const account = await callJson(`/api/admin/accounts/${demo.accountId}`, { auth: ADMIN, expect: 200 });
    expect(account.account.balanceMicros).toBe(10_000_000);
    const users = await env.DB.prepare("SELECT count(*) AS n FROM auth_user WHERE email LIKE 'seed-%'").first<{ n: number }>();
    expect(users?.n).toBe(2);
  });

  it('gives the demo key request and token limits, so x-ratelimit-* headers show on a fresh start', async () => {
    installOrigin({ apiKey: undefined }); // the demo services use DEMO_ORIGIN_KEY, which tests do not set
    const demo = await seedDemo({ ...options, adminEmail: 'seed-admin@example.test', userEmail: 'seed-limits@example.test' });
    const user = new Browser();
    expect((await user.signIn(demo.userEmail, demo.userPassword)).status).toBe(200);
    const { keys } = await user.json('/api/account/keys', { expect: 200 });
    const key = keys.find((k: { name: string }) => k.name === 'Demo key');
    expect(key.limits).toMatchObject({ requestsPerMinute: 60, tokensPerMinute: { '*': 100_000 } });
    expect(DEMO_KEY_LIMITS).toEqual({ requestsPerMinute: 60, tokensPerMinute: { '*': 100_000 } });
    const { response } = await sdk(demo.apiKey)
      .chat.completions.create({ model: demo.model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 })
      .withResponse();
    expect(response.headers.get('x-ratelimit-limit-requests')).toBe('60');
    expect(response.headers.get('x-ratelimit-remaining-requests')).toBe('59');
    expect(response.headers.get('x-ratelimit-limit-tokens')).toBe('100000');
    expect(response.headers.get('x-ratelimit-reset-requests')).toBeTruthy();
  });
});
