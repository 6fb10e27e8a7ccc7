// @ts-check
/**
 * The demo organisation's people and projects: the demo user's organisation gets a second project
 * ("Research", only demo-llm, 30 requests a minute for its new keys; the default project is renamed
 * "Production"), a developer working in Research and a viewer, both invited by e-mail and accepting
 * through the real invitation mail in the local outbox; the developer's own key in Research; a
 * daily budget on the project and a monthly alert-only budget on the developer. Idempotent: what
 * exists (by name, by address) is kept.
 */
import { demoPassword, ensureUser, field } from './demo-users.mjs';

export const DEMO_DEVELOPER_EMAIL = 'dev@example.com';
export const DEMO_VIEWER_EMAIL = 'viewer@example.com';

/**
 * @param {{ gatewayUrl: string, dashboardUrl: string, fetch: typeof fetch }} site
 * @param {Awaited<ReturnType<typeof ensureUser>>} owner
 * @param {{ adminToken: string, accountId: string }} options
 */
export async function seedOrganization(site, owner, { adminToken, accountId }) {
  const org = accountId;
  await owner.request('PATCH', '/api/account/projects/proj_default', { name: 'Production' });
  const { body: listed } = await owner.request('GET', '/api/account/projects');
  const projects = /** @type {Array<{ id: string, name: string }>} */ (field(listed, 'projects'));
  let research = projects.find((p) => p.name === 'Research');
  if (!research) {
    const { body } = await owner.request('POST', '/api/account/projects', {
      name: 'Research',
      allowedServices: ['demo-llm'],
      keyDefaults: { requestsPerMinute: 30 },
    });
    research = /** @type {{ id: string, name: string }} */ (field(body, 'project'));
  }

  const members = {
    developer: await ensureMember(
      site,
      owner,
      org,
      { name: 'Demo developer', email: DEMO_DEVELOPER_EMAIL, role: 'developer', projectIds: [research.id] },
      adminToken,
    ),
    viewer: await ensureMember(site, owner, org, { name: 'Demo viewer', email: DEMO_VIEWER_EMAIL, role: 'viewer', projectIds: [] }, adminToken),
  };

  const { body: keyList } = await members.developer.client.request('GET', '/api/account/keys', undefined, org);
  const devKeys = /** @type {Array<{ name: string, status: string }>} */ (field(keyList, 'keys'));
  let researchApiKey = null;
  if (!devKeys.some((k) => k.name === 'Research key' && k.status === 'active')) {
    const { body } = await members.developer.client.request('POST', '/api/account/keys', { name: 'Research key', projectId: research.id }, org);
    researchApiKey = /** @type {string} */ (field(body, 'secret'));
  }

  const { body: budgetList } = await owner.request('GET', '/api/account/budgets');
  const budgets = /** @type {Array<{ name: string }>} */ (field(budgetList, 'budgets'));
  const wanted = [
    { name: 'Research: daily cap', scope: 'project', projectId: research.id, amountMicros: 1_000_000, window: 'day', action: 'block' },
    { name: 'Demo developer: monthly', scope: 'member', memberId: members.developer.userId, amountMicros: 2_000_000, window: 'month', action: 'alert' },
  ];
  for (const spec of wanted) if (!budgets.some((b) => b.name === spec.name)) await owner.request('POST', '/api/account/budgets', spec);

  return {
    id: org,
    projects: { production: 'proj_default', research: research.id },
    developer: { email: DEMO_DEVELOPER_EMAIL, password: members.developer.password, userId: members.developer.userId },
    viewer: { email: DEMO_VIEWER_EMAIL, password: members.viewer.password, userId: members.viewer.userId },
    /** Only when this run issued it (a key's secret is shown once). */
    researchApiKey,
  };
}

/**
 * A demo member of `org`: signed up and verified, then invited by the owner and accepted through
 * the invitation mail, unless already a member.
 * @param {{ gatewayUrl: string, dashboardUrl: string, fetch: typeof fetch }} site
 * @param {Awaited<ReturnType<typeof ensureUser>>} owner
 * @param {string} org
 * @param {{ name: string, email: string, role: 'admin' | 'developer' | 'viewer', projectIds: string[] }} who
 * @param {string} adminToken
 */
async function ensureMember(site, owner, org, who, adminToken) {
  const password = await demoPassword(adminToken, who.email);
  const client = await ensureUser(site, { name: who.name, email: who.email, password });
  const { body: me } = await client.request('GET', '/api/me');
  const userId = /** @type {string} */ (field(field(me, 'user'), 'id'));
  const orgs = /** @type {Array<{ id: string }>} */ (field(me, 'organizations'));
  if (!orgs.some((o) => o.id === org)) {
    await owner.request('POST', '/api/account/invitations', { email: who.email, role: who.role, projectIds: who.projectIds });
    const res = await site.fetch(`${site.gatewayUrl.replace(/\/+$/, '')}/api/dev/mail?to=${encodeURIComponent(who.email)}`);
    const { messages } = /** @type {{ messages: Array<{ links: string[] }> }} */ (await res.json());
    const link = messages.flatMap((m) => m.links).find((l) => l.includes('/invite?token='));
    if (!link) throw new Error(`no invitation mail for ${who.email} in /api/dev/mail`);
    const token = new URL(link).searchParams.get('token');
    await client.request('POST', '/api/invitations/accept', { token });
  }
  return { client, password, userId };
}
