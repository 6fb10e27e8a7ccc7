import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { demoStillWorks, seedDemo } from '../../scripts/lib/seed.mjs';
import { ADMIN, callJson, dispatch, ORIGIN_URL } from '../helpers';
import { Browser } from '../session';

const fetchWorker = ((input: RequestInfo | URL, init?: RequestInit) => dispatch(new Request(input, init))) as typeof fetch;
const options = {
  gatewayUrl: 'http://gateway.test', dashboardUrl: 'http://dashboard.test', adminToken: env.ADMIN_TOKEN as string, originUrl: ORIGIN_URL,
  adminEmail: 'seed-admin@example.test', userEmail: 'seed-user@example.test', fetch: fetchWorker,
};

describe('demo seed (npm start)', () => {
  it('signs up and verifies the demo admin and user, funds the user\'s own account once, and issues a working key', async () => {
    const demo = await seedDemo(options);
    expect(demo).toMatchObject({ gatewayUrl: 'http://gateway.test', dashboardUrl: 'http://dashboard.test', model: 'demo-llm', adminEmail: 'seed-admin@example.test', userEmail: 'seed-user@example.test' });
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
});
