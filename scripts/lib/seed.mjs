// @ts-check
/**
 * Demo data for `npm start`, created through the gateway's own admin API (no direct storage
 * access, so seeding exercises the same paths as an operator would). Web APIs only: tests
 * running inside workerd can call seedDemo with an injected fetch.
 */
import { gatewayClient } from './gateway-api.mjs';

/** @typedef {import('./seed.d.mts').DemoRecord} DemoRecord */
/** @typedef {import('./seed.d.mts').SeedOptions} SeedOptions */

/** $10.00 of credit for the main demo account. */
export const DEMO_CREDIT_MICROS = 10_000_000;
/** Enough for a handful of short demo-llm requests, so running out of credit can be tried. */
export const LOW_BALANCE_CREDIT_MICROS = 300;

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

/**
 * Create the demo services (reusing ones that already exist by name), the "Demo" account with
 * $10 of credit and the "Low balance demo" account with 300 µUSD (about five short requests), each with one API key.
 * @param {SeedOptions} options
 * @returns {Promise<DemoRecord>}
 */
export async function seedDemo({
  gatewayUrl,
  adminToken,
  originUrl = 'http://127.0.0.1:9100/v1',
  dashboardUrl = 'http://127.0.0.1:8788',
  fetch: fetchImpl = fetch,
}) {
  const api = gatewayClient({ gatewayUrl, token: adminToken, fetch: fetchImpl });

  for (const service of demoServices(originUrl)) await ensureService(api, service);

  const main = await createFundedAccount(api, 'Demo', DEMO_CREDIT_MICROS);
  const low = await createFundedAccount(api, 'Low balance demo', LOW_BALANCE_CREDIT_MICROS);
  return {
    gatewayUrl,
    dashboardUrl,
    apiKey: main.apiKey,
    lowBalanceApiKey: low.apiKey,
    model: 'demo-llm',
    embeddingModel: 'demo-embed',
    accountId: main.accountId,
    lowBalanceAccountId: low.accountId,
    managementKey: main.managementKey,
    adminToken: '(in .dev.vars as ADMIN_TOKEN)',
  };
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

/**
 * `body[name]`, or a clear error naming what the contract promised.
 * @param {unknown} body
 * @param {string} name
 * @returns {unknown}
 */
function field(body, name) {
  const value = body && typeof body === 'object' ? /** @type {Record<string, unknown>} */ (body)[name] : undefined;
  if (value === undefined || value === null) {
    throw new Error(`gateway response lacks "${name}": ${JSON.stringify(body).slice(0, 300)}`);
  }
  return value;
}
