/**
 * `npm start`'s demo history (issue 13 item 7): ~60 days of usage through the rollup triggers, the
 * journal debited for exactly that, one anomalous day, the monthly budget near its threshold,
 * imported once, and no route at all unless DEMO_HISTORY=1 on a local deployment.
 */
import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { seedDemo } from '../../scripts/lib/seed.mjs';
import { budgetNearThreshold } from '../../scripts/lib/seed-history.mjs';
import type { Env } from '../../worker/env';
import worker from '../../worker/index';
import { reconcile } from '../../worker/payments/reconcile';
import { ADMIN, callJson, drainAlarms, installOrigin, ORIGIN_URL } from '../helpers';
import { freshIp } from '../session';

const demoEnv = { ...env, DEMO_HISTORY: '1' } as unknown as Env;
/** The seed's fetch, into a worker whose env has DEMO_HISTORY=1 (as npm start's .dev.vars does). */
function seedFetch(): typeof fetch {
  const ip = freshIp();
  return ((input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    request.headers.set('cf-connecting-ip', ip);
    return Promise.resolve(worker.fetch(request, demoEnv, createExecutionContext()));
  }) as typeof fetch;
}
const options = {
  gatewayUrl: 'http://gateway.test',
  dashboardUrl: 'http://dashboard.test',
  adminToken: env.ADMIN_TOKEN as string,
  originUrl: ORIGIN_URL,
  adminEmail: 'seed-admin@example.test',
  userEmail: 'seed-history@example.test',
};

async function usageFigures(accountId: string) {
  const days = await env.DB.prepare('SELECT day, requests, cost_micros FROM usage_rollup_days WHERE account_id = ? ORDER BY day')
    .bind(accountId)
    .all<{ day: number; requests: number; cost_micros: number }>();
  const entries = await env.DB.prepare(
    "SELECT COUNT(*) AS n, COALESCE(SUM(amount_micros), 0) AS total FROM journal_entries WHERE account_id = ? AND idempotency_key LIKE 'demo-history:%'",
  )
    .bind(accountId)
    .first<{ n: number; total: number }>();
  return { days: days.results, entries };
}

describe('demo history (npm start)', () => {
  it('answers 404 unless DEMO_HISTORY=1 on a LOCAL_DEV deployment, even to the admin', async () => {
    const { account } = await callJson('/api/admin/accounts', { method: 'POST', auth: ADMIN, json: { name: 'No history' }, expect: 201 });
    const post = (vars: Record<string, string | undefined>, auth?: string) =>
      worker.fetch(
        new Request(`http://gateway.test/api/admin/demo/${account.id}/history`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
          body: JSON.stringify({ models: ['demo-llm'] }),
        }),
        { ...env, ...vars } as unknown as Env,
        createExecutionContext(),
      );
    expect((await post({ DEMO_HISTORY: undefined }, ADMIN)).status).toBe(404);
    expect((await post({ DEMO_HISTORY: '1', LOCAL_DEV: undefined }, ADMIN)).status).toBe(404);
    expect((await post({ DEMO_HISTORY: '1' })).status).toBe(401);
    const { n } = (await env.DB.prepare('SELECT COUNT(*) AS n FROM usage_events WHERE account_id = ?').bind(account.id).first<{ n: number }>()) ?? {};
    expect(n).toBe(0);
  });

  it('seeds ~60 days through the rollups, debits the journal for exactly that, and imports it once', async () => {
    installOrigin({ apiKey: undefined }); // the demo services use DEMO_ORIGIN_KEY, which tests do not set
    const started = Date.now();
    const demo = await seedDemo({ ...options, fetch: seedFetch() });
    const history = demo.history;
    if (!history) throw new Error('the seed skipped the history');
    expect(history.imported).toBe(true);
    expect(history.lastDay - history.firstDay).toBe(59);
    expect(history.events).toBeGreaterThan(10_000);
    expect(history.events).toBeLessThan(40_000);
    await drainAlarms(demo.accountId);
    const before = await usageFigures(demo.accountId);

    // Every history day is in the daily rollup, weekdays busier than weekends.
    const byDay = new Map(before.days.map((d) => [d.day, d]));
    const filled = before.days.filter((d) => d.day >= history.firstDay && d.day <= history.lastDay);
    expect(filled).toHaveLength(60);
    expect(filled.reduce((sum, d) => sum + d.cost_micros, 0)).toBe(history.totalMicros);
    const weekday = (d: number) => new Date(d * 86_400_000).getUTCDay();
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(filled.filter((d) => weekday(d.day) % 6 !== 0).map((d) => d.requests))).toBeGreaterThan(
      2 * mean(filled.filter((d) => weekday(d.day) % 6 === 0).map((d) => d.requests)),
    );

    // The spike: cost per request about triples on one day while requests stay flat (a week earlier, same weekday).
    const spike = byDay.get(history.spikeDay);
    const weekBefore = byDay.get(history.spikeDay - 7);
    if (!spike || !weekBefore) throw new Error('no rollup for the spike day');
    const perRequest = (d: { requests: number; cost_micros: number }) => d.cost_micros / d.requests;
    expect(perRequest(spike) / perRequest(weekBefore)).toBeGreaterThan(2.2);
    expect(spike.requests / weekBefore.requests).toBeGreaterThan(0.75);
    expect(spike.requests / weekBefore.requests).toBeLessThan(1.35);
    // The daily detectors judged every history day as the hourly job would have: the spike is listed.
    const spikeDate = new Date(history.spikeDay * 86_400_000).toISOString().slice(0, 10);
    const { results: found } = await env.DB.prepare('SELECT kind, day FROM anomalies WHERE account_id = ?')
      .bind(demo.accountId)
      .all<{ kind: string; day: string }>();
    expect(found.filter((a) => a.day === spikeDate).map((a) => a.kind)).toContain('daily_outlier');

    // The books: a credit of exactly the history's cost and one debit per day, so the balance is
    // unchanged and reconciliation (usage, mirror, double-entry balance) finds nothing.
    expect(before.entries).toEqual({ n: 61, total: 0 });
    const report = await reconcile(env as unknown as Env);
    expect(report.alerts.filter((a) => a.accountId === demo.accountId)).toEqual([]);
    const balance = (await callJson(`/api/admin/accounts/${demo.accountId}`, { auth: ADMIN, expect: 200 })).account.balanceMicros;
    expect(balance).toBeGreaterThan(9_900_000);

    // The monthly organisation budget counts the month's history, near its 80 % threshold.
    const { budget } = await callJson(`/api/account/budgets/${demo.budgets.organization}`, {
      auth: `Bearer ${demo.managementKey}`,
      expect: 200,
    });
    const expected = budgetNearThreshold(history, started);
    if (expected !== null) {
      expect(budget.amountMicros).toBe(expected);
      expect(budget.usage[0].spentMicros).toBeGreaterThanOrEqual(history.monthToDateMicros);
      expect(budget.usage[0].spentMicros / budget.amountMicros).toBeGreaterThanOrEqual(0.8);
      expect(budget.usage[0].spentMicros / budget.amountMicros).toBeLessThan(0.96);
    }

    // A second seed finds the history and adds nothing.
    const again = await seedDemo({ ...options, fetch: seedFetch() });
    expect(again.history).toMatchObject({ imported: false, alreadyImported: true, totalMicros: history.totalMicros });
    await drainAlarms(demo.accountId);
    const after = await usageFigures(demo.accountId);
    expect(after.entries).toEqual(before.entries);
    expect(after.days.filter((d) => d.day <= history.lastDay)).toEqual(before.days.filter((d) => d.day <= history.lastDay));
  });
});
