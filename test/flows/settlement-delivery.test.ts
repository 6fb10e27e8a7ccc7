/**
 * Settlement always bills (issue 10, items 3 and 4): it cannot throw on any input, it charges the
 * reserved upper bound when it cannot count, a settle the object could not take is retried
 * durably until it lands, and a non-streamed request whose client left is billed for what the
 * origin produced.
 */
import { env, exports } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AccountBooks } from '../../worker/durable-objects/account';
import type { Env } from '../../worker/env';
import { replayPendingSettlements } from '../../worker/metering/pending-settlements';
import { type SettleContext, settleRequest } from '../../worker/metering/settle';
import { getCatalog } from '../../worker/services/catalog';
import { costMicros } from '../../worker/lib/money';
import { accountStub, call, callJson, createWorld, drainAlarms, eventually, installOrigin, type World } from '../helpers';

afterEach(() => vi.restoreAllMocks());

const PRICE = { inputMicrosPer1M: 1_000_000, outputMicrosPer1M: 2_000_000, requestMicros: 10 };

/** Admits one request straight on the object and returns a settle context for it. */
async function admitted(world: World, requestId: string, body: Record<string, unknown>): Promise<SettleContext & { reservedMicros: number }> {
  const service = (await getCatalog(env.DB, Number.MAX_SAFE_INTEGER)).get(world.model)!;
  const stub = accountStub(world.accountId);
  const result = await stub.admit({
    requestId,
    keyId: world.keyId,
    promptTokensUpper: 100,
    promptTokensEstimate: 25,
    lifetimeMs: 60_000,
    requestedMaxTokens: 20,
    service: {
      id: service.id,
      name: service.name,
      endpoint: 'chat',
      price: service.price,
      priceVersion: service.priceVersion,
      maxOutputTokens: service.maxOutputTokens,
      defaults: service.defaults,
    },
  });
  if (!result.ok) throw new Error(`not admitted: ${result.reason}`);
  return {
    env: env as unknown as Env,
    stub,
    requestId,
    accountId: world.accountId,
    keyId: world.keyId,
    service,
    endpoint: 'chat',
    requestBody: body,
    startedAt: Date.now(),
    reservedMicros: result.reservedMicros,
  };
}

describe('settlement cannot throw', () => {
  it('charges the reserved upper bound when the usage cannot be counted', async () => {
    installOrigin();
    const world = await createWorld({ prices: PRICE });
    // A body the tokenizer cannot read: counting it throws.
    const hostileBody = {
      messages: [
        {
          role: 'user',
          get content(): string {
            throw new Error('unreadable');
          },
        },
      ],
    };
    const ctx = await admitted(world, 'req_uncountable', hostileBody);
    const settled = await settleRequest(ctx, { usage: null, text: 'some output', status: 'ok', ttftMs: 5 });
    expect(settled?.estimated).toBe(true);
    expect(settled?.result.costMicros).toBe(ctx.reservedMicros);
    expect(settled?.result.costMicros).toBe(costMicros(PRICE, { inputTokens: 100, outputTokens: 20 }));
    const summary = await accountStub(world.accountId).summary();
    expect(summary.openReservations).toBe(0);
    expect(summary.balanceMicros).toBe(10_000_000 - ctx.reservedMicros);
  });

  it.each([
    ['messages: [null]', { messages: [null] }],
    ['messages: [1, "x", []]', { messages: [1, 'x', []] }],
    ['content parts that are not objects', { messages: [{ role: 'user', content: [null, 3, { type: 'text', text: 7 }] }] }],
  ])('never answers 5xx nor leaves a reservation open for %s', async (_label, body) => {
    const origin = installOrigin({ sendUsage: false });
    const world = await createWorld({ prices: PRICE });
    for (const stream of [false, true]) {
      const res = await call('/v1/chat/completions', {
        method: 'POST',
        auth: `Bearer ${world.apiKey}`,
        json: { model: world.model, max_tokens: 5, stream, ...body },
      });
      expect(res.status).toBeLessThan(500);
      await res.text();
    }
    await eventually(async () => (await accountStub(world.accountId).summary()).openReservations === 0);
    // Garbage is refused before it reaches the origin or the meter, or counted without a throw.
    expect(origin.stats.length).toBeLessThanOrEqual(2);
  });
});

describe('settles the object could not take', () => {
  it('are queued in D1 and land exactly once from the per-minute cron', async () => {
    installOrigin();
    const world = await createWorld({ prices: PRICE });
    const ctx = await admitted(world, 'req_retry_later', { messages: [{ role: 'user', content: 'hi' }] });
    const realStub = ctx.stub!;
    let calls = 0;
    const unreachable = {
      settle: () => {
        calls += 1;
        return Promise.reject(new Error('Network connection lost.'));
      },
    };
    const settled = await settleRequest(
      { ...ctx, stub: unreachable as unknown as DurableObjectStub<AccountBooks> },
      {
        usage: { inputTokens: 8, outputTokens: 12 },
        text: '',
        status: 'ok',
        ttftMs: 3,
      },
    );
    expect(settled).toBeNull();
    expect(calls).toBeGreaterThan(3); // retried with back-off inside the request first
    const row = await env.DB.prepare('SELECT account_id, attempts FROM pending_settlements WHERE request_id = ?').bind('req_retry_later').first();
    expect(row).toEqual({ account_id: world.accountId, attempts: 0 });
    expect((await realStub.summary()).openReservations).toBe(1);

    // The cron replays it against the real object: charged once with the real figures.
    expect(await replayPendingSettlements(env as unknown as Env, Date.now() + 1)).toEqual({ landed: 1, waiting: 0 });
    const real = costMicros(PRICE, { inputTokens: 8, outputTokens: 12 });
    const summary = await realStub.summary();
    expect(summary.openReservations).toBe(0);
    expect(summary.balanceMicros).toBe(10_000_000 - real);
    expect(await env.DB.prepare('SELECT COUNT(*) AS n FROM pending_settlements WHERE request_id = ?').bind('req_retry_later').first('n')).toBe(0);
    // A duplicate delivery (the original settle arriving after all) charges nothing more.
    const again = await realStub.settle({
      reservationId: 'req_retry_later',
      inputTokens: 8,
      outputTokens: 12,
      estimated: false,
      status: 'ok',
      model: world.model,
      latencyMs: 1,
      ttftMs: 1,
    });
    expect(again.duplicate).toBe(true);
    expect((await realStub.summary()).balanceMicros).toBe(10_000_000 - real);
  }, 20_000);

  it('drops a queued settle the object does not know instead of retrying it forever', async () => {
    const world = await createWorld({ prices: PRICE });
    const payload = {
      reservationId: 'req_never_admitted',
      inputTokens: 1,
      outputTokens: 1,
      estimated: false,
      status: 'ok',
      model: world.model,
      latencyMs: 1,
      ttftMs: 1,
    };
    await env.DB.prepare('INSERT INTO pending_settlements (request_id, account_id, payload, attempts, next_attempt_at, created_at) VALUES (?, ?, ?, 0, 0, 0)')
      .bind('req_never_admitted', world.accountId, JSON.stringify(payload))
      .run();
    // The object does not know it: retrying cannot help, so it is dropped (and logged), not retried forever.
    expect(await replayPendingSettlements(env as unknown as Env)).toEqual({ landed: 0, waiting: 0 });
    expect(await env.DB.prepare('SELECT COUNT(*) AS n FROM pending_settlements WHERE request_id = ?').bind('req_never_admitted').first('n')).toBe(0);
  });
});

/** Sends a non-streamed request through the runtime, disconnects once the origin has it, and waits until it is settled. */
async function leaveWhileOriginWorks(world: World, origin: { stats: unknown[] }, path: string, body: Record<string, unknown>): Promise<void> {
  const controller = new AbortController();
  const pending = exports.default
    .fetch(
      new Request(`http://gateway.test${path}`, {
        method: 'POST',
        signal: controller.signal,
        headers: { authorization: `Bearer ${world.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: world.model, ...body }),
      }),
    )
    .catch((e: unknown) => e);
  await eventually(() => origin.stats.length === 1);
  controller.abort();
  await pending;
  await eventually(async () => (await accountStub(world.accountId).summary()).openReservations === 0, 5000);
}

describe('a non-streamed request whose client disconnects', () => {
  it('is billed for what the origin produced, and the origin is left to finish', async () => {
    const origin = installOrigin({ latencyMs: 300 });
    const world = await createWorld({ prices: PRICE });
    await leaveWhileOriginWorks(world, origin, '/v1/chat/completions', { messages: [{ role: 'user', content: 'answer slowly' }], max_tokens: 9 });
    expect(origin.stats[0].aborted).toBe(false);
    expect(origin.stats[0].completed).toBe(true);
    await drainAlarms(world.accountId);
    const usage = await callJson('/api/account/usage', { auth: `Bearer ${world.managementKey}`, expect: 200 });
    expect(usage.data[0]).toMatchObject({ status: 'client_closed', outputTokens: 9, estimated: false });
    expect(usage.data[0].costMicros).toBe(costMicros(PRICE, { inputTokens: usage.data[0].inputTokens, outputTokens: 9 }));
    expect((await accountStub(world.accountId).summary()).balanceMicros).toBe(10_000_000 - usage.data[0].costMicros);
  });

  it('bills an embedding whose client left, since the origin computed it', async () => {
    const origin = installOrigin({ latencyMs: 300 });
    const world = await createWorld({ prices: PRICE });
    await leaveWhileOriginWorks(world, origin, '/v1/embeddings', { input: 'one two three' });
    await drainAlarms(world.accountId);
    const usage = await callJson('/api/account/usage', { auth: `Bearer ${world.managementKey}`, expect: 200 });
    expect(usage.data[0]).toMatchObject({ status: 'client_closed', inputTokens: 3, outputTokens: 0 });
    expect(usage.data[0].costMicros).toBe(costMicros(PRICE, { inputTokens: 3, outputTokens: 0 }));
  });

  it('charges the reserved upper bound, within the grace the runtime allows, when the origin is still working after the client left', async () => {
    // CLIENT_STALL_MS is 800 ms in the tests: the origin takes 1.5 s, so it is abandoned.
    const origin = installOrigin({ latencyMs: 1_500 });
    const world = await createWorld({ prices: PRICE });
    const started = Date.now();
    await leaveWhileOriginWorks(world, origin, '/v1/chat/completions', { messages: [{ role: 'user', content: 'answer very slowly' }], max_tokens: 9 });
    expect(Date.now() - started).toBeLessThan(1_500);
    await eventually(() => origin.stats[0].aborted);
    await drainAlarms(world.accountId);
    const usage = await callJson('/api/account/usage', { auth: `Bearer ${world.managementKey}`, expect: 200 });
    expect(usage.data[0]).toMatchObject({ status: 'client_closed', estimated: true, outputTokens: 9 });
    expect((await accountStub(world.accountId).summary()).balanceMicros).toBe(10_000_000 - usage.data[0].costMicros);
    expect(usage.data[0].costMicros).toBe(costMicros(PRICE, { inputTokens: usage.data[0].inputTokens, outputTokens: 9 }));
  });
});
