// @ts-check
/**
 * Bench data, created through the gateway's admin API like any operator would: one service
 * pointing at the fast origin, one account with $1,000,000 of credit, one API key whose every
 * limit is set but out of reach, and budgets on the organisation, the key and the model, also out
 * of reach, so each admission check runs and none refuses.
 */
import { gatewayClient } from '../../scripts/lib/gateway-api.mjs';

/** $1,000,000 in µUSD. */
export const BENCH_CREDIT_MICROS = 1_000_000_000_000;
/** The largest value the admin API accepts for a count limit. */
const HUGE = 1_000_000_000;

/**
 * @param {{ gatewayUrl: string, adminToken: string, originUrl: string, model: string, credentialSecret: string }} options
 * @returns {Promise<{ apiKey: string, accountId: string }>}
 */
export async function seedBench({ gatewayUrl, adminToken, originUrl, model, credentialSecret }) {
  const api = gatewayClient({ gatewayUrl, token: adminToken });
  await api.request('POST', '/api/admin/services', {
    body: {
      name: model,
      endpoints: ['chat', 'completions'],
      originBaseUrl: `${originUrl}/v1`,
      originCredentialSecret: credentialSecret,
      prices: { inputMicrosPer1M: 500_000, outputMicrosPer1M: 1_500_000, requestMicros: 0 },
      maxOutputTokens: 1024,
    },
    expect: [201],
  });
  const { body: created } = await api.request('POST', '/api/admin/accounts', { body: { name: 'Bench' }, expect: [201] });
  const { account, managementKey } = /** @type {{ account: { id: string }, managementKey: { secret: string } }} */ (created);
  await api.request('POST', `/api/admin/accounts/${account.id}/adjustments`, {
    body: { amountMicros: BENCH_CREDIT_MICROS, reason: 'Bench credit', idempotencyKey: `bench:${account.id}` },
    expect: [201],
  });
  const { body: key } = await api.request('POST', '/api/account/keys', {
    token: managementKey.secret,
    body: {
      name: 'bench',
      requestsPerMinute: HUGE,
      tokensPerMinute: { '*': HUGE },
      maxConcurrent: HUGE,
      spendLimitMicros: BENCH_CREDIT_MICROS,
      periodSpendLimitMicros: BENCH_CREDIT_MICROS,
      period: 'month',
    },
    expect: [201],
  });
  const keyId = /** @type {{ key: { id: string } }} */ (key).key.id;
  // Budgets on every scope a bench request falls in (organisation, key, model), out of reach: each
  // admission checks them and each settlement charges their windows, as in production.
  for (const budget of [
    { name: 'bench org month', scope: 'organization', window: 'month' },
    { name: 'bench key day', scope: 'key', keyId, window: 'day' },
    { name: 'bench model week', scope: 'model', model, window: 'week' },
  ]) {
    await api.request('POST', '/api/account/budgets', { token: managementKey.secret, body: { ...budget, amountMicros: BENCH_CREDIT_MICROS }, expect: [201] });
  }
  return { apiKey: /** @type {{ secret: string }} */ (key).secret, accountId: account.id };
}
