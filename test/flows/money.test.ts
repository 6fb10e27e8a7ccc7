import { runInDurableObject } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { flushOutbox } from '../../worker/durable-objects/account/outbox';
import { costMicros } from '../../worker/lib/money';
import { countPromptTokens } from '../../worker/lib/tokens';
import { accountStub, call, callJson, createWorld, dispatch, drainAlarms, eventually, expireHolds, installOrigin, settled } from '../helpers';

afterEach(() => vi.restoreAllMocks());

const PRICE = { inputMicrosPer1M: 1_000_000, outputMicrosPer1M: 2_000_000, requestMicros: 10 };

async function journalSum(accountId: string): Promise<{ sum: number; last: number; count: number }> {
  const entries = await accountStub(accountId).journal({ limit: 500 });
  return { sum: entries.reduce((s, e) => s + e.amountMicros, 0), last: entries[0]?.balanceAfterMicros ?? 0, count: entries.length };
}

describe('concurrency', () => {
  it('never charges more than the balance under 200 concurrent requests', async () => {
    installOrigin({ latencyMs: 5 });
    // Each request costs 9 input + 16 output tokens = 9 + 32 + 10 = 51 µUSD: the balance covers ~50.
    const balance = 2_550;
    const world = await createWorld({ prices: PRICE, balanceMicros: balance });
    const responses = await Promise.all(
      Array.from({ length: 200 }, () =>
        call('/v1/chat/completions', {
          method: 'POST',
          auth: `Bearer ${world.apiKey}`,
          json: { model: world.model, messages: [{ role: 'user', content: 'one two three' }], max_tokens: 16 },
        }),
      ),
    );
    const statuses = responses.map((r) => r.status);
    expect(
      statuses.every((s) => s === 200 || s === 402),
      JSON.stringify(statuses),
    ).toBe(true);
    const charged = responses.filter((r) => r.status === 200).reduce((sum, r) => sum + Number(r.headers.get('x-gateway-cost-micros')), 0);
    const ok = statuses.filter((s) => s === 200).length;
    expect(ok).toBeGreaterThan(0);
    expect(charged).toBeLessThanOrEqual(balance);
    const summary = await accountStub(world.accountId).summary();
    expect(summary.balanceMicros).toBe(balance - charged);
    expect(summary.balanceMicros).toBeGreaterThanOrEqual(0);
    expect(summary.reservedMicros).toBe(0);
    // The journal adds up: the credit minus every charge, and the running balance matches.
    const journal = await journalSum(world.accountId);
    expect(journal.sum).toBe(summary.balanceMicros);
    expect(journal.last).toBe(summary.balanceMicros);
    expect(journal.count).toBe(1 + ok);
    // Once the balance is low, more requests are refused, and the balance still never goes negative.
    for (let i = 0; i < 60; i++) {
      const res = await call('/v1/chat/completions', {
        method: 'POST',
        auth: `Bearer ${world.apiKey}`,
        json: { model: world.model, messages: [{ role: 'user', content: 'one two three' }], max_tokens: 16 },
      });
      if (res.status === 402) break;
    }
    expect((await accountStub(world.accountId).summary()).balanceMicros).toBeGreaterThanOrEqual(0);
  });
});

describe('abandoned streams', () => {
  it.each([
    ['through the runtime (the request signal fires)', 'runtime'],
    ['straight to the handler (the body is cancelled)', 'handler'],
  ])('bills exactly what the origin produced before the client went away, and aborts the origin: %s', async (_label, transport) => {
    const origin = installOrigin({ tokensPerSecond: 50 });
    const world = await createWorld({ prices: PRICE });
    const body = { model: world.model, messages: [{ role: 'user', content: 'tell me a long story' }], max_tokens: 200, stream: true };
    // Through the runtime, so the client's disconnect reaches the worker as it would in production.
    const request = new Request('http://gateway.test/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${world.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const res = transport === 'runtime' ? await exports.default.fetch(request) : await dispatch(request);
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let seen = '';
    while ((seen.match(/"content"/g) ?? []).length < 5) seen += decoder.decode((await reader.read()).value);
    await reader.cancel();

    await eventually(async () => (await accountStub(world.accountId).summary()).openReservations === 0);
    const record = origin.stats[0];
    expect(record.aborted).toBe(true);
    expect(record.completed).toBe(false);
    expect(record.tokensSent).toBeGreaterThanOrEqual(4);
    expect(record.tokensSent).toBeLessThan(24);

    await drainAlarms(world.accountId);
    const usage = await callJson(`/api/account/usage`, { auth: `Bearer ${world.managementKey}`, expect: 200 });
    const event = usage.data[0];
    expect(event).toMatchObject({ status: 'client_closed', estimated: true, outputTokens: record.tokensSent });
    const promptTokens = await countPromptTokens(body);
    expect(event.inputTokens).toBe(promptTokens);
    expect(event.costMicros).toBe(costMicros(PRICE, { inputTokens: promptTokens, outputTokens: record.tokensSent }));
    expect((await accountStub(world.accountId).summary()).balanceMicros).toBe(10_000_000 - event.costMicros);
  });
});

describe('clients that leave early', () => {
  it('releases the reservation at once and charges nothing when the client leaves before the origin answers', async () => {
    const origin = installOrigin({ latencyMs: 400 });
    const world = await createWorld({ prices: PRICE });
    const controller = new AbortController();
    const pending = exports.default
      .fetch(
        new Request('http://gateway.test/v1/chat/completions', {
          method: 'POST',
          signal: controller.signal,
          headers: { authorization: `Bearer ${world.apiKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: world.model, messages: [{ role: 'user', content: 'slow' }], max_tokens: 50, stream: true }),
        }),
      )
      .catch((e: unknown) => e);
    await eventually(() => origin.stats.length === 1);
    controller.abort();
    await pending;
    await eventually(async () => (await accountStub(world.accountId).summary()).openReservations === 0, 3000);
    const summary = await accountStub(world.accountId).summary();
    expect(summary.reservedMicros).toBe(0);
    expect(summary.balanceMicros).toBe(10_000_000);
    await eventually(() => origin.stats[0].aborted);
  });
});

describe('clients that stop reading', () => {
  it('settles a stream nobody reads any more, for what the origin produced, even when no disconnect is seen', async () => {
    const origin = installOrigin({ tokensPerSecond: 200 });
    const world = await createWorld({ prices: PRICE });
    const res = await call('/v1/chat/completions', {
      method: 'POST',
      auth: `Bearer ${world.apiKey}`,
      json: { model: world.model, messages: [{ role: 'user', content: 'then silence' }], max_tokens: 200, stream: true },
    });
    const reader = res.body!.getReader();
    for (let i = 0; i < 4; i++) await reader.read();
    // No cancel, no abort: the client just never reads again.
    await eventually(async () => (await accountStub(world.accountId).summary()).openReservations === 0, 5000);
    await drainAlarms(world.accountId);
    const usage = await callJson('/api/account/usage', { auth: `Bearer ${world.managementKey}`, expect: 200 });
    expect(usage.data[0]).toMatchObject({ status: 'client_closed', outputTokens: origin.stats[0].tokensSent });
    expect(origin.stats[0].tokensSent).toBeGreaterThan(0);
    expect(origin.stats[0].aborted).toBe(true);
  });
});

describe('a client taken for gone that reads again', () => {
  it('gets the end of the stream, not a read that never resolves', async () => {
    installOrigin({ tokensPerSecond: 200 });
    const world = await createWorld({ prices: PRICE });
    const res = await call('/v1/chat/completions', {
      method: 'POST',
      auth: `Bearer ${world.apiKey}`,
      json: { model: world.model, messages: [{ role: 'user', content: 'pause' }], max_tokens: 200, stream: true },
    });
    const reader = res.body!.getReader();
    await reader.read();
    // Stop reading past CLIENT_STALL_MS (800 ms): the watchdog settles the stream as abandoned.
    await eventually(async () => (await accountStub(world.accountId).summary()).openReservations === 0, 5000);
    let rest = '';
    const decoder = new TextDecoder();
    for (;;) {
      const next = await Promise.race([reader.read(), new Promise<'hung'>((r) => setTimeout(() => r('hung'), 3000))]);
      expect(next).not.toBe('hung');
      if (next === 'hung' || next.done) break;
      rest += decoder.decode(next.value);
    }
    expect(rest).toContain(': gateway ');
    expect(rest.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });
});

describe('key changes take effect on the very next request', () => {
  it('refuses a revoked key on the next request', async () => {
    installOrigin();
    const world = await createWorld();
    expect(
      (await world.client.chat.completions.create({ model: world.model, messages: [{ role: 'user', content: 'a' }], max_tokens: 4 })).choices,
    ).toHaveLength(1);
    await callJson(`/api/account/keys/${world.keyId}/revoke`, { method: 'POST', auth: `Bearer ${world.managementKey}`, expect: 200 });
    const res = await call('/v1/chat/completions', {
      method: 'POST',
      auth: `Bearer ${world.apiKey}`,
      json: { model: world.model, messages: [{ role: 'user', content: 'a' }] },
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as any).error.code).toBe('key_revoked');
    expect((await call('/v1/models', { auth: `Bearer ${world.apiKey}` })).status).toBe(401);
  });

  it('applies an edited limit on the next request', async () => {
    installOrigin();
    const world = await createWorld();
    const send = () =>
      call('/v1/chat/completions', {
        method: 'POST',
        auth: `Bearer ${world.apiKey}`,
        json: { model: world.model, messages: [{ role: 'user', content: 'a' }], max_tokens: 4 },
      });
    expect((await send()).status).toBe(200);
    await callJson(`/api/account/keys/${world.keyId}`, { method: 'PATCH', auth: `Bearer ${world.managementKey}`, json: { requestsPerMinute: 1 }, expect: 200 });
    expect((await send()).status).toBe(429);
    await callJson(`/api/account/keys/${world.keyId}`, {
      method: 'PATCH',
      auth: `Bearer ${world.managementKey}`,
      json: { requestsPerMinute: null },
      expect: 200,
    });
    expect((await send()).status).toBe(200);
  });

  it('refuses every key of a suspended account at once', async () => {
    installOrigin();
    const world = await createWorld();
    const { ADMIN } = await import('../helpers');
    await callJson(`/api/admin/accounts/${world.accountId}/status`, { method: 'POST', auth: ADMIN, json: { status: 'suspended' }, expect: 200 });
    const res = await call('/v1/chat/completions', {
      method: 'POST',
      auth: `Bearer ${world.apiKey}`,
      json: { model: world.model, messages: [{ role: 'user', content: 'a' }] },
    });
    expect(res.status).toBe(403);
    expect((await call('/v1/models', { auth: `Bearer ${world.apiKey}` })).status).toBe(403);
  });
});

describe('settlement exactly once', () => {
  it('returns the first result when a reservation is settled twice', async () => {
    installOrigin();
    const world = await createWorld({ prices: PRICE });
    const stub = accountStub(world.accountId);
    const admitted = await stub.admit({
      requestId: 'req_twice',
      keyId: world.keyId,
      promptTokensUpper: 100,
      promptTokensEstimate: 25,
      lifetimeMs: 60_000,
      requestedMaxTokens: 10,
      service: {
        id: world.serviceId,
        name: world.model,
        endpoint: 'chat',
        price: PRICE,
        priceVersion: 1,
        maxOutputTokens: 256,
        defaults: { requestsPerMinute: null, tokensPerMinute: null, maxConcurrent: null },
      },
    });
    expect(admitted.ok).toBe(true);
    const settle = {
      reservationId: 'req_twice',
      inputTokens: 10,
      outputTokens: 10,
      estimated: false,
      status: 'ok' as const,
      model: world.model,
      latencyMs: 5,
      ttftMs: 1,
    };
    const [a, b] = await Promise.all([stub.settle(settle), stub.settle({ ...settle, outputTokens: 999 })]);
    expect(a.costMicros).toBe(costMicros(PRICE, { inputTokens: 10, outputTokens: 10 }));
    expect(b).toMatchObject({ costMicros: a.costMicros, duplicate: true });
    expect((await stub.summary()).balanceMicros).toBe(10_000_000 - a.costMicros);
  });

  it('charges a reservation nobody settled in full when its hold expires, and refunds the difference when the real settle arrives late', async () => {
    installOrigin();
    const world = await createWorld({ prices: PRICE });
    const stub = accountStub(world.accountId);
    await stub.admit({
      requestId: 'req_lost',
      keyId: world.keyId,
      promptTokensUpper: 200,
      promptTokensEstimate: 50,
      lifetimeMs: 60_000,
      requestedMaxTokens: 100,
      service: {
        id: world.serviceId,
        name: world.model,
        endpoint: 'chat',
        price: PRICE,
        priceVersion: 1,
        maxOutputTokens: 256,
        defaults: { requestsPerMinute: null, tokensPerMinute: null, maxConcurrent: null },
      },
    });
    expect((await stub.summary()).reservedMicros).toBeGreaterThan(0);
    await expireHolds(world.accountId);
    await drainAlarms(world.accountId);
    const afterExpiry = await stub.summary();
    expect(afterExpiry.reservedMicros).toBe(0);
    // Hold until settle: the whole reservation (prompt upper bound + granted output) is charged, not released.
    const held = costMicros(PRICE, { inputTokens: 200, outputTokens: 100 });
    expect(afterExpiry.balanceMicros).toBe(10_000_000 - held);
    const late = await stub.settle({
      reservationId: 'req_lost',
      inputTokens: 40,
      outputTokens: 30,
      estimated: false,
      status: 'ok',
      model: world.model,
      latencyMs: 1,
      ttftMs: 1,
    });
    const real = costMicros(PRICE, { inputTokens: 40, outputTokens: 30 });
    expect(late.costMicros).toBe(real);
    expect((await stub.summary()).balanceMicros).toBe(10_000_000 - real);
    const again = await stub.settle({
      reservationId: 'req_lost',
      inputTokens: 40,
      outputTokens: 30,
      estimated: false,
      status: 'ok',
      model: world.model,
      latencyMs: 1,
      ttftMs: 1,
    });
    expect(again.duplicate).toBe(true);
    expect((await stub.summary()).balanceMicros).toBe(10_000_000 - real);
    // The correction reaches the D1 usage event too, so D1's usage agrees with the journal.
    await drainAlarms(world.accountId);
    const event = await env.DB.prepare('SELECT cost_micros, input_tokens, output_tokens, status, estimated FROM usage_events WHERE id = ?')
      .bind('req_lost')
      .first();
    expect(event).toEqual({ cost_micros: real, input_tokens: 40, output_tokens: 30, status: 'ok', estimated: 0 });
    const journal = await env.DB.prepare("SELECT -SUM(amount_micros) AS charged FROM journal_entries WHERE account_id = ? AND kind = 'usage'")
      .bind(world.accountId)
      .first<{ charged: number }>();
    expect(journal?.charged).toBe(real);
  });
});

describe('usage records', () => {
  it('flushes usage events and the journal to D1 in batches, idempotently, with no per-request D1 write', async () => {
    installOrigin();
    const world = await createWorld({ prices: PRICE });
    for (let i = 0; i < 5; i++)
      await world.client.chat.completions.create({ model: world.model, messages: [{ role: 'user', content: `q ${i}` }], max_tokens: 4 });
    await settled(world.accountId);
    const before = await env.DB.prepare('SELECT COUNT(*) AS n FROM usage_events WHERE account_id = ?').bind(world.accountId).first<{ n: number }>();
    expect(before!.n).toBe(0);
    // One outbox row per settlement (usage event + its journal entry) and one for the credit.
    expect((await accountStub(world.accountId).summary()).pendingOutbox).toBe(5 + 1);
    await drainAlarms(world.accountId);
    const rows = await env.DB.prepare('SELECT * FROM usage_events WHERE account_id = ? ORDER BY created_at').bind(world.accountId).all();
    expect(rows.results).toHaveLength(5);
    expect(rows.results[0]).toMatchObject({ key_id: world.keyId, model: world.model, status: 'ok', estimated: 0, price_version: 1, output_tokens: 4 });
    const mirror = await env.DB.prepare('SELECT COALESCE(SUM(amount_micros), 0) AS total, COUNT(*) AS n FROM journal_entries WHERE account_id = ?')
      .bind(world.accountId)
      .first<{ total: number; n: number }>();
    expect(mirror).toEqual({ total: (await accountStub(world.accountId).summary()).balanceMicros, n: 6 });
  });

  it('loses nothing and duplicates nothing when a flush fails half-way and is retried', async () => {
    installOrigin();
    const world = await createWorld({ prices: PRICE });
    for (let i = 0; i < 4; i++)
      await world.client.chat.completions.create({ model: world.model, messages: [{ role: 'user', content: `q ${i}` }], max_tokens: 4 });
    await settled(world.accountId);
    await runInDurableObject(accountStub(world.accountId), async (_instance, state) => {
      // A D1 that writes the first half of the batch, then fails.
      const failing = {
        prepare: (q: string) => env.DB.prepare(q),
        batch: async (statements: D1PreparedStatement[]) => {
          await env.DB.batch(statements.slice(0, Math.floor(statements.length / 2)));
          throw new Error('D1 overloaded');
        },
      } as unknown as D1Database;
      await expect(flushOutbox(state.storage.sql, failing)).rejects.toThrow('D1 overloaded');
      expect(state.storage.sql.exec('SELECT COUNT(*) AS n FROM outbox').one().n).toBe(4 + 1);
      await flushOutbox(state.storage.sql, env.DB);
      expect(state.storage.sql.exec('SELECT COUNT(*) AS n FROM outbox').one().n).toBe(0);
    });
    const usage = await env.DB.prepare('SELECT COUNT(*) AS n FROM usage_events WHERE account_id = ?').bind(world.accountId).first<{ n: number }>();
    const journal = await env.DB.prepare('SELECT COUNT(*) AS n FROM journal_entries WHERE account_id = ?').bind(world.accountId).first<{ n: number }>();
    const transfers = await env.DB.prepare('SELECT COUNT(*) AS n FROM ledger_transfers WHERE account_id = ?').bind(world.accountId).first<{ n: number }>();
    expect(usage!.n).toBe(4);
    expect(journal!.n).toBe(5);
    expect(transfers!.n).toBe(5);
  });

  it('keeps the outbox and retries later when D1 is down during the alarm', async () => {
    installOrigin();
    const world = await createWorld({ prices: PRICE });
    await world.client.chat.completions.create({ model: world.model, messages: [{ role: 'user', content: 'x' }], max_tokens: 4 });
    vi.spyOn(env.DB, 'batch').mockRejectedValueOnce(new Error('D1 unavailable'));
    await drainAlarms(world.accountId);
    expect((await accountStub(world.accountId).summary()).pendingOutbox).toBe(0);
    const usage = await env.DB.prepare('SELECT COUNT(*) AS n FROM usage_events WHERE account_id = ?').bind(world.accountId).first<{ n: number }>();
    expect(usage!.n).toBe(1);
  });
});
