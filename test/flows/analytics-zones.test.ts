/**
 * Analytics in any zone from the daily rollups (issue 13 item 8): a view in local days of a zone
 * other than the organisation's, or over a range that does not start at a midnight, reads the
 * organisation's days corrected at each bucket's ends by 15-minute slots. Every figure must equal a
 * recount of the raw events in the view's zone, across DST changes of either zone, for zones a
 * quarter hour off, and for a zone almost a day away; and past the slots' horizon the pruning
 * leaves the daily rollups answering. The usage list's totals are exact at any range.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { prunedBefore, pruneRollups, slotHorizon } from '../../worker/analytics/prune-rollups';
import { LocalClock } from '../../worker/lib/local-clock';
import { callJson, createWorld } from '../helpers';

const DAY_MS = 86_400_000;
const SLOT_MS = 900_000;
const ORG_ZONE = 'Europe/Berlin';

interface Event {
  id: string;
  at: number;
  key: string;
  project: string;
  model: string;
  input: number;
  output: number;
  cost: number;
  endUser: string | null;
  tags: Record<string, string> | null;
}

/** A deterministic generator (mulberry32), so a failure reproduces. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Inserts events as the outbox flush does (the triggers keep every rollup), counted in the organisation's zone. */
async function insertEvents(accountId: string, events: Event[]) {
  const clock = new LocalClock(ORG_ZONE);
  const day = (ms: number) => {
    const p = clock.parts(ms);
    return Date.UTC(p.year, p.month - 1, p.day) / DAY_MS;
  };
  const statements = events.map((e) =>
    env.DB.prepare(
      `INSERT OR IGNORE INTO usage_events (id, account_id, key_id, project_id, service_id, model, endpoint, input_tokens, output_tokens, cost_micros,
         price_version, latency_ms, ttft_ms, status, estimated, created_at, member_id, end_user, tags, tz, local_day)
       VALUES (?1, ?2, ?3, ?4, 'svc_zones', ?5, 'chat', ?6, ?7, ?8, 1, 100, NULL, 'ok', 0, ?9, NULL, ?10, ?11, ?12, ?13)`,
    ).bind(e.id, accountId, e.key, e.project, e.model, e.input, e.output, e.cost, e.at, e.endUser, e.tags ? JSON.stringify(e.tags) : null, clock.tz, day(e.at)),
  );
  for (let i = 0; i < statements.length; i += 100) await env.DB.batch(statements.slice(i, i + 100));
}

function makeEvents(accountId: string, now: number, days: number, n: number, seed: number): Event[] {
  const r = random(seed);
  return Array.from({ length: n }, (_, i) => {
    const k = Math.floor(r() * 4);
    const cost = 1 + Math.floor(r() * 5000);
    return {
      id: `req_zone_${accountId}_${i}`,
      at: now - Math.floor(r() * days * DAY_MS),
      key: `key_z${k}`,
      project: k < 2 ? 'proj_default' : 'proj_research',
      model: ['m-small', 'm-mid', 'm-large'][Math.floor(r() * 3)],
      input: 10 + Math.floor(r() * 500),
      output: Math.floor(r() * 300),
      cost,
      endUser: r() < 0.7 ? `cust${Math.floor(r() * 6)}` : null,
      tags: r() < 0.8 ? { feature: `f${Math.floor(r() * 4)}` } : null,
    };
  });
}

/** The view's figures recounted from the events, in the view's zone: per local date, and per key, model, project, tag, end user. */
function expected(events: Event[], tz: string, from: number, to: number) {
  const date = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' });
  // The range covers every 15-minute slot it touches.
  const lo = Math.floor(from / SLOT_MS) * SLOT_MS;
  const hi = Math.ceil(to / SLOT_MS) * SLOT_MS;
  const inRange = events.filter((e) => e.at >= lo && e.at < hi);
  const add = (m: Map<string, { requests: number; costMicros: number }>, id: string, e: Event) => {
    const g = m.get(id) ?? { requests: 0, costMicros: 0 };
    g.requests++;
    g.costMicros += e.cost;
    m.set(id, g);
  };
  const byDate = new Map<string, { requests: number; costMicros: number }>();
  const byKey = new Map<string, { requests: number; costMicros: number }>();
  const byModel = new Map<string, { requests: number; costMicros: number }>();
  const byProject = new Map<string, { requests: number; costMicros: number }>();
  const byTag = new Map<string, { requests: number; costMicros: number }>();
  const byEndUser = new Map<string, { requests: number; costMicros: number }>();
  let input = 0;
  let output = 0;
  for (const e of inRange) {
    add(byDate, date.format(e.at), e);
    add(byKey, e.key, e);
    add(byModel, e.model, e);
    add(byProject, e.project, e);
    if (e.endUser) add(byEndUser, e.endUser, e);
    for (const [name, value] of Object.entries(e.tags ?? {})) add(byTag, `${name}=${value}`, e);
    input += e.input;
    output += e.output;
  }
  const totals = { requests: inRange.length, inputTokens: input, outputTokens: output, costMicros: inRange.reduce((a, e) => a + e.cost, 0) };
  return { date, totals, byDate, byKey, byModel, byProject, byTag, byEndUser };
}

const sorted = (m: Map<string, { requests: number; costMicros: number }>) =>
  [...m].map(([id, g]) => ({ id, ...g })).sort((a, b) => b.costMicros - a.costMicros || a.id.localeCompare(b.id));

function expectView(view: any, want: ReturnType<typeof expected>, label: string) {
  expect(view.totals, label).toEqual(want.totals);
  // Each bucket is one local date of the view's zone.
  const series = new Map<string, { requests: number; costMicros: number }>();
  for (const p of view.series) {
    expect(series.has(want.date.format(p.t)), `${label}: one bucket per local date`).toBe(false);
    if (p.requests !== 0 || p.costMicros !== 0) series.set(want.date.format(p.t), { requests: p.requests, costMicros: p.costMicros });
  }
  expect(Object.fromEntries(series), `${label}: series`).toEqual(Object.fromEntries(want.byDate));
  const pick = (rows: any[], id: string) =>
    rows.map((r) => ({ id: r[id], requests: r.requests, costMicros: r.costMicros })).sort((a, b) => b.costMicros - a.costMicros || a.id.localeCompare(b.id));
  expect(pick(view.byKey, 'keyId'), `${label}: byKey`).toEqual(sorted(want.byKey));
  expect(pick(view.byModel, 'model'), `${label}: byModel`).toEqual(sorted(want.byModel));
  expect(pick(view.byProject, 'projectId'), `${label}: byProject`).toEqual(sorted(want.byProject));
  expect(pick(view.byTag, 'tag'), `${label}: byTag`).toEqual(sorted(want.byTag));
  expect(pick(view.byEndUser, 'endUser'), `${label}: byEndUser`).toEqual(sorted(want.byEndUser));
  // Per-key series add up to the overall series, bucket by bucket.
  for (const [i, p] of view.series.entries()) {
    expect(
      view.byKey.reduce((a: number, k: any) => a + k.series[i].costMicros, 0),
      `${label}: key series at ${i}`,
    ).toBe(p.costMicros);
  }
}

describe('analytics in any zone', () => {
  it('equal a recount in the view’s zone, in local days of other zones and over ranges that start anywhere, across DST', async () => {
    const world = await createWorld();
    const auth = `Bearer ${world.managementKey}`;
    await callJson('/api/account/calendar', { method: 'PUT', auth, expect: 200, json: { timezone: ORG_ZONE } });
    const now = Date.now();
    // 50 days back reaches past Europe's and North America's autumn DST changes when run in December.
    const events = makeEvents(world.accountId, now, 50, 1500, 7);
    await insertEvents(world.accountId, events);
    const cases: Array<{ tz: string; from: number; resolution: string }> = [];
    const quarter = (ms: number) => Math.floor(ms / SLOT_MS) * SLOT_MS;
    for (const tz of ['Asia/Kathmandu', 'America/Los_Angeles', 'Asia/Kolkata', 'Pacific/Chatham', 'Pacific/Kiritimati', 'UTC']) {
      const local = new LocalClock(tz);
      // A view from a local midnight 45 days ago, and from a quarter hour that is no midnight.
      cases.push({ tz, from: local.dayStart(now - 45 * DAY_MS), resolution: 'day+15m' });
      cases.push({ tz, from: quarter(now - 33 * DAY_MS) + 7 * SLOT_MS, resolution: 'day+15m' });
    }
    const own = new LocalClock(ORG_ZONE);
    cases.push({ tz: ORG_ZONE, from: own.dayStart(now - 45 * DAY_MS), resolution: 'day' });
    cases.push({ tz: ORG_ZONE, from: quarter(now - 45 * DAY_MS) + 3 * SLOT_MS, resolution: 'day+15m' });
    for (const c of cases) {
      const label = `${c.tz} from ${new Date(c.from).toISOString()}`;
      const view = await callJson(`/api/account/analytics?tz=${encodeURIComponent(c.tz)}&from=${new Date(c.from).toISOString()}`, { auth, expect: 200 });
      expect(view.resolution, label).toBe(c.resolution);
      expectView(view, expected(events, c.tz, c.from, now + 1), label);
    }
    // A range that ends in the past, with filters.
    const to = quarter(now - 5 * DAY_MS) + 5 * SLOT_MS;
    const from = new LocalClock('Asia/Kathmandu').dayStart(now - 20 * DAY_MS);
    const filtered = await callJson(
      `/api/account/analytics?tz=Asia/Kathmandu&from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}&model=m-mid&tag=feature%3Df1`,
      { auth, expect: 200 },
    );
    const want = expected(
      events.filter((e) => e.model === 'm-mid' && e.tags?.feature === 'f1'),
      'Asia/Kathmandu',
      from,
      to,
    );
    expect(filtered.resolution).toBe('day+15m');
    expect(filtered.totals).toEqual(want.totals);
    expect(filtered.byEndUser).toEqual([]);
  });

  it('give the usage list totals exact to the millisecond: whole slots from the rollups, each partial end from its events', async () => {
    const world = await createWorld();
    const auth = `Bearer ${world.managementKey}`;
    const now = Date.now();
    const events = makeEvents(world.accountId, now, 10, 600, 23);
    await insertEvents(world.accountId, events);
    const r = random(5);
    for (let i = 0; i < 8; i++) {
      // Ends anywhere inside a slot, including ranges inside one slot.
      const from = now - Math.floor(r() * 10 * DAY_MS);
      const to = i === 0 ? from + 60_000 : from + Math.floor(r() * (now - from)) + 1;
      const model = i % 3 === 0 ? 'm-mid' : undefined;
      const query = new URLSearchParams({ from: String(from), to: String(to), limit: '1', ...(model ? { model } : {}) });
      const list = await callJson(`/api/account/usage?${query}`, { auth, expect: 200 });
      const want = events.filter((e) => e.at >= from && e.at < to && (!model || e.model === model));
      expect(list.totals, `range ${i}`).toEqual({
        requests: want.length,
        inputTokens: want.reduce((a, e) => a + e.input, 0),
        outputTokens: want.reduce((a, e) => a + e.output, 0),
        costMicros: want.reduce((a, e) => a + e.cost, 0),
      });
    }
  });

  it('prune 15-minute rollups past the horizon, a day per step, and the daily rollups still answer the old days', async () => {
    const world = await createWorld();
    const auth = `Bearer ${world.managementKey}`;
    await callJson('/api/account/calendar', { method: 'PUT', auth, expect: 200, json: { timezone: ORG_ZONE } });
    const now = Date.now();
    // Events over 80 days: the last 64 keep their slots.
    const events = makeEvents(world.accountId, now, 80, 800, 11);
    await insertEvents(world.accountId, events);
    const horizon = slotHorizon(env, now);
    const count = async (table: string, where: string) =>
      (await env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE account_id = ?1 AND ${where}`).bind(world.accountId).first<{ n: number }>())?.n ?? 0;
    const oldSlots = () => count('usage_rollup', `slot < ${horizon}`);
    expect(await oldSlots()).toBeGreaterThan(0);
    const keptBefore = await count('usage_rollup', `slot >= ${horizon}`);
    const daysBefore = await count('usage_rollup_local_days', '1 = 1');
    // Bounded steps: a first run of two days leaves more for the next.
    const first = await pruneRollups(env, { now, maxSteps: 2 });
    expect(first.more).toBe(true);
    expect(first.slots).toBeLessThanOrEqual(2 * 96);
    let run = first;
    while (run.more) run = await pruneRollups(env, { now });
    for (const table of ['usage_rollup', 'usage_rollup_tags', 'usage_rollup_end_users', 'usage_rollup_accounts'])
      expect(await count(table, `slot < ${horizon}`), table).toBe(0);
    expect(await count('usage_rollup', `slot >= ${horizon}`)).toBe(keptBefore);
    expect(await count('usage_rollup_local_days', '1 = 1')).toBe(daysBefore);
    // Idempotent: nothing left to do.
    expect(await pruneRollups(env, { now })).toEqual({ slots: 0, rows: 0, more: false });
    // The organisation's own days, 80 days back, still equal the recount.
    const from = new LocalClock(ORG_ZONE).dayStart(now - 79 * DAY_MS);
    const view = await callJson(`/api/account/analytics?tz=${ORG_ZONE}&from=${new Date(from).toISOString()}`, { auth, expect: 200 });
    expect(view.resolution).toBe('day');
    expectView(view, expected(events, ORG_ZONE, from, now + 1), 'own zone, 80 days');
    // Another zone within the horizon is still exact; past it, the old boundaries keep the organisation's midnights.
    const recent = new LocalClock('Asia/Kathmandu').dayStart(now - 30 * DAY_MS);
    const exact = await callJson(`/api/account/analytics?tz=Asia/Kathmandu&from=${new Date(recent).toISOString()}`, { auth, expect: 200 });
    expectView(exact, expected(events, 'Asia/Kathmandu', recent, now + 1), 'Kathmandu, 30 days');
    const gone = await prunedBefore(env.DB);
    expect(gone).toBe(horizon);
    const oldFrom = new LocalClock('Asia/Kathmandu').dayStart(now - 79 * DAY_MS);
    const old = await callJson(`/api/account/analytics?tz=Asia/Kathmandu&from=${new Date(oldFrom).toISOString()}`, { auth, expect: 200 });
    expect(old.resolution).toBe('day+15m');
    // The buckets before the watermark count the organisation's days (Berlin's midnights); those after it are exact.
    const inKathmandu = expected(events, 'Asia/Kathmandu', oldFrom, now + 1);
    const berlinDate = new Intl.DateTimeFormat('en-CA', { timeZone: ORG_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' });
    for (const p of old.series) {
      const date = inKathmandu.date.format(p.t);
      if (p.t >= gone * SLOT_MS + DAY_MS) expect(p.costMicros, date).toBe(inKathmandu.byDate.get(date)?.costMicros ?? 0);
      else if (p.t > oldFrom + DAY_MS && p.t < gone * SLOT_MS - DAY_MS) {
        // Kathmandu's date d maps to Berlin's date d (the nearest midnight is 4:45 later).
        const berlin = events.filter((e) => berlinDate.format(e.at) === date).reduce((a, e) => a + e.cost, 0);
        expect(p.costMicros, `${date} in Berlin's days`).toBe(berlin);
      }
    }
    // The range starts at Berlin's midnight nearest to Kathmandu's (the next one, 3:45 later in September).
    const berlin = new LocalClock(ORG_ZONE);
    const start = berlin.dayStart(berlin.dayStart(oldFrom) + 36 * 3_600_000);
    expect(start - oldFrom).toBeLessThan(12 * 3_600_000);
    expect(old.totals.requests).toBe(events.filter((e) => e.at >= start).length);
  });
});
