/**
 * Daily anomalies end to end: usage events through the real rollup triggers, the hourly job
 * recording each anomaly and its alert once (deliveries once per channel), the list with the
 * numbers behind it, the thresholds with their bounds, roles and tenant isolation, and resolving a
 * paused key-spend anomaly resuming its key.
 */
import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { detectDailyAnomalies } from '../../worker/analytics/anomalies-job';
import type { Env } from '../../worker/env';
import { alertId } from '../../worker/notifications/alerts';
import { accountStub, call, createWorld } from '../helpers';
import { type Browser, invitedMember, signedInUser } from '../session';

const DAY_MS = 86_400_000;
/** runInDurableObject, reaching the object's private books (its full type is too deep for tsc here). */
const inObject = runInDurableObject as unknown as (stub: unknown, fn: (object: any) => void) => Promise<void>;
const detect = (now: number) => detectDailyAnomalies(env as unknown as Env, now);
const TZ = 'Europe/Berlin';
/** 11:00 in Berlin on 4 December 2026: the last complete local day is 3 December. */
const NOW = Date.parse('2026-12-04T10:00:00Z');
const LAST_DAY = Date.UTC(2026, 11, 3) / DAY_MS;

let serial = 0;
/**
 * Writes `requests` usage events costing `costEach` µUSD on a local day (day number) of Berlin,
 * stamped as the account object stamps them, so the triggers fill the daily rollups.
 */
async function day(accountId: string, dayNumber: number, requests: number, costEach: number): Promise<void> {
  // Noon UTC of the date is 13:00 in Berlin, inside that local day.
  const at = dayNumber * DAY_MS + 12 * 3_600_000;
  const rows = Array.from({ length: requests }, (_, i) => {
    serial += 1;
    return `('req_anom_${serial}', '${accountId}', 'key_a', 'svc_test', 'model-a', 'chat', 10, 5, ${costEach}, 1, 50, NULL, 'ok', 0, ${at + i}, '${TZ}', ${dayNumber})`;
  });
  await env.DB.prepare(
    `INSERT INTO usage_events (id, account_id, key_id, service_id, model, endpoint, input_tokens, output_tokens, cost_micros, price_version, latency_ms,
     ttft_ms, status, estimated, created_at, tz, local_day) VALUES ${rows.join(', ')}`,
  ).run();
}

/**
 * 19 days alternating $5 and $15 (10 requests each; mean $10, σ $5, so no outlier), then on 3
 * December $9 for the same 10 requests: cost and cost per request up 80 % on 2 December's $5.
 */
async function jumpHistory(accountId: string): Promise<void> {
  for (let d = LAST_DAY - 19; d < LAST_DAY; d++) await day(accountId, d, 10, (LAST_DAY - d) % 2 ? 500_000 : 1_500_000);
  await day(accountId, LAST_DAY, 10, 900_000);
}

async function owner(label: string): Promise<{ browser: Browser; accountId: string }> {
  const { browser, me } = await signedInUser(label);
  return { browser, accountId: me.account.id };
}

const anomaliesOf = async (accountId: string) =>
  (await env.DB.prepare('SELECT * FROM anomalies WHERE account_id = ? ORDER BY kind').bind(accountId).all<Record<string, any>>()).results;

describe('daily anomalies', () => {
  it('records a cost-per-request jump once, with one alert and one delivery per channel, however often the job runs', async () => {
    const { browser, accountId } = await owner('anomaly-jump');
    for (const name of ['hook a', 'hook b'])
      await browser.json('/api/account/notification-channels', {
        method: 'POST',
        csrf: true,
        json: { kind: 'webhook', name, target: `https://hooks.test/${name.replace(' ', '-')}` },
        expect: 201,
      });
    // A channel that does not take anomaly alerts is not queued.
    await browser.json('/api/account/notification-channels', {
      method: 'POST',
      csrf: true,
      json: { kind: 'webhook', name: 'budgets only', target: 'https://hooks.test/budgets', events: ['budget.threshold'] },
      expect: 201,
    });
    await jumpHistory(accountId);

    await detect(NOW);
    await detect(NOW + 3_600_000);

    const rows = await anomaliesOf(accountId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      kind: 'daily_jump',
      day: '2026-12-03',
      observed_micros: 9_000_000,
      baseline_micros: 5_000_000,
      threshold_micros: 7_500_000,
      requests: 10,
      baseline_requests: 10,
      action: 'alerted',
      status: 'open',
      dedupe_key: `daily_jump:${accountId}:2026-12-03`,
      // Berlin's 3 December: 23:00 UTC on the 2nd to 23:00 UTC on the 3rd.
      window_start: Date.parse('2026-12-02T23:00:00Z'),
      window_end: Date.parse('2026-12-03T23:00:00Z'),
    });
    const alerts = (await env.DB.prepare("SELECT * FROM alerts WHERE account_id = ? AND type = 'anomaly.daily'").bind(accountId).all<Record<string, any>>())
      .results;
    expect(alerts).toHaveLength(1);
    expect(alerts[0].message).toBe(
      'Cost on 3 December was $9.00, up 80 % on the day before ($5.00) while requests changed 0 %: cost per request went from $0.50 to $0.90 (alert above 50 %).',
    );
    expect(JSON.parse(alerts[0].details)).toMatchObject({
      kind: 'daily_jump',
      observedMicros: 9_000_000,
      thresholdMicros: 7_500_000,
      costPerRequestChangePercent: 80,
    });
    const deliveries = await env.DB.prepare('SELECT channel_id FROM notification_deliveries WHERE event_id = ?')
      .bind(alertId(`anomaly:daily_jump:${accountId}:2026-12-03`))
      .all();
    expect(deliveries.results).toHaveLength(2);

    const list = await browser.json('/api/account/anomalies', { expect: 200 });
    expect(list.anomalies).toHaveLength(1);
    expect(list.anomalies[0]).toMatchObject({
      kind: 'daily_jump',
      day: '2026-12-03',
      observedMicros: 9_000_000,
      baselineMicros: 5_000_000,
      thresholdMicros: 7_500_000,
      requests: 10,
      baselineRequests: 10,
      status: 'open',
      keyName: null,
    });
    expect(list.anomalies[0].details).toMatchObject({ jumpPercent: 50, costChangePercent: 80, requestsChangePercent: 0 });
    expect((await browser.json('/api/account/anomalies?status=resolved', { expect: 200 })).anomalies).toHaveLength(0);

    const { anomaly, resumed } = await browser.json(`/api/account/anomalies/${list.anomalies[0].id}/resolve`, { method: 'POST', csrf: true, expect: 200 });
    expect(resumed).toBe(false);
    expect(anomaly).toMatchObject({ status: 'resolved', resolvedBy: expect.any(String) });
    expect((await browser.json('/api/account/anomalies?status=open', { expect: 200 })).anomalies).toHaveLength(0);
    // A write without the CSRF token is refused, like every session write.
    expect((await browser.fetch(`/api/account/anomalies/${anomaly.id}/resolve`, { method: 'POST' })).status).toBe(403);
  });

  it('flags a spike beyond 2σ of the trailing 14 days when traffic, not price, grew', async () => {
    const { browser, accountId } = await owner('anomaly-outlier');
    for (let d = LAST_DAY - 19; d < LAST_DAY; d++) await day(accountId, d, 10, (LAST_DAY - d) % 2 ? 900_000 : 1_100_000);
    // Three times the requests at the usual price: $30 against a mean of $10 with σ $1.
    await day(accountId, LAST_DAY, 30, 1_000_000);
    await detect(NOW);
    const rows = await anomaliesOf(accountId);
    expect(rows.map((r) => r.kind)).toEqual(['daily_outlier']);
    expect(rows[0]).toMatchObject({
      observed_micros: 30_000_000,
      baseline_micros: 10_000_000,
      threshold_micros: 12_000_000,
      requests: 30,
      baseline_requests: 10,
    });
    const { anomalies } = await browser.json('/api/account/anomalies', { expect: 200 });
    expect(anomalies[0].details).toMatchObject({ historyDays: 14, stdDevMicros: 1_000_000, observedSigmas: 20 });
  });

  it('records nothing when the daily detectors are switched off, and nothing before the day has ended', async () => {
    const { browser, accountId } = await owner('anomaly-off');
    await jumpHistory(accountId);
    // 23:30 in Berlin on 3 December: that day is not over, and 2 December was ordinary.
    await detect(Date.parse('2026-12-03T22:30:00Z'));
    expect(await anomaliesOf(accountId)).toHaveLength(0);
    const { settings } = await browser.json('/api/account/anomaly-settings', { expect: 200 });
    await browser.json('/api/account/anomaly-settings', {
      method: 'PUT',
      csrf: true,
      json: { ...settings, daily: { ...settings.daily, enabled: false } },
      expect: 200,
    });
    await detect(NOW);
    expect(await anomaliesOf(accountId)).toHaveLength(0);
  });

  it('round-trips the thresholds and refuses out-of-bounds values naming the field', async () => {
    const { browser } = await owner('anomaly-settings');
    const { settings } = await browser.json('/api/account/anomaly-settings', { expect: 200 });
    expect(settings.daily).toEqual({ enabled: true, jumpPercent: 50, sigma: 2, minDayMicros: 1_000_000 });
    const next = {
      keySpend: { ...settings.keySpend, multiplier: 6, pauseKeys: true },
      daily: { enabled: true, jumpPercent: 80, sigma: 3, minDayMicros: 5_000_000 },
    };
    expect((await browser.json('/api/account/anomaly-settings', { method: 'PUT', csrf: true, json: next, expect: 200 })).settings).toEqual(next);
    expect((await browser.json('/api/account/anomaly-settings', { expect: 200 })).settings).toEqual(next);
    for (const [field, patch] of [
      ['keySpend.multiplier', { keySpend: { ...next.keySpend, multiplier: 1.2 } }],
      ['keySpend.floorMicros', { keySpend: { ...next.keySpend, floorMicros: 10 ** 13 } }],
      ['daily.jumpPercent', { daily: { ...next.daily, jumpPercent: 5 } }],
      ['daily.sigma', { daily: { ...next.daily, sigma: 11 } }],
      ['daily.minDayMicros', { daily: { ...next.daily, minDayMicros: -1 } }],
    ] as const) {
      const res = await browser.json('/api/account/anomaly-settings', { method: 'PUT', csrf: true, json: { ...next, ...patch }, expect: 400 });
      expect(res.error.param).toBe(field);
    }
  });

  it('keeps anomalies to their organisation and resolving and settings to admins', async () => {
    const a = await owner('anomaly-tenant-a');
    const b = await owner('anomaly-tenant-b');
    await jumpHistory(a.accountId);
    await detect(NOW);
    const [row] = await anomaliesOf(a.accountId);
    const res = await b.browser.json(`/api/account/anomalies/${row.id}/resolve`, { method: 'POST', csrf: true, expect: 404 });
    expect(res.error.code).toBe('not_found');
    expect((await b.browser.json('/api/account/anomalies', { expect: 200 })).anomalies).toHaveLength(0);
    // A session naming an organisation it is not in finds nothing there.
    expect((await b.browser.fetch('/api/account/anomalies', { headers: { 'x-gateway-organization': a.accountId } })).status).toBe(404);

    const viewer = await invitedMember(a.browser, 'viewer');
    await viewer.browser.me();
    expect((await viewer.browser.json('/api/account/anomalies', { expect: 200 })).anomalies).toHaveLength(1);
    await viewer.browser.json(`/api/account/anomalies/${row.id}/resolve`, { method: 'POST', csrf: true, expect: 403 });
    const { settings } = await viewer.browser.json('/api/account/anomaly-settings', { expect: 200 });
    await viewer.browser.json('/api/account/anomaly-settings', { method: 'PUT', csrf: true, json: settings, expect: 403 });
    expect((await anomaliesOf(a.accountId))[0].status).toBe('open');
  });

  it('resumes a paused key when its spend anomaly is resolved', async () => {
    const w = await createWorld();
    const stub = accountStub(w.accountId);
    // Pause the key as the real-time detector does, inside the object.
    await inObject(stub, (object) => {
      object.keys.pause(object.sql, w.keyId, Date.now(), 'Paused by a spend anomaly.');
      object.keys.persist(object.sql);
    });
    expect((await stub.getKey(w.keyId))?.pausedAt).not.toBeNull();
    const now = Date.now();
    await env.DB.prepare(
      `INSERT INTO anomalies (id, account_id, kind, key_id, window_start, window_end, observed_micros, baseline_micros, threshold_micros, requests,
       details, action, status, dedupe_key, created_at) VALUES ('anm_paused', ?1, 'key_spend', ?2, ?3, ?4, 9000000, 100000, 2000000, 40, '{}', 'paused', 'open', ?5, ?3)`,
    )
      .bind(w.accountId, w.keyId, now - 300_000, now, `key_spend:${w.keyId}:test`)
      .run();
    const auth = `Bearer ${w.managementKey}`;
    const list = (await (await call('/api/account/anomalies', { auth })).json()) as Record<string, any>;
    expect(list.anomalies[0]).toMatchObject({ id: 'anm_paused', keyName: 'test key', action: 'paused' });
    const res = await call('/api/account/anomalies/anm_paused/resolve', { method: 'POST', auth });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ resumed: true, anomaly: { status: 'resolved' } });
    expect((await stub.getKey(w.keyId))?.pausedAt).toBeNull();
  });
});
