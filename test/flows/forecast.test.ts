/**
 * Forecasts (issue 13, item 5): `GET /api/account/forecast` on a known synthetic history written
 * through the real rollup path (usage_events rows, whose triggers fill the daily rollups), the
 * predicted-breach alert raised once per budget and window, tenant isolation and roles.
 */
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { raiseForecastAlerts } from '../../worker/analytics/forecast-alerts';
import type { Env } from '../../worker/env';
import { call, callJson, createWorld, drainAlarms, installOrigin, settled, type World } from '../helpers';
import { invitedMember, signedInUser } from '../session';

const DAY_MS = 86_400_000;
const PER_DAY = 100_000;

afterEach(() => vi.restoreAllMocks());

/** 28 complete UTC days of `PER_DAY` on the world's key, as the outbox flush writes events (UTC is the default calendar). */
async function flatHistory(w: World, perDay = PER_DAY): Promise<void> {
  const today = Math.floor(Date.now() / DAY_MS);
  const insert = env.DB.prepare(
    `INSERT INTO usage_events (id, account_id, key_id, project_id, service_id, model, endpoint, input_tokens, output_tokens, cost_micros,
       price_version, latency_ms, ttft_ms, status, estimated, created_at, tz, local_day) VALUES (?1, ?2, ?3, 'proj_default', ?4, ?5, 'chat', 1, 1, ?6, 1, 5, NULL, 'ok', 0, ?7, 'UTC', ?8)`,
  );
  await env.DB.batch(
    Array.from({ length: 28 }, (_, i) => {
      const day = today - 28 + i;
      return insert.bind(`${w.accountId}-fc-${i}`, w.accountId, w.keyId, w.serviceId, w.model, perDay, day * DAY_MS + 3_600_000, day);
    }),
  );
}

const mgmt = (w: World) => `Bearer ${w.managementKey}`;
const budget = (w: World, body: Record<string, unknown>) => callJson('/api/account/budgets', { method: 'POST', auth: mgmt(w), json: body, expect: 201 });

/** What the rest of today is forecast at, at a flat pace, given the instant the route read it (± 1 µUSD of clock drift). */
function restOfToday(at: number, perDay = PER_DAY): number {
  const start = Math.floor(at / DAY_MS) * DAY_MS;
  return Math.ceil((perDay * (start + DAY_MS - at)) / DAY_MS);
}

describe('GET /api/account/forecast', () => {
  it('projects a flat history: the runway, a month budget’s end-of-window figure, scoped budgets and their methods', async () => {
    installOrigin();
    const w = await createWorld({ balanceMicros: 10_000_000 });
    await flatHistory(w);
    const month = await budget(w, { name: 'monthly', scope: 'organization', amountMicros: 1_000_000_000, window: 'month' });
    const key = await budget(w, { name: 'key cap', scope: 'key', keyId: w.keyId, amountMicros: 1, window: 'day', action: 'alert' });
    const { project } = await callJson('/api/account/projects', { method: 'POST', auth: mgmt(w), json: { name: 'quiet' }, expect: 201 });
    const quiet = await budget(w, { name: 'quiet', scope: 'project', projectId: project.id, amountMicros: 1_000, window: 'week' });
    const users = await budget(w, { name: 'per user', scope: 'end_user', amountMicros: 1_000_000, window: 'day' });
    // One real request, so the month budget has spent something in its window.
    await w.client.chat.completions.create({ model: w.model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 4, user: 'u1' });
    await settled(w.accountId);
    await drainAlarms(w.accountId);
    const balance = (await callJson('/api/account', { auth: mgmt(w), expect: 200 })).account.balanceMicros as number;

    const before = Date.now();
    const f = await callJson('/api/account/forecast', { auth: mgmt(w), expect: 200 });
    const after = Date.now();
    expect(f).toMatchObject({ model: 'weekday', level: 1, timezone: 'UTC', method: expect.stringContaining('median') });
    expect(f.history).toHaveLength(28);
    expect(f.history.every((d: { costMicros: number }) => d.costMicros === PER_DAY)).toBe(true);
    expect(f.projection[1]).toEqual({ date: new Date((Math.floor(before / DAY_MS) + 1) * DAY_MS).toISOString().slice(0, 10), costMicros: PER_DAY });
    expect(f.runway.dailyPaceMicros).toBe(PER_DAY);
    expect(f.runway.balanceMicros).toBe(balance);
    // The balance less the rest of today, at 100,000 a day.
    const days = [before, after].map((at) => Math.ceil((balance - restOfToday(at)) / PER_DAY));
    expect(days).toContain(f.runway.days);
    expect(f.runway.runsOutOn).toBe(new Date((Math.floor(before / DAY_MS) + f.runway.days) * DAY_MS).toISOString().slice(0, 10));

    const byId = new Map(f.budgets.map((b: { budgetId: string }) => [b.budgetId, b]));
    const m = byId.get(month.budget.id) as Record<string, any>;
    const d = new Date(before);
    const monthEnd = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    const fullDays = monthEnd / DAY_MS - Math.floor(before / DAY_MS) - 1;
    expect(m.spentMicros).toBeGreaterThan(0);
    expect([before, after].map((at) => m.spentMicros + restOfToday(at) + fullDays * PER_DAY)).toContain(m.projectedMicros);
    expect(m).toMatchObject({ predictedBreach: false, breachOn: null, method: 'scope_history', resetsAt: monthEnd });
    // Already past its amount (an alert-only budget): breached today.
    expect(byId.get(key.budget.id)).toMatchObject({ predictedBreach: true, method: 'scope_history', breachOn: f.today });
    // A project with no history is forecast to spend nothing more.
    expect(byId.get(quiet.budget.id)).toMatchObject({ spentMicros: 0, projectedMicros: 0, predictedBreach: false, method: 'scope_history' });
    // End users are projected from their spend so far by the organisation's ratio.
    expect(byId.get(users.budget.id)).toMatchObject({ endUser: 'u1', method: 'organization_ratio', predictedBreach: false });
  });

  it('is the admins’ and owners’ to read (it is the whole organisation’s money), and no other organisation’s', async () => {
    const owner = await signedInUser('fc-owner');
    owner.browser.org = owner.me.account.id;
    const viewer = await invitedMember(owner.browser, 'viewer');
    expect((await viewer.browser.fetch('/api/account/forecast')).status).toBe(403);
    const developer = await invitedMember(owner.browser, 'developer');
    expect((await developer.browser.fetch('/api/account/forecast')).status).toBe(403);
    const seen = await owner.browser.json('/api/account/forecast', { expect: 200 });
    expect(seen).toMatchObject({ model: 'none', history: [], budgets: [], runway: { dailyPaceMicros: 0 } });
    const stranger = await signedInUser('fc-stranger');
    const res = await stranger.browser.fetch('/api/account/forecast', { headers: { 'x-gateway-organization': owner.me.account.id } });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { param?: string } }).error.param).toBe('x-gateway-organization');
    expect((await call('/api/account/forecast')).status).toBe(401);
    const doc = await callJson('/api/openapi.json', { expect: 200 });
    expect(doc.paths['/api/account/forecast'].get['x-gateway-role']).toBe('admin');
  });

  it('shows each organisation only its own history and budgets', async () => {
    const mine = await createWorld();
    const theirs = await createWorld();
    await flatHistory(theirs);
    await budget(theirs, { name: 'theirs', scope: 'organization', amountMicros: 1_000, window: 'month' });
    const f = await callJson('/api/account/forecast', { auth: mgmt(mine), expect: 200 });
    expect(f.history).toEqual([]);
    expect(f.budgets).toEqual([]);
    expect(f.runway.dailyPaceMicros).toBe(0);
  });
});

describe('raiseForecastAlerts', () => {
  it('raises one alert per budget and window, and queues it once per channel however often it runs', async () => {
    const w = await createWorld();
    await flatHistory(w);
    const { budget: b } = await budget(w, { name: 'team cap', scope: 'organization', amountMicros: 1_000, window: 'month' });
    const { channel } = await callJson('/api/account/notification-channels', {
      method: 'POST',
      auth: mgmt(w),
      json: { kind: 'webhook', name: 'ops', target: 'https://hooks.test/forecast', events: ['budget.forecast'] },
      expect: 201,
    });
    await callJson('/api/account/notification-channels', {
      method: 'POST',
      auth: mgmt(w),
      json: { kind: 'webhook', name: 'thresholds only', target: 'https://hooks.test/other', events: ['budget.threshold'] },
      expect: 201,
    });
    const first = await raiseForecastAlerts(env as unknown as Env, Date.now());
    const second = await raiseForecastAlerts(env as unknown as Env, Date.now());
    expect(first.alerts).toBeGreaterThanOrEqual(1);
    expect(second.alerts).toBe(0);
    const { alerts } = await callJson('/api/account/alerts', { auth: mgmt(w), expect: 200 });
    const forecast = alerts.filter((a: { type: string }) => a.type === 'budget.forecast');
    expect(forecast).toHaveLength(1);
    expect(forecast[0]).toMatchObject({
      id: `alr_forecast:${b.id}:${b.windowStart}`,
      budgetId: b.id,
      windowStart: b.windowStart,
      amountMicros: 1_000,
      details: { method: 'scope_history', dailyPaceMicros: PER_DAY, model: 'weekday' },
    });
    expect(forecast[0].message).toMatch(
      /^At this pace the budget 'team cap' \(\$0\.001 a month\) runs out on \d{1,2} [A-Z][a-z]+, before its window ends on 1 [A-Z][a-z]+\.$/,
    );
    const deliveries = await env.DB.prepare('SELECT channel_id FROM notification_deliveries WHERE event_id = ?')
      .bind(forecast[0].id)
      .all<{ channel_id: string }>();
    expect(deliveries.results.map((r) => r.channel_id)).toEqual([channel.id]);
  });
});
