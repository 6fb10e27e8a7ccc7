/**
 * Budgets (issue 12): every applicable budget is a money bucket in the one admission, so under any
 * concurrency no budget is overspent, the balance never goes negative, and each threshold alert is
 * raised once per window, whatever the retries, alarms and restarts. Written hostile-first: 200
 * concurrent requests against budgets that cover about 50, end users sharing a key, edits that
 * must bite on the very next request, another tenant's ids, and settles replayed after an eviction.
 */
import { evictDurableObject, runDurableObjectAlarm } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ADMIN, ORIGIN_URL, accountStub, call, callJson, createWorld, drainAlarms, installOrigin, settled, type World } from '../helpers';

afterEach(() => vi.restoreAllMocks());

// 9 input + 16 output tokens: 9 + 32 + 10 = 51 µUSD a request.
const PRICE = { inputMicrosPer1M: 1_000_000, outputMicrosPer1M: 2_000_000, requestMicros: 10 };
const PER_REQUEST = 51;

const mgmt = (w: World) => `Bearer ${w.managementKey}`;

function chat(w: World, extra: { user?: string; headers?: Record<string, string>; model?: string } = {}) {
  return call('/v1/chat/completions', {
    method: 'POST',
    auth: `Bearer ${w.apiKey}`,
    headers: extra.headers,
    json: {
      model: extra.model ?? w.model,
      messages: [{ role: 'user', content: 'one two three' }],
      max_tokens: 16,
      ...(extra.user ? { user: extra.user } : {}),
    },
  });
}

function addBudget(w: World, body: Record<string, unknown>, expect = 201) {
  return callJson('/api/account/budgets', { method: 'POST', auth: mgmt(w), json: body, expect });
}

async function budgetStatus(w: World, id: string) {
  return (await callJson(`/api/account/budgets/${id}`, { auth: mgmt(w), expect: 200 })).budget;
}

async function journalSum(accountId: string) {
  const entries = await accountStub(accountId).journal({ limit: 500 });
  return { sum: entries.reduce((s, e) => s + e.amountMicros, 0), last: entries[0]?.balanceAfterMicros ?? 0 };
}

describe('budgets under concurrency', () => {
  it.each([
    ['organization', {}],
    ['project', { projectId: 'PROJECT' }],
    ['key', { keyId: 'KEY' }],
    ['model', { model: 'MODEL', projectId: 'PROJECT' }],
    ['end_user', {}],
  ] as const)('%s: 200 concurrent requests against a budget that covers about 50 never overspend it', async (scope, filter) => {
    installOrigin({ latencyMs: 5 });
    const balance = 10_000_000;
    const world = await createWorld({ prices: PRICE, balanceMicros: balance });
    const amount = 50 * PER_REQUEST;
    const target = { KEY: world.keyId, MODEL: world.model, PROJECT: 'proj_default' } as const;
    const scoped = Object.fromEntries(Object.entries(filter).map(([k, v]) => [k, target[v]]));
    const { budget } = await addBudget(world, { name: `${scope} cap`, scope, amountMicros: amount, window: 'day', ...scoped });
    // An alert-only budget on the whole organisation counts the same charges and refuses nothing.
    const { budget: watch } = await addBudget(world, { name: 'watch', scope: 'organization', amountMicros: 1_000_000, window: 'month', action: 'alert' });

    const responses = await Promise.all(Array.from({ length: 200 }, () => chat(world, { user: 'alice' })));
    const statuses = responses.map((r) => r.status);
    expect(
      statuses.every((s) => s === 200 || s === 402),
      JSON.stringify(statuses),
    ).toBe(true);
    const refused = responses.filter((r) => r.status === 402);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused.slice(0, 3)) {
      const body = (await r.json()) as { error: { code: string; type: string; message: string } };
      expect(body.error.code).toBe('budget_exceeded');
      expect(body.error.type).toBe('insufficient_quota');
      expect(body.error.message).toContain(`'${scope} cap'`);
      expect(r.headers.get('x-gateway-budget-id')).toBe(budget.id);
      expect(Number(r.headers.get('x-gateway-budget-remaining-micros'))).toBeGreaterThanOrEqual(0);
      expect(Date.parse(r.headers.get('x-gateway-budget-reset') ?? '')).toBeGreaterThan(Date.now());
    }
    const ok = responses.filter((r) => r.status === 200);
    expect(ok.length).toBeGreaterThan(0);
    const charged = ok.reduce((sum, r) => sum + Number(r.headers.get('x-gateway-cost-micros')), 0);
    expect(charged).toBeLessThanOrEqual(amount);
    await settled(world.accountId);

    const after = await budgetStatus(world, budget.id);
    expect(after.usage[0].spentMicros).toBe(charged);
    expect(after.usage[0].reservedMicros).toBe(0);
    if (scope === 'end_user') expect(after.usage[0].endUser).toBe('alice');
    expect((await budgetStatus(world, watch.id)).usage[0].spentMicros).toBe(charged);
    const summary = await accountStub(world.accountId).summary();
    expect(summary.balanceMicros).toBe(balance - charged);
    expect(summary.reservedMicros).toBe(0);
    const journal = await journalSum(world.accountId);
    expect(journal.sum).toBe(summary.balanceMicros);
    expect(journal.last).toBe(summary.balanceMicros);
  });

  it('limits two end users of one key independently, and leaves requests without an end user alone', async () => {
    installOrigin();
    const world = await createWorld({ prices: PRICE });
    // Each request reserves its worst case (the prompt's byte bound plus max_tokens, about 190 µUSD)
    // and is charged 51: $0.0004 lets each end user through about five times.
    await addBudget(world, { name: 'per customer', scope: 'end_user', amountMicros: 400, window: 'day' });
    const statusesOf = async (opts: Parameters<typeof chat>[1], n: number) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        out.push((await chat(world, opts)).status);
        // The settle follows the answer (waitUntil): until it lands, the request's worst case is held.
        await settled(world.accountId);
      }
      return out;
    };
    const alice = await statusesOf({ user: 'alice' }, 8);
    const admitted = alice.filter((s) => s === 200).length;
    expect(admitted).toBeGreaterThanOrEqual(2);
    // Admitted while the worst case fits, refused from then on.
    expect(alice).toEqual([...Array(admitted).fill(200), ...Array(8 - admitted).fill(402)]);
    expect(admitted).toBeLessThan(8);
    // Bob, named by the header instead of the body, has his own bucket.
    const bob = await statusesOf({ headers: { 'x-gateway-user': 'bob' } }, 1);
    expect(bob).toEqual([200]);
    // The header names the end user even when the body says otherwise.
    expect((await chat(world, { user: 'bob', headers: { 'x-gateway-user': 'alice' } })).status).toBe(402);
    expect(await statusesOf({}, 3)).toEqual([200, 200, 200]);
    const tooLong = await chat(world, { headers: { 'x-gateway-user': 'x'.repeat(300) } });
    expect(tooLong.status).toBe(400);
    expect(((await tooLong.json()) as { error: { param: string } }).error.param).toBe('x-gateway-user');
  });

  it('applies a budget added, raised or deleted on the very next request', async () => {
    installOrigin();
    const world = await createWorld({ prices: PRICE });
    const { budget } = await addBudget(world, { name: 'frozen', scope: 'organization', amountMicros: 0, window: 'month' });
    expect((await chat(world)).status).toBe(402);
    await callJson(`/api/account/budgets/${budget.id}`, { method: 'PATCH', auth: mgmt(world), json: { amountMicros: 1_000_000 }, expect: 200 });
    expect((await chat(world)).status).toBe(200);
    await callJson(`/api/account/budgets/${budget.id}`, { method: 'PATCH', auth: mgmt(world), json: { action: 'alert', amountMicros: 0 }, expect: 200 });
    expect((await chat(world)).status).toBe(200);
    await callJson(`/api/account/budgets/${budget.id}`, { method: 'PATCH', auth: mgmt(world), json: { action: 'block' }, expect: 200 });
    expect((await chat(world)).status).toBe(402);
    await callJson(`/api/account/budgets/${budget.id}`, { method: 'DELETE', auth: mgmt(world), expect: 200 });
    expect((await chat(world)).status).toBe(200);
  });

  it('clamps max_tokens to the tightest of the balance and every budget', async () => {
    const origin = installOrigin();
    const world = await createWorld({ prices: PRICE, balanceMicros: 10_000_000 });
    // Room for the prompt's upper bound and about 40 output tokens, not the 200 asked for.
    const { budget } = await addBudget(world, { name: 'tight', scope: 'key', keyId: world.keyId, amountMicros: 200, window: 'hour' });
    const res = await call('/v1/chat/completions', {
      method: 'POST',
      auth: `Bearer ${world.apiKey}`,
      json: { model: world.model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 200 },
    });
    expect(res.status).toBe(200);
    const sent = origin.upstream.at(-1)?.body.max_tokens as number;
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThan(200);
    await settled(world.accountId);
    expect((await budgetStatus(world, budget.id)).usage[0].spentMicros).toBeLessThanOrEqual(200);
  });
});

describe('budget alerts', () => {
  async function alertRows(accountId: string) {
    const { results } = await env.DB.prepare('SELECT budget_id, percent, end_user FROM alerts WHERE account_id = ? ORDER BY percent').bind(accountId).all();
    return results;
  }

  it('raises each threshold once per window under concurrency, replayed alarms, duplicate settles and a restart', async () => {
    installOrigin({ latencyMs: 2 });
    const world = await createWorld({ prices: PRICE });
    const amount = 1_000;
    const { budget } = await addBudget(world, { name: 'ten', scope: 'organization', amountMicros: amount, window: 'month', thresholds: [80, 50, 100, 50] });
    expect(budget.thresholds).toEqual([50, 80, 100]);
    // Waves of concurrent requests until the budget refuses: the thresholds are crossed mid-wave.
    for (let wave = 0; wave < 40; wave++) {
      const statuses = (await Promise.all(Array.from({ length: 6 }, () => chat(world)))).map((r) => r.status);
      if (!statuses.includes(200)) break;
      await settled(world.accountId);
    }
    await settled(world.accountId);
    await drainAlarms(world.accountId);
    const first = await alertRows(world.accountId);
    const stub = accountStub(world.accountId);
    await runDurableObjectAlarm(stub);
    await evictDurableObject(stub);
    await Promise.all(Array.from({ length: 5 }, () => chat(world)));
    await settled(world.accountId);
    await drainAlarms(world.accountId);
    const spent = (await budgetStatus(world, budget.id)).usage[0].spentMicros;
    const expected = [50, 80, 100].filter((p) => spent * 100 >= p * amount);
    expect(expected.length).toBeGreaterThanOrEqual(2);
    const rows = await alertRows(world.accountId);
    expect(rows.map((r) => r.percent)).toEqual(expected);
    expect(first.length).toBeLessThanOrEqual(rows.length);
    const { alerts } = await callJson('/api/account/alerts', { auth: mgmt(world), expect: 200 });
    expect(alerts.map((a: { percent: number }) => a.percent).sort((a: number, b: number) => a - b)).toEqual(expected);
    expect(alerts[0].budgetName).toBe('ten');
  });

  it('raises an end user’s thresholds for that end user only', async () => {
    installOrigin();
    const world = await createWorld({ prices: PRICE });
    await addBudget(world, { name: 'per customer', scope: 'end_user', amountMicros: 400, window: 'day', thresholds: [25] });
    // Two requests (102 µUSD) pass 25 % of 400; one does not.
    for (const user of ['carol', 'dave', 'carol']) expect((await chat(world, { user })).status).toBe(200);
    await settled(world.accountId);
    await drainAlarms(world.accountId);
    expect((await alertRows(world.accountId)).map((r) => r.end_user)).toEqual(['carol']);
    expect((await chat(world, { user: 'dave' })).status).toBe(200);
    await settled(world.accountId);
    await drainAlarms(world.accountId);
    expect((await alertRows(world.accountId)).map((r) => r.end_user).sort()).toEqual(['carol', 'dave']);
  });
});

describe('the budgets API', () => {
  it('keeps every budget to its own organisation', async () => {
    installOrigin();
    const mine = await createWorld({ prices: PRICE });
    const theirs = await createWorld({ prices: PRICE });
    const { budget } = await addBudget(theirs, { name: 'theirs', scope: 'organization', amountMicros: 1, window: 'day' });
    for (const [method, json] of [
      ['GET', undefined],
      ['PATCH', { amountMicros: 5 }],
      ['DELETE', undefined],
    ] as const) {
      const res = await call(`/api/account/budgets/${budget.id}`, { method, auth: mgmt(mine), json });
      expect(res.status, method).toBe(404);
    }
    // Their key cannot be named in my budget.
    const res = await call('/api/account/budgets', {
      method: 'POST',
      auth: mgmt(mine),
      json: { name: 'x', scope: 'key', keyId: theirs.keyId, amountMicros: 1, window: 'day' },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { param: string } }).error.param).toBe('keyId');
    expect((await callJson('/api/account/budgets', { auth: mgmt(mine), expect: 200 })).budgets).toEqual([]);
    expect((await budgetStatus(theirs, budget.id)).amountMicros).toBe(1);
    expect(await call('/api/account/budgets').then((r) => r.status)).toBe(401);
  });

  it.each([
    [{ name: 'k', scope: 'key', amountMicros: 1, window: 'day' }, 'keyId'],
    [{ name: 'm', scope: 'model', amountMicros: 1, window: 'day' }, 'model'],
    [{ name: 'o', scope: 'organization', model: 'x', amountMicros: 1, window: 'day' }, 'model'],
    [{ name: 'p', scope: 'project', amountMicros: 1, window: 'day' }, 'projectId'],
    [{ name: 'p', scope: 'project', projectId: 'proj_default', keyId: 'k', amountMicros: 1, window: 'day' }, 'keyId'],
    [{ name: 'u', scope: 'member', amountMicros: 1, window: 'day' }, 'memberId'],
    [{ name: 'u', scope: 'key', keyId: 'k', memberId: 'u', amountMicros: 1, window: 'day' }, 'memberId'],
    [{ name: 'w', scope: 'organization', amountMicros: 1, window: 'fortnight' }, 'window'],
    [{ name: 'a', scope: 'organization', amountMicros: -1, window: 'day' }, 'amountMicros'],
    [{ name: 'a', scope: 'organization', amountMicros: 1.5, window: 'day' }, 'amountMicros'],
    [{ name: 't', scope: 'organization', amountMicros: 1, window: 'day', thresholds: [0] }, 'thresholds.0'],
    [{ name: 'x', scope: 'organization', amountMicros: 1, window: 'day', extra: true }, ''],
  ])('refuses %j naming the field', async (body, param) => {
    const world = await createWorld();
    const res = await call('/api/account/budgets', { method: 'POST', auth: mgmt(world), json: body });
    expect(res.status).toBe(400);
    const error = ((await res.json()) as { error: { code: string; param?: string } }).error;
    expect(error.code).toBe('invalid_request');
    if (param) expect(error.param).toBe(param);
  });

  it('sets the calendar budget windows follow, and refuses a zone that does not exist', async () => {
    const world = await createWorld();
    const { budget } = await addBudget(world, { name: 'daily', scope: 'organization', amountMicros: 1_000, window: 'day' });
    const { calendar } = await callJson('/api/account/calendar', {
      method: 'PUT',
      auth: mgmt(world),
      json: { timezone: 'Asia/Kolkata', weekStart: 0 },
      expect: 200,
    });
    expect(calendar).toEqual({ timezone: 'Asia/Kolkata', weekStart: 0 });
    const status = await budgetStatus(world, budget.id);
    expect(status.timezone).toBe('Asia/Kolkata');
    // A Kolkata day starts at 18:30 UTC.
    expect(new Date(status.windowStart).toISOString().slice(11, 16)).toBe('18:30');
    expect(status.resetsAt - status.windowStart).toBe(86_400_000);
    const bad = await call('/api/account/calendar', { method: 'PUT', auth: mgmt(world), json: { timezone: 'Mars/Olympus' } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { param: string } }).error.param).toBe('timezone');
  });
});

describe('budgets across an eviction', () => {
  it('keeps a budget’s in-flight money held across a restart and charges the late settle to it once', async () => {
    const world = await createWorld({ prices: PRICE });
    const { budget } = await addBudget(world, { name: 'small', scope: 'organization', amountMicros: 300, window: 'month' });
    const stub = accountStub(world.accountId);
    const service = {
      id: world.serviceId,
      name: world.model,
      endpoint: 'chat' as const,
      price: { ...PRICE },
      priceVersion: 1,
      maxOutputTokens: 256,
      defaults: { requestsPerMinute: null, tokensPerMinute: null, maxConcurrent: null },
    };
    const admit = (requestId: string) =>
      stub.admit({ requestId, keyId: world.keyId, promptTokensUpper: 100, promptTokensEstimate: 25, lifetimeMs: 60_000, requestedMaxTokens: 50, service });
    const first = await admit('req_b1');
    if (!first.ok) throw new Error(first.reason);
    // 100 + 100 + 10 = 210 reserved: a second one does not fit in 300.
    expect(first.reservedMicros).toBe(210);
    expect((await admit('req_b2')).ok).toBe(false);
    await evictDurableObject(stub);
    // The new life treats the last life's mark as held: still no room.
    const again = await admit('req_b3');
    expect(again.ok).toBe(false);
    if (!again.ok) expect(again.reason).toBe('budget_exceeded');
    const settle = {
      reservationId: 'req_b1',
      inputTokens: 20,
      outputTokens: 20,
      estimated: false,
      status: 'ok' as const,
      model: world.model,
      latencyMs: 5,
      ttftMs: 1,
    };
    const result = await stub.settle({ ...settle, grant: first.grant });
    expect(result.costMicros).toBe(20 + 40 + 10);
    expect((await stub.settle({ ...settle, grant: first.grant })).duplicate).toBe(true);
    const status = await budgetStatus(world, budget.id);
    expect(status.usage[0].spentMicros).toBe(70);
  });
});

describe('the fallback action', () => {
  async function cheaperModel() {
    const name = `cheap-${Math.random().toString(36).slice(2, 8)}`;
    await callJson('/api/admin/services', {
      method: 'POST',
      auth: ADMIN,
      expect: 201,
      json: {
        name,
        endpoints: ['chat', 'completions', 'embeddings'],
        originBaseUrl: ORIGIN_URL,
        originModel: 'demo-llm',
        originCredentialSecret: 'ORIGIN_TEST_KEY',
        maxOutputTokens: 256,
        prices: { inputMicrosPer1M: 100_000, outputMicrosPer1M: 200_000, requestMicros: 1 },
      },
    });
    return name;
  }

  it('serves the cheaper model instead of refusing, bills it at its own price, and says so', async () => {
    installOrigin();
    const world = await createWorld({ prices: PRICE });
    const cheap = await cheaperModel();
    const { budget } = await addBudget(world, {
      name: 'big model cap',
      scope: 'model',
      model: world.model,
      amountMicros: 400,
      window: 'day',
      action: 'fallback',
      fallbackModel: cheap,
    });
    const served: string[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await chat(world);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { model: string };
      served.push(body.model);
      if (body.model === cheap) {
        expect(res.headers.get('x-gateway-model')).toBe(cheap);
        expect(res.headers.get('x-gateway-fallback-from')).toBe(world.model);
        expect(res.headers.get('x-gateway-fallback-budget')).toBe(budget.id);
        // 9 input + 16 output tokens at the cheap price: 1 + ceil((900,000 + 3,200,000) / 1M) = 6 µUSD.
        expect(res.headers.get('x-gateway-cost-micros')).toBe('6');
      } else expect(res.headers.get('x-gateway-model')).toBeNull();
      await settled(world.accountId);
    }
    const firstFallback = served.indexOf(cheap);
    expect(firstFallback).toBeGreaterThan(0);
    expect(served.slice(firstFallback).every((m) => m === cheap)).toBe(true);
    // The big model's budget was never overspent; the cheap requests are not counted in it (it covers the big model only).
    expect((await budgetStatus(world, budget.id)).usage[0].spentMicros).toBe(firstFallback * PER_REQUEST);
    await drainAlarms(world.accountId);
    const { results } = await env.DB.prepare('SELECT model, cost_micros FROM usage_events WHERE account_id = ? ORDER BY created_at')
      .bind(world.accountId)
      .all<{ model: string; cost_micros: number }>();
    expect(results.map((r) => r.model)).toEqual(served);
    expect(results.filter((r) => r.model === cheap).every((r) => r.cost_micros === 6)).toBe(true);
  });

  it('counts a fallback in the organisation budget that sent it there, and still obeys every other budget', async () => {
    installOrigin();
    const world = await createWorld({ prices: PRICE });
    const cheap = await cheaperModel();
    const { budget } = await addBudget(world, {
      name: 'soft org cap',
      scope: 'organization',
      amountMicros: 0,
      window: 'month',
      action: 'fallback',
      fallbackModel: cheap,
    });
    const res = await chat(world);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-gateway-model')).toBe(cheap);
    await settled(world.accountId);
    expect((await budgetStatus(world, budget.id)).usage[0].spentMicros).toBe(6);
    // A hard budget on the cheap model is not bypassed by falling back to it.
    await addBudget(world, { name: 'cheap cap', scope: 'model', model: cheap, amountMicros: 0, window: 'month' });
    const refused = await chat(world);
    expect(refused.status).toBe(402);
    expect(((await refused.json()) as { error: { code: string; message: string } }).error.message).toContain('soft org cap');
  });

  it('refuses instead when the key may not use the fallback model', async () => {
    installOrigin();
    const cheap = await cheaperModel();
    const world = await createWorld({ prices: PRICE });
    await callJson(`/api/account/keys/${world.keyId}`, { method: 'PATCH', auth: mgmt(world), json: { allowedServices: [world.model] }, expect: 200 });
    await addBudget(world, { name: 'cap', scope: 'organization', amountMicros: 0, window: 'day', action: 'fallback', fallbackModel: cheap });
    const res = await chat(world);
    expect(res.status).toBe(402);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('budget_exceeded');
  });

  it.each([
    [{ action: 'fallback' }, 'fallbackModel'],
    [{ action: 'fallback', fallbackModel: 'no-such-model' }, 'fallbackModel'],
    [{ action: 'block', fallbackModel: 'x' }, 'fallbackModel'],
  ])('refuses a fallback budget %j naming the field', async (extra, param) => {
    const world = await createWorld();
    const res = await call('/api/account/budgets', {
      method: 'POST',
      auth: mgmt(world),
      json: { name: 'f', scope: 'organization', amountMicros: 1, window: 'day', ...extra },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { param: string } }).error.param).toBe(param);
  });
});
