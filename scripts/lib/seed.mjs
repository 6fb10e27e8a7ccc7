// @ts-check
/**
 * Demo data for `npm start`, created through the gateway's own admin API (no direct storage
 * access, so seeding exercises the same paths as an operator would). Web APIs only: tests
 * running inside workerd can call seedDemo with an injected fetch.
 */
import { gatewayClient } from './gateway-api.mjs';
import { demoPassword, ensureUser, field } from './demo-users.mjs';
import { seedOrganization } from './seed-org.mjs';
import { seedHistory } from './seed-history.mjs';

/** @typedef {import('./seed.d.mts').DemoRecord} DemoRecord */
/** @typedef {import('./seed.d.mts').SeedOptions} SeedOptions */

/** $10.00 of credit for the main demo account. */
export const DEMO_CREDIT_MICROS = 10_000_000;
/** Enough for a handful of short demo-llm requests, so running out of credit can be tried. */
export const LOW_BALANCE_CREDIT_MICROS = 300;
/**
 * Limits of the demo key: 60 requests and 100,000 tokens per minute (every model), so the
 * `x-ratelimit-*` headers show on the very first request of a fresh start.
 */
export const DEMO_KEY_LIMITS = Object.freeze({ requestsPerMinute: 60, tokensPerMinute: Object.freeze({ '*': 100_000 }) });

/**
 * The demo services, in the admin API's body shape (all money in integer µUSD).
 * @param {string} originBaseUrl
 */
export function demoServices(originBaseUrl) {
  return [
    {
      name: 'demo-llm',
      endpoints: ['chat', 'completions'],
      originBaseUrl,
      originCredentialSecret: 'DEMO_ORIGIN_KEY',
      prices: { inputMicrosPer1M: 500_000, outputMicrosPer1M: 1_500_000, requestMicros: 0 },
      maxOutputTokens: 1024,
    },
    {
      name: 'demo-embed',
      endpoints: ['embeddings'],
      originBaseUrl,
      originCredentialSecret: 'DEMO_ORIGIN_KEY',
      prices: { inputMicrosPer1M: 20_000, outputMicrosPer1M: 0, requestMicros: 0 },
      // Required by the admin API; embeddings produce no output tokens, so the smallest allowed
      // value keeps the worst case reserved at admission as small as it can be.
      maxOutputTokens: 1,
    },
  ];
}

/** The demo operator; listed in ADMIN_EMAILS by .dev.vars, so sign-up makes it an admin. */
export const DEMO_ADMIN_EMAIL = 'admin@example.com';
/** The demo user, who owns the funded "Demo" billing account. */
export const DEMO_USER_EMAIL = 'demo@example.com';

/**
 * Create the demo services (reusing ones that already exist by name); the demo admin and the
 * demo user, signed up and verified through the real sign-up endpoint and the local mail outbox;
 * $10 of credit on the demo user's own billing account (admin adjustments API, idempotent) and
 * an API key for it with DEMO_KEY_LIMITS; and the "Low balance demo" account with 300 µUSD (about five short
 * requests) and its key. Running it again reuses the users (their passwords are derived from
 * the machine's ADMIN_TOKEN, so they survive a lost demo.json) and credits nothing twice.
 * @param {SeedOptions} options
 * @returns {Promise<DemoRecord>}
 */
export async function seedDemo({
  gatewayUrl,
  adminToken,
  originUrl = 'http://127.0.0.1:9100/v1',
  dashboardUrl = 'http://127.0.0.1:8788',
  inboxUrl,
  adminEmail = DEMO_ADMIN_EMAIL,
  userEmail = DEMO_USER_EMAIL,
  fetch: fetchImpl = fetch,
}) {
  const api = gatewayClient({ gatewayUrl, token: adminToken, fetch: fetchImpl });

  for (const service of demoServices(originUrl)) await ensureService(api, service);

  const site = { gatewayUrl, dashboardUrl, fetch: fetchImpl };
  const adminPassword = await demoPassword(adminToken, adminEmail);
  const userPassword = await demoPassword(adminToken, userEmail);
  await ensureUser(site, { name: 'Demo admin', email: adminEmail, password: adminPassword });
  const user = await ensureUser(site, { name: 'Demo user', email: userEmail, password: userPassword });
  const accountId = user.accountId;
  await api.request('POST', `/api/admin/accounts/${encodeURIComponent(accountId)}/adjustments`, {
    // The key names the account, so a second seed never credits the same account twice.
    body: { amountMicros: DEMO_CREDIT_MICROS, reason: 'Demo credit', idempotencyKey: `demo-seed:${accountId}:credit` },
    expect: [200, 201],
  });
  const { body: key } = await user.request('POST', '/api/account/keys', { name: 'Demo key', ...DEMO_KEY_LIMITS });
  const { body: mk } = await api.request('POST', `/api/admin/accounts/${encodeURIComponent(accountId)}/management-keys`, { expect: [201] });
  const apiKey = /** @type {string} */ (field(key, 'secret'));
  const budgets = await seedBudgets(user, {
    gatewayUrl,
    apiKey,
    keyId: /** @type {string} */ (field(field(key, 'key'), 'id')),
    inboxUrl,
    userEmail,
    fetch: fetchImpl,
  });
  const organization = await seedOrganization(site, user, { adminToken, accountId });
  const history = await seedHistory(api, user, { accountId, projects: organization.projects, organizationBudgetId: budgets.organization });
  const low = await createFundedAccount(api, 'Low balance demo', LOW_BALANCE_CREDIT_MICROS);
  return {
    gatewayUrl,
    dashboardUrl,
    apiKey,
    model: 'demo-llm',
    adminEmail,
    adminPassword,
    userEmail,
    userPassword,
    lowBalanceApiKey: low.apiKey,
    embeddingModel: 'demo-embed',
    accountId,
    lowBalanceAccountId: low.accountId,
    managementKey: /** @type {string} */ (field(field(mk, 'managementKey'), 'secret')),
    adminToken: '(in .dev.vars as ADMIN_TOKEN)',
    budgets,
    organization,
    history,
  };
}

/** The demo's budgets, by what they show. */
export const DEMO_BUDGETS = Object.freeze({
  organization: { name: 'Organisation: monthly cap', scope: 'organization', amountMicros: 5_000_000, window: 'month', action: 'block' },
  // The demo model costs about 50 µUSD a request: about 20 requests fill this.
  key: { name: 'Demo key: daily cap', scope: 'key', amountMicros: 1_000, window: 'day', action: 'block' },
  endUser: { name: 'Each customer: daily', scope: 'end_user', amountMicros: 500_000, window: 'day', action: 'alert' },
});

/**
 * Budgets at different fill levels and where their alerts go: a monthly organisation cap that is
 * barely used, a daily cap on the demo key filled past 80 % by real requests (so its 50 % and 80 %
 * alerts are in the webhook inbox and the mail outbox), a per-customer budget counting the end
 * user those requests name, a webhook channel to the local inbox (whose signature the inbox checks)
 * and an e-mail channel to the demo user. Idempotent: what exists (by name) is kept.
 * @param {Awaited<ReturnType<typeof ensureUser>>} user
 * @param {{ gatewayUrl: string, apiKey: string, keyId: string, inboxUrl?: string, userEmail: string, fetch: typeof fetch }} options
 */
async function seedBudgets(user, { gatewayUrl, apiKey, keyId, inboxUrl, userEmail, fetch: fetchImpl }) {
  const { body: listed } = await user.request('GET', '/api/account/budgets');
  const existing = /** @type {Array<{ id: string, name: string, keyId: string | null }>} */ (field(listed, 'budgets'));
  /** @type {Record<string, string>} */
  const ids = {};
  for (const [role, spec] of Object.entries(DEMO_BUDGETS)) {
    const found = existing.find((b) => b.name === spec.name);
    if (found) {
      ids[role] = found.id;
      // A seed run again issued a new demo key: the key's budget follows it.
      if (role === 'key' && found.keyId !== keyId) await user.request('PATCH', `/api/account/budgets/${found.id}`, { keyId });
    } else {
      const { body } = await user.request('POST', '/api/account/budgets', role === 'key' ? { ...spec, keyId } : spec);
      ids[role] = /** @type {string} */ (field(field(body, 'budget'), 'id'));
    }
  }
  const { body: channelList } = await user.request('GET', '/api/account/notification-channels');
  const channels = /** @type {Array<{ name: string }>} */ (field(channelList, 'channels'));
  if (inboxUrl && !channels.some((c) => c.name === 'Local webhook inbox')) {
    const { body } = await user.request('POST', '/api/account/notification-channels', {
      kind: 'webhook',
      name: 'Local webhook inbox',
      target: `${inboxUrl}/hooks/demo`,
    });
    // The inbox checks each delivery's signature with the channel's secret.
    // (The inbox is not the gateway: plain fetch, not the gateway client.)
    await fetch(`${inboxUrl}/__inbox/secrets/demo`, { method: 'PUT', body: JSON.stringify({ secret: field(body, 'secret') }) });
  }
  if (!channels.some((c) => c.name === 'Demo user by e-mail')) {
    await user.request('POST', '/api/account/notification-channels', { kind: 'email', name: 'Demo user by e-mail', target: [userEmail] });
  }
  await user.request('PUT', '/api/account/alert-settings', { lowBalanceMicros: 2_000_000 });
  // Real requests, for the customer "acme-corp", until the key's daily cap is past 80 %.
  for (let i = 0; i < 80; i++) {
    const { body: read } = await user.request('GET', `/api/account/budgets/${ids.key}`);
    const budget = /** @type {{ amountMicros: number, usage: Array<{ spentMicros: number }> }} */ (field(read, 'budget'));
    if ((budget.usage[0]?.spentMicros ?? 0) * 100 >= 85 * budget.amountMicros) break;
    const res = await fetchImpl(`${gatewayUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', 'x-gateway-user': 'acme-corp' },
      body: JSON.stringify({ model: 'demo-llm', messages: [{ role: 'user', content: 'Write a short poem about GPUs.' }], max_tokens: 40 }),
    });
    const body = await res.arrayBuffer();
    if (res.status === 402) break;
    if (res.status !== 200) throw new Error(`a demo request failed: HTTP ${res.status} ${new TextDecoder().decode(body).slice(0, 300)}`);
    // The settle follows the answer; let it land before reading the budget again.
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return ids;
}

/**
 * Whether a saved demo record still works against this gateway (its API key lists models).
 * @param {Pick<DemoRecord, 'apiKey'>} demo
 * @param {{ gatewayUrl: string, fetch?: typeof fetch }} options
 */
export async function demoStillWorks(demo, { gatewayUrl, fetch: fetchImpl = fetch }) {
  if (typeof demo.apiKey !== 'string' || demo.apiKey === '') return false;
  const response = await fetchImpl(`${gatewayUrl.replace(/\/+$/, '')}/v1/models`, {
    headers: { authorization: `Bearer ${demo.apiKey}` },
  });
  await response.body?.cancel();
  return response.status === 200;
}

/**
 * Create a service, or find the existing one with the same name (409 conflict).
 * @param {import('./gateway-api.mjs').GatewayClient} api
 * @param {ReturnType<typeof demoServices>[number]} service
 * @returns {Promise<{ id: string, name: string }>}
 */
async function ensureService(api, service) {
  const created = await api.request('POST', '/api/admin/services', { body: service, expect: [201, 409] });
  if (created.status === 201) return /** @type {{ id: string, name: string }} */ (field(created.body, 'service'));
  const { body } = await api.request('GET', '/api/admin/services');
  const services = /** @type {Array<{ id: string, name: string }>} */ (field(body, 'services'));
  const existing = services.find((s) => s.name === service.name);
  if (!existing) throw new Error(`service ${service.name} conflicts (409) but is not in GET /api/admin/services`);
  return existing;
}

/**
 * Create an account, credit it once, and create one API key with its management key.
 * @param {import('./gateway-api.mjs').GatewayClient} api
 * @param {string} name
 * @param {number} creditMicros
 */
async function createFundedAccount(api, name, creditMicros) {
  const { body: created } = await api.request('POST', '/api/admin/accounts', { body: { name }, expect: [201] });
  const account = /** @type {{ id: string }} */ (field(created, 'account'));
  const managementKey = /** @type {{ id: string, secret: string }} */ (field(created, 'managementKey'));
  await api.request('POST', `/api/admin/accounts/${encodeURIComponent(account.id)}/adjustments`, {
    // The key names the account, so a retried seed never credits the same account twice.
    body: { amountMicros: creditMicros, reason: 'Demo credit', idempotencyKey: `demo-seed:${account.id}:credit` },
    expect: [201],
  });
  const { body: key } = await api.request('POST', '/api/account/keys', {
    token: managementKey.secret,
    body: { name: `${name} key` },
    expect: [201],
  });
  return {
    accountId: account.id,
    managementKey: managementKey.secret,
    apiKey: /** @type {string} */ (field(key, 'secret')),
  };
}
