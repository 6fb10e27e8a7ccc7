import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ADMIN, call, callJson, createWorld, drainAlarms, installOrigin } from '../helpers';
import { signedInUser } from '../session';

afterEach(() => vi.restoreAllMocks());

let serial = 0;
interface Row {
  accountId: string;
  keyId?: string;
  model?: string;
  at: string | number;
  input?: number;
  output?: number;
  cost?: number;
  latency?: number;
  status?: string;
}

/** Writes usage rows as the account objects' outbox flush would. */
async function usage(rows: Row[]): Promise<void> {
  await env.DB.batch(
    rows.map((r) => {
      serial += 1;
      const at = typeof r.at === 'number' ? r.at : Date.parse(r.at);
      return env.DB.prepare(
        `INSERT INTO usage_events (id, account_id, key_id, service_id, model, endpoint, input_tokens, output_tokens, cost_micros, price_version, latency_ms, ttft_ms, status, estimated, created_at)
       VALUES (?, ?, ?, 'svc_test', ?, 'chat', ?, ?, ?, 1, ?, NULL, ?, 0, ?)`,
      ).bind(
        `req_analytics_${serial}`,
        r.accountId,
        r.keyId ?? 'key_a',
        r.model ?? 'model-a',
        r.input ?? 10,
        r.output ?? 5,
        r.cost ?? 100,
        r.latency ?? 50,
        r.status ?? 'ok',
        at,
      );
    }),
  );
}

const q = (params: Record<string, string>) => new URLSearchParams(params).toString();

describe('GET /api/account/analytics', () => {
  it('buckets by local day in Asia/Kolkata (+05:30)', async () => {
    const { browser, me } = await signedInUser('kolkata');
    const accountId = me.account.id;
    await usage([
      { accountId, at: '2026-03-01T18:29:00Z' }, // 23:59 on 1 March in India
      { accountId, at: '2026-03-01T18:31:00Z' }, // 00:01 on 2 March
      { accountId, at: '2026-03-02T10:00:00Z' }, // 15:30 on 2 March
    ]);
    const from = '2026-02-28T18:30:00Z';
    const to = '2026-03-03T18:30:00Z';
    const local = await browser.json(`/api/account/analytics?${q({ from, to, tz: 'Asia/Kolkata' })}`, { expect: 200 });
    expect(local.bucket).toBe('day');
    expect(local.series.map((p: any) => [new Date(p.t).toISOString(), p.requests])).toEqual([
      ['2026-02-28T18:30:00.000Z', 1],
      ['2026-03-01T18:30:00.000Z', 2],
      ['2026-03-02T18:30:00.000Z', 0],
    ]);
    const utc = await browser.json(`/api/account/analytics?${q({ from: '2026-03-01T00:00:00Z', to: '2026-03-04T00:00:00Z' })}`, { expect: 200 });
    expect(utc.tz).toBe('UTC');
    expect(utc.series.map((p: any) => p.requests)).toEqual([2, 1, 0]);
    const hours = await browser.json(`/api/account/analytics?${q({ from: '2026-03-01T18:00:00Z', to: '2026-03-01T20:00:00Z', tz: 'Asia/Kolkata' })}`, {
      expect: 200,
    });
    expect(hours.bucket).toBe('hour');
    // Local hours in India start at :30 UTC.
    expect(hours.series.map((p: any) => [new Date(p.t).toISOString(), p.requests])).toEqual([
      ['2026-03-01T17:30:00.000Z', 1],
      ['2026-03-01T18:30:00.000Z', 1],
      ['2026-03-01T19:30:00.000Z', 0],
    ]);
  });

  it('buckets by local day in America/New_York across the DST change (a 23-hour day)', async () => {
    const { browser, me } = await signedInUser('newyork');
    const accountId = me.account.id;
    await usage([
      { accountId, at: '2026-03-08T04:59:00Z', cost: 1 }, // 23:59 EST, 7 March
      { accountId, at: '2026-03-08T05:00:00Z', cost: 10 }, // 00:00 EST, 8 March
      { accountId, at: '2026-03-09T03:59:00Z', cost: 100 }, // 23:59 EDT, 8 March
      { accountId, at: '2026-03-09T04:00:00Z', cost: 1000 }, // 00:00 EDT, 9 March
    ]);
    const res = await browser.json(`/api/account/analytics?${q({ from: '2026-03-07T05:00:00Z', to: '2026-03-10T04:00:00Z', tz: 'America/New_York' })}`, {
      expect: 200,
    });
    expect(res.series.map((p: any) => [new Date(p.t).toISOString(), p.costMicros])).toEqual([
      ['2026-03-07T05:00:00.000Z', 1],
      ['2026-03-08T05:00:00.000Z', 110],
      ['2026-03-09T04:00:00.000Z', 1000],
    ]);
    expect(res.totals.costMicros).toBe(1111);
  });

  it('totals, per-key and per-model figures equal the sums of the usage rows; filters apply', async () => {
    const { browser, me } = await signedInUser('sums');
    const accountId = me.account.id;
    const { key } = await browser.json('/api/account/keys', { method: 'POST', json: { name: 'ci' }, csrf: true, expect: 201 });
    const rows: Row[] = [
      { accountId, keyId: key.id, model: 'm1', at: '2026-04-01T10:00:00Z', input: 100, output: 10, cost: 1234 },
      { accountId, keyId: key.id, model: 'm2', at: '2026-04-02T10:00:00Z', input: 200, output: 20, cost: 4321 },
      { accountId, keyId: 'key_other', model: 'm1', at: '2026-04-03T10:00:00Z', input: 300, output: 30, cost: 7 },
    ];
    await usage(rows);
    const range = { from: '2026-04-01T00:00:00Z', to: '2026-04-05T00:00:00Z' };
    const all = await browser.json(`/api/account/analytics?${q(range)}`, { expect: 200 });
    expect(all.totals).toEqual({ requests: 3, inputTokens: 600, outputTokens: 60, costMicros: 5562 });
    expect(all.series).toHaveLength(4);
    expect(all.series.reduce((s: number, p: any) => s + p.costMicros, 0)).toBe(5562);
    expect(all.byKey.map((k: any) => [k.keyId, k.name, k.requests, k.costMicros])).toEqual([
      [key.id, 'ci', 2, 5555],
      ['key_other', null, 1, 7],
    ]);
    expect(all.byKey[0].series.map((p: any) => p.costMicros)).toEqual([1234, 4321, 0, 0]);
    expect(all.byModel.map((m: any) => [m.model, m.requests, m.costMicros])).toEqual([
      ['m2', 1, 4321],
      ['m1', 2, 1241],
    ]);
    const csv = await browser.fetch(`/api/account/usage.csv?${q(range)}`);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = (await csv.text()).trim().split('\r\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^time,request_id,key_id,model/);
    expect(lines.map((l) => l.split(',')[7])).toEqual(['cost_usd', '0.000007', '0.004321', '0.001234']);
    const byKey = await browser.json(`/api/account/analytics?${q({ ...range, keyId: key.id, model: 'm1' })}`, { expect: 200 });
    expect(byKey.totals).toEqual({ requests: 1, inputTokens: 100, outputTokens: 10, costMicros: 1234 });
  });

  it("counts today and this month in the caller's time zone", async () => {
    const { browser, me } = await signedInUser('today');
    await usage([
      { accountId: me.account.id, at: Date.now() - 1000, cost: 42 },
      { accountId: me.account.id, at: Date.now() - 400 * 86_400_000, cost: 1 },
    ]);
    const res = await browser.json('/api/account/analytics?tz=Pacific/Kiritimati', { expect: 200 });
    expect(res.today).toEqual({ requests: 1, costMicros: 42 });
    expect(res.month).toEqual({ requests: 1, costMicros: 42 });
  });

  it('matches /api/account/usage for real requests through the gateway', async () => {
    installOrigin();
    const world = await createWorld();
    for (let i = 0; i < 3; i++)
      await world.client.chat.completions.create({ model: world.model, messages: [{ role: 'user', content: `hello ${i}` }], max_tokens: 5 });
    await drainAlarms(world.accountId);
    const auth = `Bearer ${world.managementKey}`;
    const usageView = await callJson('/api/account/usage', { auth, expect: 200 });
    const analytics = await callJson('/api/account/analytics?tz=Europe/Berlin', { auth, expect: 200 });
    expect(usageView.totals.requests).toBe(3);
    expect(analytics.totals).toEqual(usageView.totals);
    expect(analytics.byModel.map((m: any) => m.model)).toEqual([world.model]);
  });

  it('refuses an unknown time zone and an inverted range', async () => {
    const { browser } = await signedInUser('badtz');
    const bad = await browser.fetch('/api/account/analytics?tz=Mars/Olympus');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.param).toBe('tz');
    expect((await browser.fetch(`/api/account/analytics?${q({ from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' })}`)).status).toBe(400);
  });

  it('shows a user only their own account, whatever ids they pass', async () => {
    const a = await signedInUser('own-a');
    const b = await signedInUser('own-b');
    await usage([{ accountId: a.me.account.id, keyId: 'key_of_a', at: '2026-05-01T10:00:00Z', cost: 999 }]);
    const range = { from: '2026-05-01T00:00:00Z', to: '2026-05-02T00:00:00Z' };
    expect((await a.browser.json(`/api/account/analytics?${q(range)}`, { expect: 200 })).totals.costMicros).toBe(999);
    expect((await b.browser.json(`/api/account/analytics?${q({ ...range, keyId: 'key_of_a' })}`, { expect: 200 })).totals.requests).toBe(0);
    expect((await b.browser.fetch(`/api/admin/analytics?${q(range)}`)).status).toBe(403);
  });
});

describe('GET /api/admin/analytics', () => {
  it('reports latency p50/p95 (histogram bucket edges), errors, revenue, cost per request and top accounts per model', async () => {
    const a = await signedInUser('admin-a');
    const b = await signedInUser('admin-b');
    const base = Date.parse('2025-06-10T12:00:00Z');
    const rows: Row[] = [];
    // 100 requests on p-model with latencies 1..100 ms; 3 of them origin errors.
    for (let i = 1; i <= 100; i++)
      rows.push({ accountId: a.me.account.id, model: 'p-model', at: base + i * 1000, latency: 101 - i, cost: 10, status: i <= 3 ? 'origin_error' : 'ok' });
    // 20 requests on q-model with latencies 10, 20, ..., 200 ms; one client_closed (not an error).
    for (let i = 1; i <= 20; i++)
      rows.push({ accountId: b.me.account.id, model: 'q-model', at: base + i * 1000, latency: i * 10, cost: 100, status: i === 1 ? 'client_closed' : 'ok' });
    await usage(rows);
    const range = { from: '2025-06-10T00:00:00Z', to: '2025-06-11T00:00:00Z', tz: 'UTC' };
    const res = await callJson(`/api/admin/analytics?${q(range)}`, { auth: ADMIN, expect: 200 });
    expect(res.bucket).toBe('hour');
    expect(res.totals).toEqual({ requests: 120, inputTokens: 1200, outputTokens: 600, revenueMicros: 3000, errors: 3, errorRate: 3 / 120 });
    const byModel = Object.fromEntries(res.byModel.map((m: any) => [m.model, m]));
    // Exact nearest-rank values are 50/95 and 100/190 ms; the histogram answers the upper edge of
    // the bucket holding each (edges 1-1.25-1.5-2-2.5-3-4-5-6-8 per decade): 50/100 and 100/200.
    expect(byModel['p-model']).toMatchObject({ requests: 100, errors: 3, errorRate: 0.03, revenueMicros: 1000, latencyP50Ms: 50, latencyP95Ms: 100 });
    expect(byModel['q-model']).toMatchObject({ requests: 20, errors: 0, revenueMicros: 2000, latencyP50Ms: 100, latencyP95Ms: 200 });
    expect(byModel['p-model'].costPerRequestMicros).toBe(10);
    expect(byModel['q-model'].costPerRequestMicros).toBe(100);
    expect(res.topAccounts.map((t: any) => [t.accountId, t.requests, t.revenueMicros])).toEqual([
      [b.me.account.id, 20, 2000],
      [a.me.account.id, 100, 1000],
    ]);
    expect(res.series.reduce((s: number, p: any) => s + p.requests, 0)).toBe(120);
    expect(res.series.find((p: any) => p.t === Date.parse('2025-06-10T12:00:00Z'))).toMatchObject({
      requests: 120,
      errors: 3,
      tokens: 1800,
      revenueMicros: 3000,
    });
  });

  it('is refused without the admin role', async () => {
    expect((await call('/api/admin/analytics')).status).toBe(401);
  });
});
