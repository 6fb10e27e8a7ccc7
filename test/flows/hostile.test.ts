/**
 * The money promise tried adversarially (issue 10, items 1–4): a client that sends vendor fields,
 * an origin that ignores max_tokens, streams forever or reports inflated or malformed usage, a
 * stream that outlives its reservation, and an operator mistake that expires a live hold.
 */
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { costMicros } from '../../worker/lib/money';
import { promptTokensUpperBound } from '../../worker/lib/tokens';
import { ADMIN, accountStub, call, callJson, createWorld, drainAlarms, eventually, expireHolds, type World } from '../helpers';
import { installHostileOrigin } from '../hostile-origin';
import { readSse } from '../sse';

afterEach(() => vi.restoreAllMocks());

const PRICE = { inputMicrosPer1M: 1_000_000, outputMicrosPer1M: 2_000_000, requestMicros: 10 };

function chat(world: World, extra: Record<string, unknown>): Promise<Response> {
  return call('/v1/chat/completions', {
    method: 'POST',
    auth: `Bearer ${world.apiKey}`,
    json: { model: world.model, messages: [{ role: 'user', content: 'go' }], ...extra },
  });
}

/** The most a request of this body can be charged: its prompt bound and granted output at PRICE. */
function reservation(body: Record<string, unknown>, grantedTokens: number): number {
  return costMicros(PRICE, { inputTokens: promptTokensUpperBound(new TextEncoder().encode(JSON.stringify(body)).byteLength), outputTokens: grantedTokens });
}

async function reviewFor(requestId: string): Promise<{ kind: string; message: string } | null> {
  return env.DB.prepare('SELECT kind, message FROM review_items WHERE dedupe_key = ?').bind(`overrun:${requestId}`).first();
}

describe('a hostile client cannot raise what the origin generates', () => {
  it('drops vendor fields the service did not opt into (n_predict, min_tokens, ignore_eos)', async () => {
    const records = installHostileOrigin({ honourNPredict: true });
    const world = await createWorld({ prices: PRICE });
    const res = await chat(world, { max_tokens: 10, n_predict: 5000, min_tokens: 4000, ignore_eos: true, user: 'end-user-1', metadata: { a: 'b' } });
    expect(res.status).toBe(200);
    const sent = records[0].body;
    for (const field of ['n_predict', 'min_tokens', 'ignore_eos', 'user', 'metadata']) expect(sent).not.toHaveProperty(field);
    expect(sent.max_tokens).toBe(10);
    expect(records[0].tokensSent).toBe(10);
    expect(Number(res.headers.get('x-gateway-cost-micros'))).toBe(costMicros(PRICE, { inputTokens: 7, outputTokens: 10 }));
  });

  it('forwards the extra fields a service opted into, clamped to the granted tokens', async () => {
    const records = installHostileOrigin({ honourNPredict: true });
    const world = await createWorld({ prices: PRICE });
    await callJson(`/api/admin/services/${world.serviceId}`, {
      method: 'PATCH',
      auth: ADMIN,
      expect: 200,
      json: { extraFields: { n_predict: 'max_output_tokens', min_tokens: 'min_output_tokens', top_k: 'sampling' } },
    });
    const res = await chat(world, { max_tokens: 10, n_predict: 5000, min_tokens: 4000, top_k: 40 });
    expect(res.status).toBe(200);
    expect(records[0].body).toMatchObject({ max_tokens: 10, n_predict: 10, min_tokens: 10, top_k: 40 });
    expect(records[0].tokensSent).toBe(10);

    const bad = await chat(world, { max_tokens: 10, n_predict: 'lots' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error).toMatchObject({ param: 'n_predict', type: 'invalid_request_error' });
    const nested = await chat(world, { top_k: { $gt: 1 } });
    expect(nested.status).toBe(400);
  });

  it("refuses extra fields that would shadow the gateway's own", async () => {
    installHostileOrigin();
    const world = await createWorld({ prices: PRICE });
    for (const extraFields of [
      { max_tokens: 'sampling' },
      { stream_options: 'sampling' },
      { temperature: 'max_output_tokens' },
      { user: 'sampling' },
      { n_predict: 'unbounded' },
      { 'Bad-Name': 'sampling' },
    ]) {
      const res = await call(`/api/admin/services/${world.serviceId}`, { method: 'PATCH', auth: ADMIN, json: { extraFields } });
      expect(res.status, JSON.stringify(extraFields)).toBe(400);
    }
  });
});

describe('a hostile origin cannot charge more than was reserved', () => {
  it.each([
    ['ignores max_tokens', { ignoreMaxTokens: 10_000 }],
    ['streams forever', { forever: true }],
    [
      'reports continuous usage past the grant',
      {
        ignoreMaxTokens: 10_000,
        usagePerChunk: true,
        usage: (p: number, s: number) => ({ prompt_tokens: p, completion_tokens: s * 50, total_tokens: p + s * 50 }),
      },
    ],
  ])('stops a stream whose origin %s at the granted tokens, bills no more and flags it for review', async (_label, options) => {
    const records = installHostileOrigin(options);
    const world = await createWorld({ prices: PRICE });
    const body = { model: world.model, messages: [{ role: 'user', content: 'go' }], max_tokens: 10, stream: true };
    const res = await chat(world, body);
    const read = await readSse(res);
    const content = read.chunks.filter((c) => c.choices[0]?.delta?.content);
    expect(content.length).toBeLessThanOrEqual(10);
    expect(read.chunks[read.chunks.length - 1].choices[0].finish_reason).toBe('length');
    expect(read.done).toBe(true);
    expect(read.gateway.cost_micros).toBeLessThanOrEqual(reservation(body, 10));
    await eventually(() => records[0].aborted);
    expect(records[0].tokensSent).toBeLessThan(20);
    await drainAlarms(world.accountId);
    expect(await reviewFor(res.headers.get('x-request-id')!)).toMatchObject({ kind: 'usage_overrun' });
    expect((await accountStub(world.accountId).summary()).openReservations).toBe(0);
  });

  it('clamps inflated usage on a non-streamed answer to the reservation, never below zero, and flags it', async () => {
    installHostileOrigin({ usage: (p) => ({ prompt_tokens: p * 1000, completion_tokens: 1_000_000, total_tokens: 0 }) });
    const body = { model: '', messages: [{ role: 'user', content: 'go' }], max_tokens: 10 };
    const world = await createWorld({ prices: PRICE, balanceMicros: 2_000 });
    const res = await chat(world, { max_tokens: 10 });
    expect(res.status).toBe(200);
    const charged = Number(res.headers.get('x-gateway-cost-micros'));
    expect(charged).toBeLessThanOrEqual(reservation({ ...body, model: world.model }, 10));
    const summary = await accountStub(world.accountId).summary();
    expect(summary.balanceMicros).toBe(2_000 - charged);
    expect(summary.balanceMicros).toBeGreaterThanOrEqual(0);
    await drainAlarms(world.accountId);
    expect(await reviewFor(res.headers.get('x-request-id')!)).toMatchObject({ kind: 'usage_overrun' });
  });

  it.each([
    ['negative', { prompt_tokens: -5, completion_tokens: -5 }],
    ['fractional', { prompt_tokens: 1.5, completion_tokens: 2.5 }],
    ['strings', { prompt_tokens: '7', completion_tokens: '9' }],
    ['astronomical', { prompt_tokens: 1e30, completion_tokens: 1e300 }],
    ['unsafe integers', { prompt_tokens: Number.MAX_SAFE_INTEGER + 2, completion_tokens: 3 }],
    ['null', null],
    ['a string', 'lots'],
  ])('survives %s usage without a 5xx, billing within the reservation', async (_label, usage) => {
    installHostileOrigin({ usage: () => usage });
    const world = await createWorld({ prices: PRICE });
    for (const stream of [false, true]) {
      const body = {
        model: world.model,
        messages: [{ role: 'user', content: 'go' }],
        max_tokens: 10,
        stream,
        ...(stream ? { stream_options: { include_usage: true } } : {}),
      };
      const res = await chat(world, body);
      expect(res.status).toBe(200);
      const cost = stream ? (await readSse(res)).gateway.cost_micros : Number(res.headers.get('x-gateway-cost-micros'));
      expect(cost).toBeGreaterThan(0);
      expect(cost).toBeLessThanOrEqual(reservation(body, 10));
    }
    const summary = await accountStub(world.accountId).summary();
    expect(summary.openReservations).toBe(0);
    expect(summary.balanceMicros).toBeGreaterThan(10_000_000 - 2 * 1_000);
  });
});

describe('a stream cannot outlive its reservation', () => {
  it('ends a stream at the request lifetime cap although the client keeps reading, and bills what was produced', async () => {
    // REQUEST_LIFETIME_MS is 4 s in the tests; the origin would go on for a minute.
    const records = installHostileOrigin({ forever: true, tokenIntervalMs: 250 });
    const world = await createWorld({ prices: PRICE });
    const started = Date.now();
    const res = await chat(world, { max_tokens: 200, stream: true });
    const read = await readSse(res);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(3_500);
    expect(elapsed).toBeLessThan(8_000);
    expect(read.chunks[read.chunks.length - 1].choices[0].finish_reason).toBe('length');
    expect(read.done).toBe(true);
    await eventually(() => records[0].aborted);
    await drainAlarms(world.accountId);
    const usage = await callJson('/api/account/usage', { auth: `Bearer ${world.managementKey}`, expect: 200 });
    expect(usage.data[0]).toMatchObject({ status: 'lifetime_exceeded' });
    // The origin reported no usage before it was cut: a tokenizer count of what was relayed.
    expect(usage.data[0].estimated).toBe(true);
    expect(Math.abs(usage.data[0].outputTokens - records[0].tokensSent)).toBeLessThanOrEqual(2);
    expect((await accountStub(world.accountId).summary()).openReservations).toBe(0);
  });

  it("never lets a live stream's money be spent twice, even when its hold is expired under it", async () => {
    // Output 10 µUSD a token, input free: a 100-token grant holds the whole 1,000 µUSD balance.
    const price = { inputMicrosPer1M: 0, outputMicrosPer1M: 10_000_000, requestMicros: 0 };
    const records = installHostileOrigin({ ignoreMaxTokens: 40, tokenIntervalMs: 40 });
    const world = await createWorld({ prices: price, balanceMicros: 1_000 });
    const first = await chat(world, { max_tokens: 100, stream: true });
    expect(first.status).toBe(200);
    const reading = readSse(first);
    await eventually(() => records[0].tokensSent >= 3);
    // An operator mistake (or a hold shorter than the stream): the reservation expires while the stream runs.
    const stub = accountStub(world.accountId);
    await expireHolds(world.accountId);
    await drainAlarms(world.accountId);
    expect((await stub.summary()).balanceMicros).toBe(0); // charged in full, not released

    const second = await chat(world, { max_tokens: 100, stream: true });
    expect(second.status).toBe(402);
    await second.text();

    const read = await reading;
    expect(read.done).toBe(true);
    await drainAlarms(world.accountId);
    // The late real settle refunded the difference: 40 tokens × 10 µUSD were used.
    const summary = await stub.summary();
    expect(summary.balanceMicros).toBe(1_000 - 400);
    expect(summary.openReservations).toBe(0);
    const event = await env.DB.prepare('SELECT cost_micros, output_tokens, status FROM usage_events WHERE id = ?')
      .bind(first.headers.get('x-request-id'))
      .first();
    expect(event).toEqual({ cost_micros: 400, output_tokens: 40, status: 'ok' });
  });
});
