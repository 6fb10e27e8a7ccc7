import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { demoStillWorks, seedDemo } from '../../scripts/lib/seed.mjs';
import { DEMO_KEY_LIMITS } from '../../scripts/lib/seed.mjs';
import { ADMIN, callJson, dispatch, drainAlarms, installOrigin, ORIGIN_URL, sdk } from '../helpers';
import { Browser, freshIp } from '../session';

const fetchWorker = ((input: RequestInfo | URL, init?: RequestInit) => dispatch(new Request(input, init))) as typeof fetch;
/** Each seed from its own client address, as separate `npm start` machines would be (sign-in is limited per client). */
function seedFetch(): typeof fetch {
  const ip = freshIp();
  return ((input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    request.headers.set('cf-connecting-ip', ip);
    return dispatch(request);
  }) as typeof fetch;
}
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
    installOrigin({ apiKey: undefined }); // the demo services use DEMO_ORIGIN_KEY, which tests do not set
    const demo = await seedDemo({ ...options, fetch: seedFetch() });
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
    const balance = (await user.json('/api/account', { expect: 200 })).account.balanceMicros;
    // The seed's own requests (filling the demo key's daily budget) spent a little of the $10.
    expect(balance).toBeLessThan(10_000_000);
    expect(balance).toBeGreaterThan(9_900_000);

    const again = await seedDemo({ ...options, fetch: seedFetch() });
    expect(again.accountId).toBe(demo.accountId);
    expect(again.adminPassword).toBe(demo.adminPassword);
    const account = await callJson(`/api/admin/accounts/${demo.accountId}`, { auth: ADMIN, expect: 200 });
    // Credited once; the second seed found its budget already past 80 % and spent nothing more.
    expect(account.account.balanceMicros).toBe(balance);
    expect(again.budgets).toEqual(demo.budgets);
    const users = await env.DB.prepare("SELECT count(*) AS n FROM auth_user WHERE email LIKE 'seed-%'").first<{ n: number }>();
    expect(users?.n).toBe(2);
  });

  it('gives the demo key request and token limits, so x-ratelimit-* headers show on a fresh start', async () => {
    installOrigin({ apiKey: undefined }); // the demo services use DEMO_ORIGIN_KEY, which tests do not set
    const demo = await seedDemo({ ...options, fetch: seedFetch(), adminEmail: 'seed-admin@example.test', userEmail: 'seed-limits@example.test' });
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
    // The seed's requests filling the key's daily budget counted too.
    expect(Number(response.headers.get('x-ratelimit-remaining-requests'))).toBeLessThan(60);
    expect(response.headers.get('x-ratelimit-limit-tokens')).toBe('100000');
    expect(response.headers.get('x-ratelimit-reset-requests')).toBeTruthy();
  });
});

describe('demo budgets (npm start)', () => {
  it('seeds an organisation with two projects and three members, invited by mail, the developer with a key in Research', async () => {
    installOrigin({ apiKey: undefined });
    const demo = await seedDemo({ ...options, fetch: seedFetch(), userEmail: 'seed-org@example.test' });
    const owner = new Browser();
    expect((await owner.signIn(demo.userEmail, demo.userPassword)).status).toBe(200);
    await owner.me();
    owner.org = demo.organization.id;
    const { projects } = await owner.json('/api/account/projects', { expect: 200 });
    expect(projects.map((p: { name: string }) => p.name)).toEqual(['Production', 'Research']);
    const { members } = await owner.json('/api/account/members', { expect: 200 });
    expect(members.map((m: { email: string; role: string }) => [m.email, m.role]).sort()).toEqual(
      [
        ['seed-org@example.test', 'owner'],
        [demo.organization.developer.email, 'developer'],
        [demo.organization.viewer.email, 'viewer'],
      ].sort(),
    );
    const developer = new Browser();
    expect((await developer.signIn(demo.organization.developer.email, demo.organization.developer.password)).status).toBe(200);
    developer.org = demo.organization.id;
    const { keys } = await developer.json('/api/account/keys', { expect: 200 });
    expect(keys.map((k: { name: string; projectId: string }) => [k.name, k.projectId])).toEqual([['Research key', demo.organization.projects.research]]);
    expect(demo.organization.researchApiKey).toMatch(/^sk-gw-/);
    expect(
      (
        await sdk(demo.organization.researchApiKey as string).chat.completions.create({
          model: 'demo-llm',
          messages: [{ role: 'user', content: 'hi' }],
          max_tokens: 5,
        })
      ).choices,
    ).toHaveLength(1);
    const { budgets } = await owner.json('/api/account/budgets', { expect: 200 });
    expect(budgets.map((b: { scope: string }) => b.scope).sort()).toEqual(['end_user', 'key', 'member', 'organization', 'project']);
    // Seeding again keeps everyone and everything once.
    const again = await seedDemo({ ...options, fetch: seedFetch(), userEmail: 'seed-org@example.test' });
    expect(again.organization.projects).toEqual(demo.organization.projects);
    expect((await owner.json('/api/account/members', { expect: 200 })).members).toHaveLength(3);
    expect((await owner.json('/api/account/budgets', { expect: 200 })).budgets).toHaveLength(5);
  });

  it('seeds budgets at different fill levels, one past 80 % with its alerts delivered to the webhook inbox and by mail', async () => {
    const { createWebhookInbox } = await import('../../fake-providers/webhook-inbox.mjs');
    const inbox = createWebhookInbox();
    installOrigin({ apiKey: undefined }, { 'inbox.test': inbox });
    const demo = await seedDemo({
      ...options,
      fetch: seedFetch(),
      adminEmail: 'seed-admin@example.test',
      userEmail: 'seed-budgets@example.test',
      inboxUrl: 'http://inbox.test',
    });
    const user = new Browser();
    expect((await user.signIn(demo.userEmail, demo.userPassword)).status).toBe(200);
    const { budgets } = await user.json('/api/account/budgets', { expect: 200 });
    const byId = Object.fromEntries(budgets.map((b: { id: string }) => [b.id, b]));
    const keyBudget = byId[demo.budgets.key];
    expect(keyBudget.usage[0].spentMicros * 100).toBeGreaterThanOrEqual(80 * keyBudget.amountMicros);
    expect(['warning', 'exceeded']).toContain(keyBudget.state);
    expect(byId[demo.budgets.organization].state).toBe('ok');
    expect(byId[demo.budgets.endUser].usage.map((u: { endUser: string }) => u.endUser)).toEqual(['acme-corp']);
    await drainAlarms(demo.accountId);
    const { alerts } = await user.json('/api/account/alerts', { expect: 200 });
    expect(
      alerts
        .filter((a: { budgetId: string }) => a.budgetId === demo.budgets.key)
        .map((a: { percent: number }) => a.percent)
        .sort(),
    ).toEqual([50, 80]);
    const received = (await (await inbox(new Request('http://inbox.test/__inbox'))).json()) as {
      deliveries: Array<{ signature: string; headers: Record<string, string> }>;
    };
    expect(received.deliveries.length).toBeGreaterThanOrEqual(2);
    expect(received.deliveries.every((d) => d.signature === 'valid')).toBe(true);
    const mail = await env.DB.prepare('SELECT subject FROM mail_outbox WHERE "to" = ? AND subject LIKE ?').bind(demo.userEmail, 'GPU gateway alert%').all();
    expect(mail.results.length).toBeGreaterThanOrEqual(2);
  });
});
