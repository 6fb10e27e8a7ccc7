/**
 * @module routes/api/analytics
 * `GET /api/account/analytics` (the caller's spend over time, by key and by model) and
 * `GET /api/admin/analytics` (platform traffic, revenue, errors, latency p50/p95 per model,
 * top accounts). Both read D1's `usage_events`; buckets are local days (or hours for ranges of
 * 48 h or less) in the caller's `tz`. Money in integer µUSD, times in epoch ms.
 */
import { ApiError } from '../../errors';
import { instant } from '../../lib/instant';
import { accountObject } from '../../services/accounts';
import { apiRouter, defineRoute, json, z } from './contract';
import { callerAccount, visibleProjects } from './caller';
import { type BucketKind, bucketKind, LocalClock, SLOT_MS, slotMapper } from './time-buckets';

const DAY_MS = 86_400_000;
const MAX_RANGE_MS = 400 * DAY_MS;
/** Usage statuses that are the platform's failures (client_closed is the client's choice). */
const ERROR_STATUSES = `('origin_error', 'origin_timeout', 'expired')`;

export const AnalyticsQuery = z
  .object({
    from: z.string().max(64).optional().describe('Epoch ms or ISO date-time (default: 30 days ago).'),
    to: z.string().max(64).optional().describe('Epoch ms or ISO date-time, exclusive (default: now).'),
    tz: z.string().max(64).optional().describe('IANA time zone for the buckets (default UTC).'),
    keyId: z.string().max(100).optional(),
    model: z.string().max(200).optional(),
    projectId: z.string().max(100).optional(),
  })
  .strict();
export const AdminAnalyticsQuery = AnalyticsQuery.omit({ keyId: true, model: true, projectId: true }).strict();

interface Range {
  from: number;
  to: number;
  clock: LocalClock;
  bucket: BucketKind;
  starts: number[];
}

function range(q: { from?: string; to?: string; tz?: string }): Range {
  const now = Date.now();
  const to = instant(q.to, now + 1, 'to');
  const from = instant(q.from, to - 30 * DAY_MS, 'from');
  if (from >= to) throw new ApiError({ code: 'invalid_request', param: 'from', message: 'from: must be before to.' });
  if (to - from > MAX_RANGE_MS) throw new ApiError({ code: 'invalid_request', param: 'from', message: 'from: the range may span at most 400 days.' });
  const clock = new LocalClock(q.tz ?? 'UTC');
  const bucket = bucketKind(from, to);
  return { from, to, clock, bucket, starts: clock.buckets(bucket, from, to) };
}

/** A zero-filled series over the range's buckets. */
function series<T extends object>(starts: number[], zero: () => T): Map<number, { t: number } & T> {
  return new Map(starts.map((t) => [t, { t, ...zero() }]));
}

const int = z.number().int();
const Window = {
  from: int.describe('Epoch ms.'),
  to: int.describe('Epoch ms, exclusive.'),
  tz: z.string(),
  bucket: z.enum(['hour', 'day']).describe('Hours for ranges of 48 h or less, else local days.'),
};
const CostSeries = z.array(z.object({ t: int.describe('Bucket start, epoch ms.'), costMicros: int }));
const Spend = z.object({ requests: int, costMicros: int });

const AccountAnalytics = z.object({
  ...Window,
  totals: z.object({ requests: int, inputTokens: int, outputTokens: int, costMicros: int }),
  series: z.array(z.object({ t: int, requests: int, inputTokens: int, outputTokens: int, costMicros: int })),
  byKey: z.array(z.object({ keyId: z.string(), name: z.string().nullable(), requests: int, costMicros: int, series: CostSeries })),
  byModel: z.array(z.object({ model: z.string(), requests: int, costMicros: int, series: CostSeries })),
  today: Spend.describe('Since local midnight in tz.'),
  month: Spend.describe('Since the first of the local month in tz.'),
});

const AdminAnalytics = z.object({
  ...Window,
  totals: z.object({
    requests: int,
    inputTokens: int,
    outputTokens: int,
    revenueMicros: int,
    errors: int,
    errorRate: z.number().describe('errors / requests, 0 to 1.'),
  }),
  series: z.array(z.object({ t: int, requests: int, tokens: int, revenueMicros: int, errors: int })),
  byModel: z.array(
    z.object({
      model: z.string(),
      requests: int,
      inputTokens: int,
      outputTokens: int,
      revenueMicros: int,
      errors: int,
      errorRate: z.number(),
      latencyP50Ms: int.nullable(),
      latencyP95Ms: int.nullable(),
    }),
  ),
  topAccounts: z.array(z.object({ accountId: z.string(), name: z.string().nullable(), requests: int, revenueMicros: int })),
});

const accountAnalytics = defineRoute('management', {
  method: 'get',
  path: '/',
  summary: 'Your spend, tokens and requests per local day (hour for ≤ 48 h) in tz, by key and by model; today and this month',
  tags: ['Analytics'],
  request: { query: AnalyticsQuery },
  responses: { 200: json(AccountAnalytics, 'Your analytics over the range') },
});
const adminAnalytics = defineRoute('admin', {
  method: 'get',
  path: '/',
  summary: 'Platform requests, tokens, revenue, errors, latency p50/p95 per model, top accounts, per local day or hour',
  tags: ['Admin: analytics'],
  request: { query: AdminAnalyticsQuery },
  responses: { 200: json(AdminAnalytics, 'Platform analytics over the range') },
});

interface AccountSlotRow {
  slot: number;
  key_id: string;
  model: string;
  requests: number;
  input_tokens: number;
  output_tokens: number;
  cost_micros: number;
}

export const accountAnalyticsRoutes = apiRouter().openapi(accountAnalytics, async (c) => {
  const accountId = callerAccount(c);
  const q = c.req.valid('query');
  const r = range(q);
  const filters = ['account_id = ?1', 'created_at >= ?2', 'created_at < ?3'];
  const binds: unknown[] = [accountId, r.from, r.to];
  if (q.keyId) filters.push(`key_id = ?${binds.push(q.keyId)}`);
  if (q.model) filters.push(`model = ?${binds.push(q.model)}`);
  if (q.projectId) filters.push(`project_id = ?${binds.push(q.projectId)}`);
  // A developer sees the usage of their projects only (today's and this month's totals too).
  const projects = await visibleProjects(c);
  if (projects) filters.push(`project_id IN (${projects.map((p) => `?${binds.push(p)}`).join(', ') || 'NULL'})`);
  // The totals query binds the same ids after its own three (?4…).
  const mine = projects ? `project_id IN (${projects.map((_, i) => `?${i + 4}`).join(', ') || 'NULL'})` : '1 = 1';
  const now = Date.now();
  const todayStart = r.clock.dayStart(now);
  const monthStart = r.clock.monthStart(now);
  const [slots, periods, keys] = await Promise.all([
    c.env.DB.prepare(
      `SELECT created_at / ${SLOT_MS} AS slot, key_id, model, count(*) AS requests, sum(input_tokens) AS input_tokens,
              sum(output_tokens) AS output_tokens, sum(cost_micros) AS cost_micros
       FROM usage_events WHERE ${filters.join(' AND ')} GROUP BY slot, key_id, model`,
    )
      .bind(...binds)
      .all<AccountSlotRow>(),
    c.env.DB.prepare(
      `SELECT sum(created_at >= ?2) AS today_requests, coalesce(sum(CASE WHEN created_at >= ?2 THEN cost_micros END), 0) AS today_cost,
              count(*) AS month_requests, coalesce(sum(cost_micros), 0) AS month_cost
       FROM usage_events WHERE account_id = ?1 AND created_at >= ?3 AND ${mine}`,
    )
      .bind(accountId, todayStart, Math.min(monthStart, todayStart), ...(projects ?? []))
      .first<{ today_requests: number | null; today_cost: number; month_requests: number; month_cost: number }>(),
    accountObject(c.env, accountId).listKeys('inference'),
  ]);
  const toBucket = slotMapper(r.clock, r.bucket);
  const totals = { requests: 0, inputTokens: 0, outputTokens: 0, costMicros: 0 };
  const overall = series(r.starts, () => ({ requests: 0, inputTokens: 0, outputTokens: 0, costMicros: 0 }));
  const byKey = new Map<string, { requests: number; costMicros: number; series: Map<number, { t: number; costMicros: number }> }>();
  const byModel = new Map<string, { requests: number; costMicros: number; series: Map<number, { t: number; costMicros: number }> }>();
  const group = (map: typeof byKey, id: string) => {
    let g = map.get(id);
    if (!g) {
      g = { requests: 0, costMicros: 0, series: series(r.starts, () => ({ costMicros: 0 })) };
      map.set(id, g);
    }
    return g;
  };
  for (const row of slots.results) {
    const t = toBucket(row.slot);
    totals.requests += row.requests;
    totals.inputTokens += row.input_tokens;
    totals.outputTokens += row.output_tokens;
    totals.costMicros += row.cost_micros;
    const point = overall.get(t);
    if (point) {
      point.requests += row.requests;
      point.inputTokens += row.input_tokens;
      point.outputTokens += row.output_tokens;
      point.costMicros += row.cost_micros;
    }
    for (const g of [group(byKey, row.key_id), group(byModel, row.model)]) {
      g.requests += row.requests;
      g.costMicros += row.cost_micros;
      const s = g.series.get(t);
      if (s) s.costMicros += row.cost_micros;
    }
  }
  const names = new Map(keys.map((k) => [k.id, k.name]));
  const byCost = <T extends { costMicros: number }>(a: T, b: T) => b.costMicros - a.costMicros;
  return c.json(
    {
      from: r.from,
      to: r.to,
      tz: r.clock.tz,
      bucket: r.bucket,
      totals,
      series: [...overall.values()],
      byKey: [...byKey]
        .map(([keyId, g]) => ({ keyId, name: names.get(keyId) ?? null, requests: g.requests, costMicros: g.costMicros, series: [...g.series.values()] }))
        .sort(byCost),
      byModel: [...byModel].map(([model, g]) => ({ model, requests: g.requests, costMicros: g.costMicros, series: [...g.series.values()] })).sort(byCost),
      today: { requests: periods?.today_requests ?? 0, costMicros: periods?.today_cost ?? 0 },
      month: { requests: periods?.month_requests ?? 0, costMicros: periods?.month_cost ?? 0 },
    },
    200,
  );
});

interface AdminSlotRow {
  slot: number;
  requests: number;
  tokens: number;
  revenue: number;
  errors: number;
}
interface AdminModelRow {
  model: string;
  requests: number;
  input_tokens: number;
  output_tokens: number;
  revenue: number;
  errors: number;
}

// The model of an expired reservation is not recorded; fall back to the service's name.
const MODEL = `coalesce(nullif(u.model, ''), s.name, u.service_id)`;

export const adminAnalyticsRoutes = apiRouter().openapi(adminAnalytics, async (c) => {
  const q = c.req.valid('query');
  const r = range(q);
  const where = 'u.created_at >= ?1 AND u.created_at < ?2';
  const db = c.env.DB;
  const [slots, models, latency, top] = await db.batch([
    db
      .prepare(
        `SELECT u.created_at / ${SLOT_MS} AS slot, count(*) AS requests, sum(u.input_tokens + u.output_tokens) AS tokens,
              sum(u.cost_micros) AS revenue, sum(u.status IN ${ERROR_STATUSES}) AS errors
       FROM usage_events u WHERE ${where} GROUP BY slot`,
      )
      .bind(r.from, r.to),
    db
      .prepare(
        `SELECT ${MODEL} AS model, count(*) AS requests, sum(u.input_tokens) AS input_tokens, sum(u.output_tokens) AS output_tokens,
              sum(u.cost_micros) AS revenue, sum(u.status IN ${ERROR_STATUSES}) AS errors
       FROM usage_events u LEFT JOIN services s ON s.id = u.service_id WHERE ${where} GROUP BY 1 ORDER BY revenue DESC, model`,
      )
      .bind(r.from, r.to),
    // Exact nearest-rank percentiles: rank ⌈p·n/100⌉ of each model's latencies, in SQL, so only
    // two rows per model leave the database.
    db
      .prepare(
        `SELECT model, n, rn, latency_ms FROM (
         SELECT ${MODEL} AS model, u.latency_ms,
                row_number() OVER (PARTITION BY ${MODEL} ORDER BY u.latency_ms) AS rn,
                count(*) OVER (PARTITION BY ${MODEL}) AS n
         FROM usage_events u LEFT JOIN services s ON s.id = u.service_id WHERE ${where})
       WHERE rn = (n * 50 + 99) / 100 OR rn = (n * 95 + 99) / 100`,
      )
      .bind(r.from, r.to),
    db
      .prepare(
        `SELECT u.account_id, a.name, count(*) AS requests, sum(u.cost_micros) AS revenue
       FROM usage_events u LEFT JOIN accounts a ON a.id = u.account_id WHERE ${where}
       GROUP BY u.account_id ORDER BY revenue DESC, requests DESC LIMIT 10`,
      )
      .bind(r.from, r.to),
  ]);
  const toBucket = slotMapper(r.clock, r.bucket);
  const overall = series(r.starts, () => ({ requests: 0, tokens: 0, revenueMicros: 0, errors: 0 }));
  for (const row of slots.results as unknown as AdminSlotRow[]) {
    const point = overall.get(toBucket(row.slot));
    if (!point) continue;
    point.requests += row.requests;
    point.tokens += row.tokens;
    point.revenueMicros += row.revenue;
    point.errors += row.errors;
  }
  const percentiles = new Map<string, { p50: number | null; p95: number | null }>();
  for (const row of latency.results as unknown as Array<{ model: string; n: number; rn: number; latency_ms: number }>) {
    const p = percentiles.get(row.model) ?? { p50: null, p95: null };
    if (row.rn === Math.floor((row.n * 50 + 99) / 100)) p.p50 = row.latency_ms;
    if (row.rn === Math.floor((row.n * 95 + 99) / 100)) p.p95 = row.latency_ms;
    percentiles.set(row.model, p);
  }
  const modelRows = models.results as unknown as AdminModelRow[];
  const totals = { requests: 0, inputTokens: 0, outputTokens: 0, revenueMicros: 0, errors: 0, errorRate: 0 };
  for (const m of modelRows) {
    totals.requests += m.requests;
    totals.inputTokens += m.input_tokens;
    totals.outputTokens += m.output_tokens;
    totals.revenueMicros += m.revenue;
    totals.errors += m.errors;
  }
  totals.errorRate = totals.requests ? totals.errors / totals.requests : 0;
  return c.json(
    {
      from: r.from,
      to: r.to,
      tz: r.clock.tz,
      bucket: r.bucket,
      totals,
      series: [...overall.values()],
      byModel: modelRows.map((m) => ({
        model: m.model,
        requests: m.requests,
        inputTokens: m.input_tokens,
        outputTokens: m.output_tokens,
        revenueMicros: m.revenue,
        errors: m.errors,
        errorRate: m.requests ? m.errors / m.requests : 0,
        latencyP50Ms: percentiles.get(m.model)?.p50 ?? null,
        latencyP95Ms: percentiles.get(m.model)?.p95 ?? null,
      })),
      topAccounts: (top.results as unknown as Array<{ account_id: string; name: string | null; requests: number; revenue: number }>).map((a) => ({
        accountId: a.account_id,
        name: a.name,
        requests: a.requests,
        revenueMicros: a.revenue,
      })),
    },
    200,
  );
});
