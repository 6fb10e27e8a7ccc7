/**
 * Organisations, members, invitations and projects (issue 12, item 1 and 2), hostile-first: a
 * member tries what their role forbids, another organisation's ids, an invitation accepted twice,
 * by the wrong address, after it expired or was revoked, the last owner demoting themselves, a
 * developer reaching outside their projects, and a member budget hit by 200 concurrent requests.
 */
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ADMIN, ORIGIN_URL, accountStub, call, callJson, drainAlarms, installOrigin, settled } from '../helpers';
import { type Browser, invitationToken, invitedMember, signedInUser } from '../session';

afterEach(() => vi.restoreAllMocks());

const PRICE = { inputMicrosPer1M: 1_000_000, outputMicrosPer1M: 2_000_000, requestMicros: 10 };
let serial = 0;

/** A signed-in owner of their personal organisation, with credit and a model to call. */
async function ownedOrganization(balanceMicros = 10_000_000) {
  serial += 1;
  const model = `org-llm-${serial}-${Math.random().toString(36).slice(2, 8)}`;
  await callJson('/api/admin/services', {
    method: 'POST',
    auth: ADMIN,
    expect: 201,
    json: {
      name: model,
      endpoints: ['chat'],
      originBaseUrl: ORIGIN_URL,
      originModel: 'demo-llm',
      originCredentialSecret: 'ORIGIN_TEST_KEY',
      maxOutputTokens: 256,
      prices: PRICE,
    },
  });
  const owner = await signedInUser('owner');
  const orgId = owner.me.account.id as string;
  owner.browser.org = orgId;
  await callJson(`/api/admin/accounts/${orgId}/adjustments`, {
    method: 'POST',
    auth: ADMIN,
    expect: 201,
    json: { amountMicros: balanceMicros, reason: 'test credit' },
  });
  return { owner: owner.browser, ownerId: owner.me.user.id as string, orgId, model };
}

function chat(secret: string, model: string) {
  return call('/v1/chat/completions', {
    method: 'POST',
    auth: `Bearer ${secret}`,
    json: { model, messages: [{ role: 'user', content: 'one two three' }], max_tokens: 16 },
  });
}

const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; reason?: string; param?: string; message: string } }).error;

describe('organisations', () => {
  it('gives every new user a personal organisation they own, with the default project', async () => {
    const { me, browser } = await signedInUser('solo');
    expect(me.organization).toEqual({ id: me.account.id, name: expect.any(String), role: 'owner' });
    expect(me.organizations).toEqual([{ id: me.account.id, name: expect.any(String), role: 'owner', personal: true }]);
    const { projects } = await browser.json('/api/account/projects', { expect: 200 });
    expect(projects.map((p: { id: string; default: boolean }) => [p.id, p.default])).toEqual([['proj_default', true]]);
    const { key } = await browser.json('/api/account/keys', { method: 'POST', json: { name: 'first' }, csrf: true, expect: 201 });
    expect(key).toMatchObject({ projectId: 'proj_default', createdBy: me.user.id });
  });

  it('acts on the organisation the header names, only if the user belongs to it', async () => {
    const a = await ownedOrganization();
    const { organization } = await a.owner.json('/api/organizations', { method: 'POST', json: { name: 'Second org' }, csrf: true, expect: 201 });
    expect(organization).toMatchObject({ name: 'Second org', role: 'owner', personal: false });
    a.owner.org = organization.id;
    expect((await a.owner.json('/api/me', { expect: 200 })).organization).toEqual({ id: organization.id, name: 'Second org', role: 'owner' });
    await a.owner.json('/api/account/keys', { method: 'POST', json: { name: 'in second' }, csrf: true, expect: 201 });
    a.owner.org = a.orgId;
    expect((await a.owner.json('/api/account/keys', { expect: 200 })).keys.map((k: { name: string }) => k.name)).not.toContain('in second');
    const list = await a.owner.json('/api/organizations', { expect: 200 });
    expect(list.organizations.map((o: { id: string }) => o.id).sort()).toEqual([a.orgId, organization.id].sort());

    // Someone else's organisation: not found, whatever the route.
    const stranger = await signedInUser('stranger');
    for (const path of ['/api/account', '/api/account/keys', '/api/account/members', '/api/me']) {
      const res = await stranger.browser.fetch(path, { headers: { 'x-gateway-organization': a.orgId } });
      expect(res.status, path).toBe(404);
      expect((await errorOf(res)).param).toBe('x-gateway-organization');
    }
    // A management key is for its own organisation only.
    const { managementKey } = await callJson(`/api/admin/accounts/${a.orgId}/management-keys`, { method: 'POST', auth: ADMIN, expect: 201 });
    const other = await call('/api/account', { auth: `Bearer ${managementKey.secret}`, headers: { 'x-gateway-organization': organization.id } });
    expect(other.status).toBe(404);
    expect((await callJson('/api/account', { auth: `Bearer ${managementKey.secret}`, expect: 200 })).account.id).toBe(a.orgId);
  });
});

describe('invitations', () => {
  it('invites by mail; only the invited, verified address accepts, once, before expiry and unless revoked', async () => {
    const a = await ownedOrganization();
    const invitee = await signedInUser('invitee');
    const { invitation } = await a.owner.json('/api/account/invitations', {
      method: 'POST',
      json: { email: invitee.email.toUpperCase(), role: 'viewer' },
      csrf: true,
      expect: 201,
    });
    expect(invitation).toMatchObject({ email: invitee.email, role: 'viewer', state: 'pending' });
    const token = await invitationToken(invitee.email);
    expect(JSON.stringify(await env.DB.prepare('SELECT * FROM invitations WHERE id = ?').bind(invitation.id).first())).not.toContain(token);

    const wrong = await signedInUser('wrong');
    const byOther = await wrong.browser.fetch('/api/invitations/accept', { method: 'POST', json: { token }, csrf: true });
    expect(byOther.status).toBe(403);
    expect((await errorOf(byOther)).reason).toBe('other_address');
    const noCsrf = await invitee.browser.fetch('/api/invitations/accept', { method: 'POST', json: { token } });
    expect(noCsrf.status).toBe(403);

    const [first, second] = await Promise.all([
      invitee.browser.fetch('/api/invitations/accept', { method: 'POST', json: { token }, csrf: true }),
      invitee.browser.fetch('/api/invitations/accept', { method: 'POST', json: { token }, csrf: true }),
    ]);
    expect([first.status, second.status].sort()).toEqual([200, 404]);
    expect((await invitee.browser.me()).organizations.map((o: { id: string; role: string }) => [o.id, o.role])).toContainEqual([a.orgId, 'viewer']);
    const { invitations } = await a.owner.json('/api/account/invitations', { expect: 200 });
    expect(invitations[0]).toMatchObject({ id: invitation.id, state: 'accepted' });

    // Revoked and expired invitations do not work.
    const late = await signedInUser('late');
    const { invitation: revoked } = await a.owner.json('/api/account/invitations', { method: 'POST', json: { email: late.email }, csrf: true, expect: 201 });
    const revokedToken = await invitationToken(late.email);
    await a.owner.json(`/api/account/invitations/${revoked.id}`, { method: 'DELETE', csrf: true, expect: 200 });
    const r1 = await late.browser.fetch('/api/invitations/accept', { method: 'POST', json: { token: revokedToken }, csrf: true });
    expect(r1.status).toBe(404);
    expect((await errorOf(r1)).message).toContain('revoked');
    const { invitation: expiring } = await a.owner.json('/api/account/invitations', { method: 'POST', json: { email: late.email }, csrf: true, expect: 201 });
    const expiringToken = await invitationToken(late.email);
    await env.DB.prepare('UPDATE invitations SET expires_at = ? WHERE id = ?')
      .bind(Date.now() - 1, expiring.id)
      .run();
    const r2 = await late.browser.fetch('/api/invitations/accept', { method: 'POST', json: { token: expiringToken }, csrf: true });
    expect(r2.status).toBe(404);
    expect((await errorOf(r2)).message).toContain('expired');
    expect((await late.browser.me()).organizations).toHaveLength(1);
    // Already a member: no second invitation.
    const again = await a.owner.fetch('/api/account/invitations', { method: 'POST', json: { email: invitee.email }, csrf: true });
    expect(again.status).toBe(409);
    // Another organisation's invitation is not found.
    const b = await ownedOrganization();
    expect((await b.owner.fetch(`/api/account/invitations/${expiring.id}`, { method: 'DELETE', csrf: true })).status).toBe(404);
  });
});

describe('roles', () => {
  it('refuses each role what it may not do, with 403 naming the role, and changes nothing', async () => {
    const a = await ownedOrganization();
    const viewer = await invitedMember(a.owner, 'viewer');
    const developer = await invitedMember(a.owner, 'developer', ['proj_default']);
    const admin = await invitedMember(a.owner, 'admin');
    const forbidden = async (who: Browser, path: string, method: string, json?: unknown) => {
      const res = await who.fetch(path, { method, json, csrf: true });
      expect(res.status, `${method} ${path}`).toBe(403);
      const error = await errorOf(res);
      expect(error.code).toBe('forbidden');
      return error;
    };
    // Viewer: reads, never writes.
    expect((await viewer.browser.json('/api/account/keys', { expect: 200 })).keys).toEqual([]);
    expect((await forbidden(viewer.browser, '/api/account/keys', 'POST', { name: 'x' })).message).toContain('you are a viewer');
    await forbidden(viewer.browser, '/api/account/budgets', 'POST', { name: 'x', scope: 'organization', amountMicros: 1, window: 'day' });
    await forbidden(viewer.browser, '/api/account/topups', 'POST', { method: 'card', amountCents: 1000 });
    // Developer: keys, not billing, budgets, members, projects or notification channels.
    await developer.browser.json('/api/account/keys', { method: 'POST', json: { name: 'dev key' }, csrf: true, expect: 201 });
    await forbidden(developer.browser, '/api/account/topups', 'POST', { method: 'card', amountCents: 1000 });
    await forbidden(developer.browser, '/api/account/budgets', 'POST', { name: 'x', scope: 'organization', amountMicros: 1, window: 'day' });
    await forbidden(developer.browser, '/api/account/invitations', 'POST', { email: 'x@example.test' });
    await forbidden(developer.browser, '/api/account/projects', 'POST', { name: 'mine' });
    await forbidden(developer.browser, '/api/account/notification-channels', 'GET');
    await forbidden(developer.browser, `/api/account/members/${viewer.userId}`, 'PATCH', { role: 'admin' });
    await forbidden(developer.browser, `/api/account/members/${viewer.userId}`, 'DELETE');
    // Admin: everything but owners.
    await forbidden(admin.browser, '/api/account/invitations', 'POST', { email: 'boss@example.test', role: 'owner' });
    await forbidden(admin.browser, `/api/account/members/${a.ownerId}`, 'PATCH', { role: 'viewer' });
    await forbidden(admin.browser, `/api/account/members/${a.ownerId}`, 'DELETE');
    await forbidden(admin.browser, `/api/account/members/${viewer.userId}`, 'PATCH', { role: 'owner' });
    await admin.browser.json(`/api/account/members/${viewer.userId}`, { method: 'PATCH', json: { role: 'developer' }, csrf: true, expect: 200 });

    const { members } = await a.owner.json('/api/account/members', { expect: 200 });
    expect(Object.fromEntries(members.map((m: { userId: string; role: string }) => [m.userId, m.role]))).toEqual({
      [a.ownerId]: 'owner',
      [viewer.userId]: 'developer',
      [developer.userId]: 'developer',
      [admin.userId]: 'admin',
    });
    // A role change bites on the very next request.
    await a.owner.json(`/api/account/members/${admin.userId}`, { method: 'PATCH', json: { role: 'viewer' }, csrf: true, expect: 200 });
    await forbidden(admin.browser, '/api/account/invitations', 'POST', { email: 'y@example.test' });
  });

  it('keeps the last owner, and a removed member’s keys in the organisation', async () => {
    const a = await ownedOrganization();
    const last = await a.owner.fetch(`/api/account/members/${a.ownerId}`, { method: 'PATCH', json: { role: 'admin' }, csrf: true });
    expect(last.status).toBe(409);
    expect((await errorOf(last)).reason).toBe('last_owner');
    expect((await a.owner.fetch(`/api/account/members/${a.ownerId}`, { method: 'DELETE', csrf: true })).status).toBe(409);

    // Two owners demoting each other at once: one stays owner.
    const second = await invitedMember(a.owner, 'owner');
    const [x, y] = await Promise.all([
      a.owner.fetch(`/api/account/members/${second.userId}`, { method: 'PATCH', json: { role: 'admin' }, csrf: true }),
      second.browser.fetch(`/api/account/members/${a.ownerId}`, { method: 'PATCH', json: { role: 'admin' }, csrf: true }),
    ]);
    expect([x.status, y.status].sort()).toEqual([200, 409]);
    const owners = await env.DB.prepare("SELECT count(*) AS n FROM memberships WHERE account_id = ? AND role = 'owner'").bind(a.orgId).first<{ n: number }>();
    expect(owners?.n).toBe(1);

    // Whoever's demotion went through first is still the owner.
    const remover = x.status === 200 ? a.owner : second.browser;
    const dev = await invitedMember(remover, 'developer', ['proj_default']);
    const { key, secret } = await dev.browser.json('/api/account/keys', { method: 'POST', json: { name: 'leaver key' }, csrf: true, expect: 201 });
    await remover.json(`/api/account/members/${dev.userId}`, { method: 'DELETE', csrf: true, expect: 200 });
    expect((await dev.browser.fetch('/api/account/keys')).status).toBe(404);
    const kept = await remover.json(`/api/account/keys/${key.id}`, { expect: 200 });
    expect(kept.key).toMatchObject({ status: 'active', createdBy: dev.userId });
    installOrigin();
    const { model } = a;
    expect((await chat(secret, model)).status).toBe(200);
    // A member may leave by themselves.
    const leaver = await invitedMember(remover, 'viewer');
    await leaver.browser.json(`/api/account/members/${leaver.userId}`, { method: 'DELETE', csrf: true, expect: 200 });
    expect((await leaver.browser.fetch('/api/account')).status).toBe(404);
    leaver.browser.org = null;
    expect((await leaver.browser.me()).organizations.map((o: { id: string }) => o.id)).not.toContain(a.orgId);
  });
});

describe('projects', () => {
  it('keeps developers to their projects: keys, usage and the projects list', async () => {
    installOrigin();
    const a = await ownedOrganization();
    const { project: research } = await a.owner.json('/api/account/projects', { method: 'POST', json: { name: 'Research' }, csrf: true, expect: 201 });
    const dev = await invitedMember(a.owner, 'developer', [research.id]);
    const { key: ownerKey, secret: ownerSecret } = await a.owner.json('/api/account/keys', { method: 'POST', json: { name: 'prod' }, csrf: true, expect: 201 });
    const { key: devKey, secret: devSecret } = await dev.browser.json('/api/account/keys', {
      method: 'POST',
      json: { name: 'research' },
      csrf: true,
      expect: 201,
    });
    expect(devKey.projectId).toBe(research.id);
    expect((await dev.browser.json('/api/account/keys', { expect: 200 })).keys.map((k: { id: string }) => k.id)).toEqual([devKey.id]);
    for (const [method, path, json] of [
      ['GET', `/api/account/keys/${ownerKey.id}`, undefined],
      ['PATCH', `/api/account/keys/${ownerKey.id}`, { name: 'mine now' }],
      ['POST', `/api/account/keys/${ownerKey.id}/revoke`, undefined],
    ] as const) {
      expect((await dev.browser.fetch(path, { method, json, csrf: true })).status, `${method} ${path}`).toBe(404);
    }
    const outside = await dev.browser.fetch('/api/account/keys', { method: 'POST', json: { name: 'x', projectId: 'proj_default' }, csrf: true });
    expect(outside.status).toBe(400);
    expect((await errorOf(outside)).param).toBe('projectId');
    const move = await dev.browser.fetch(`/api/account/keys/${devKey.id}`, { method: 'PATCH', json: { projectId: 'proj_default' }, csrf: true });
    expect(move.status).toBe(400);
    expect((await dev.browser.json('/api/account/projects', { expect: 200 })).projects.map((p: { id: string }) => p.id)).toEqual([research.id]);

    // Usage events carry the project; a developer sees only their projects' usage.
    expect((await chat(ownerSecret, a.model)).status).toBe(200);
    expect((await chat(devSecret, a.model)).status).toBe(200);
    await settled(a.orgId);
    await drainAlarms(a.orgId);
    const rows = await waitForUsage(a.orgId, 2);
    expect(Object.fromEntries(rows.map((r) => [r.key_id, r.project_id]))).toEqual({ [ownerKey.id]: 'proj_default', [devKey.id]: research.id });
    const devUsage = await dev.browser.json('/api/account/usage', { expect: 200 });
    expect(devUsage.data.map((e: { keyId: string; projectId: string }) => [e.keyId, e.projectId])).toEqual([[devKey.id, research.id]]);
    expect((await dev.browser.json('/api/account/analytics', { expect: 200 })).totals.requests).toBe(1);
    expect((await a.owner.json('/api/account/analytics', { expect: 200 })).totals.requests).toBe(2);
    expect((await a.owner.json(`/api/account/usage?projectId=${research.id}`, { expect: 200 })).data).toHaveLength(1);
  });

  it('applies a project’s allowed models on the next request, and its default limits to new keys', async () => {
    installOrigin();
    const a = await ownedOrganization();
    const { project } = await a.owner.json('/api/account/projects', {
      method: 'POST',
      json: { name: 'Limited', keyDefaults: { requestsPerMinute: 7, spendLimitMicros: 5_000_000 } },
      csrf: true,
      expect: 201,
    });
    const { key, secret } = await a.owner.json('/api/account/keys', {
      method: 'POST',
      json: { name: 'k', projectId: project.id, spendLimitMicros: null },
      csrf: true,
      expect: 201,
    });
    expect(key.limits).toMatchObject({ requestsPerMinute: 7, spendLimitMicros: null });
    expect((await chat(secret, a.model)).status).toBe(200);
    await a.owner.json(`/api/account/projects/${project.id}`, { method: 'PATCH', json: { allowedServices: ['some-other-model'] }, csrf: true, expect: 400 });
    const other = `${a.model}-b`;
    await callJson('/api/admin/services', {
      method: 'POST',
      auth: ADMIN,
      expect: 201,
      json: {
        name: other,
        endpoints: ['chat'],
        originBaseUrl: ORIGIN_URL,
        originModel: 'demo-llm',
        originCredentialSecret: 'ORIGIN_TEST_KEY',
        maxOutputTokens: 256,
        prices: PRICE,
      },
    });
    await a.owner.json(`/api/account/projects/${project.id}`, { method: 'PATCH', json: { allowedServices: [other] }, csrf: true, expect: 200 });
    const refused = await chat(secret, a.model);
    expect(refused.status).toBe(403);
    expect((await errorOf(refused)).message).toContain("project 'Limited'");
    expect((await chat(secret, other)).status).toBe(200);

    // The default project stays; a project with active keys cannot be deleted.
    expect((await errorOf(await a.owner.fetch('/api/account/projects/proj_default', { method: 'DELETE', csrf: true }))).reason).toBe('default_project');
    expect((await errorOf(await a.owner.fetch(`/api/account/projects/${project.id}`, { method: 'DELETE', csrf: true }))).reason).toBe('project_has_keys');
    await a.owner.json(`/api/account/keys/${key.id}/revoke`, { method: 'POST', csrf: true, expect: 200 });
    await a.owner.json(`/api/account/projects/${project.id}`, { method: 'DELETE', csrf: true, expect: 200 });
    // Another organisation cannot see or touch it.
    const b = await ownedOrganization();
    expect((await b.owner.fetch(`/api/account/projects/${project.id}`)).status).toBe(404);
  });
});

describe('member budgets', () => {
  it('200 concurrent requests on a member’s keys never overspend the member’s budget', async () => {
    installOrigin({ latencyMs: 5 });
    const a = await ownedOrganization();
    const dev = await invitedMember(a.owner, 'developer', ['proj_default']);
    const k1 = await dev.browser.json('/api/account/keys', { method: 'POST', json: { name: 'one' }, csrf: true, expect: 201 });
    const k2 = await dev.browser.json('/api/account/keys', { method: 'POST', json: { name: 'two' }, csrf: true, expect: 201 });
    const ownerKey = await a.owner.json('/api/account/keys', { method: 'POST', json: { name: 'owner' }, csrf: true, expect: 201 });
    const amount = 50 * 51;
    const { budget } = await a.owner.json('/api/account/budgets', {
      method: 'POST',
      json: { name: 'dev cap', scope: 'member', memberId: dev.userId, amountMicros: amount, window: 'day' },
      csrf: true,
      expect: 201,
    });
    const responses = await Promise.all(Array.from({ length: 200 }, (_, i) => chat(i % 2 ? k1.secret : k2.secret, a.model)));
    const ok = responses.filter((r) => r.status === 200);
    expect(responses.filter((r) => r.status === 402).length).toBeGreaterThan(0);
    expect(responses.every((r) => r.status === 200 || r.status === 402)).toBe(true);
    const charged = ok.reduce((sum, r) => sum + Number(r.headers.get('x-gateway-cost-micros')), 0);
    expect(charged).toBeLessThanOrEqual(amount);
    // The owner's own key is not the member's.
    expect((await chat(ownerKey.secret, a.model)).status).toBe(200);
    await settled(a.orgId);
    const status = (await a.owner.json(`/api/account/budgets/${budget.id}`, { expect: 200 })).budget;
    expect(status.usage[0]).toMatchObject({ spentMicros: charged, reservedMicros: 0 });
    const summary = await accountStub(a.orgId).summary();
    expect(summary.reservedMicros).toBe(0);
    expect(summary.balanceMicros).toBeGreaterThanOrEqual(0);
    // A member of another organisation cannot be named.
    const b = await ownedOrganization();
    const res = await b.owner.fetch('/api/account/budgets', {
      method: 'POST',
      json: { name: 'x', scope: 'member', memberId: dev.userId, amountMicros: 1, window: 'day' },
      csrf: true,
    });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).param).toBe('memberId');
  });
});

async function waitForUsage(accountId: string, n: number) {
  for (let i = 0; i < 50; i++) {
    const { results } = await env.DB.prepare('SELECT key_id, project_id FROM usage_events WHERE account_id = ?')
      .bind(accountId)
      .all<{ key_id: string; project_id: string }>();
    if (results.length >= n) return results;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('usage events did not reach D1');
}
