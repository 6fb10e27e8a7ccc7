/**
 * Bench only: the account Durable Object on its own, to measure the most one busy account can
 * admit per second. `POST /setup` creates a funded account with one key with generous limits;
 * `POST /admit-settle` does what every gateway request does to the object (one `admit`, then one
 * `settle` with the origin's usage), with no HTTP origin, KV or catalog in between.
 */
import { AccountObject } from '../../worker/account-object';
import type { AdmitService } from '../../worker/durable-objects/account/types';

export { AccountObject };

interface Env {
  ACCOUNT: DurableObjectNamespace<AccountObject>;
}

const ACCOUNT_ID = 'acct_do_bench';
const KEY_ID = 'key_do_bench';
const SERVICE: AdmitService = {
  id: 'svc_do_bench',
  name: 'bench-llm',
  endpoint: 'chat',
  priceVersion: 1,
  maxOutputTokens: 1024,
  price: { inputMicrosPer1M: 500_000, outputMicrosPer1M: 1_500_000, requestMicros: 0 },
  defaults: { requestsPerMinute: null, tokensPerMinute: null, maxConcurrent: null },
};

function account(env: Env) {
  return env.ACCOUNT.get(env.ACCOUNT.idFromName(ACCOUNT_ID));
}

async function setup(env: Env): Promise<Response> {
  const stub = account(env);
  await stub.init(ACCOUNT_ID);
  await stub.postEntry({
    amountMicros: 1_000_000_000_000,
    reason: 'bench credit',
    idempotencyKey: `bench:${ACCOUNT_ID}:credit`,
    kind: 'credit',
    counterAccount: 'sys:adjustments',
  });
  if (!(await stub.getKey(KEY_ID))) {
    // Every limit set, none reachable: each check runs, nothing is refused.
    await stub.createKey({
      id: KEY_ID,
      kind: 'inference',
      name: 'bench',
      prefix: 'sk-gw-bench',
      last4: '0000',
      allowedServices: null,
      requestsPerMinute: 1_000_000_000,
      tokensPerMinute: { '*': 1_000_000_000 },
      maxConcurrent: 1_000_000_000,
      spendLimitMicros: Number.MAX_SAFE_INTEGER,
      periodSpendLimitMicros: Number.MAX_SAFE_INTEGER,
      period: 'month',
      expiresAt: null,
    });
  }
  return Response.json(await stub.summary());
}

async function admitSettle(env: Env): Promise<Response> {
  const stub = account(env);
  const requestId = crypto.randomUUID();
  const startedAt = Date.now();
  const admitted = await stub.admit({
    requestId,
    keyId: KEY_ID,
    service: SERVICE,
    promptTokensUpper: 64,
    promptTokensEstimate: 12,
    lifetimeMs: 60_000,
    requestedMaxTokens: 64,
  });
  if (!admitted.ok) return Response.json({ ok: false, reason: admitted.reason }, { status: 429 });
  const settled = await stub.settle({
    reservationId: requestId,
    inputTokens: 12,
    outputTokens: 20,
    estimated: false,
    status: 'ok',
    model: SERVICE.name,
    latencyMs: Date.now() - startedAt,
    ttftMs: null,
    grant: admitted.grant,
  });
  return Response.json({ ok: true, costMicros: settled.costMicros });
}

export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (request.method === 'POST' && pathname === '/setup') return setup(env);
    if (request.method === 'POST' && pathname === '/admit-settle') return admitSettle(env);
    return new Response('not found', { status: 404 });
  },
} satisfies ExportedHandler<Env>;
