/**
 * @module routes/api/analytics
 * `GET /api/account/analytics` (the caller's spend over time, by key and by model) and
 * `GET /api/admin/analytics` (platform traffic, revenue, errors, latency p50/p95 per model,
 * top accounts). Both read the usage rollups (analytics/rollups.ts), never raw events; buckets
 * are local days (or hours for ranges of 48 h or less) in the caller's `tz`, and ranges resolve
 * to 15 minutes. Money in integer µUSD, times in epoch ms.
 */
import {
  type DetailRow,
  histogramPercentile,
  organizationQueries,
  platformQueries,
  type RankedRow,
  readWindowTotals,
  shiftedContributions,
  shiftedTier,
  SLOT_MS,
  slotRange,
  type Tier,
  windowTotals,
} from '../../analytics/rollups';
import { prunedBefore, slotHorizon } from '../../analytics/prune-rollups';
import type { Env } from '../../env';
import { ApiError } from '../../errors';
import { instant } from '../../lib/instant';
import { accountObject } from '../../services/accounts';
import { AccountAnalytics, AdminAnalytics, TOP_END_USERS, TOP_TAGS } from './analytics-schemas';
import { apiRouter, defineRoute, json, z } from './contract';
import { callerAccount, visibleProjects } from './caller';
import { type BucketKind, bucketKind, LocalClock, slotMapper } from './time-buckets';

const DAY_MS = 86_400_000;
const MAX_RANGE_MS = 400 * DAY_MS;

export const AnalyticsQuery = z
  .object({
    from: z.string().max(64).optional().describe('Epoch ms or ISO date-time (default: 30 days ago).'),
    to: z.string().max(64).optional().describe('Epoch ms or ISO date-time, exclusive (default: now).'),
    tz: z.string().max(64).optional().describe('IANA time zone for the buckets (default UTC).'),
    keyId: z.string().max(100).optional(),
    model: z.string().max(200).optional(),
    projectId: z.string().max(100).optional(),
    tag: z
      .string()
      .max(200)
      .regex(/^[^=]+=.+$/, 'tag: name=value, e.g. feature=rag')
      .optional()
      .describe('A feature tag, name=value: every figure counts only requests carrying it.'),
  })
  .strict();
export const AdminAnalyticsQuery = AnalyticsQuery.omit({ keyId: true, model: true, projectId: true, tag: true }).strict();

interface Range {
  /** When the range was read (a range ending after it holds every event there is). */
  now: number;
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
  return { now, from, to, clock, bucket, starts: clock.buckets(bucket, from, to) };
}

/** A zero-filled series over the range's buckets. */
function series<T extends object>(starts: number[], zero: () => T): Map<number, { t: number } & T> {
  return new Map(starts.map((t) => [t, { t, ...zero() }]));
}

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

const perRequest = (cost: number, requests: number) => (requests > 0 ? Math.ceil(cost / requests) : 0);

/** This month to now, the same stretch of last month, and all of last month, in the clock's zone. */
function monthWindows(clock: LocalClock, now: number): Array<[number, number]> {
  const thisStart = clock.monthStart(now);
  const lastStart = clock.monthStart(thisStart - 1);
  const elapsed = now - thisStart;
  return [
    [thisStart, now + 1],
    [lastStart, Math.min(lastStart + elapsed + 1, thisStart)],
    [lastStart, thisStart],
  ];
}

function monthOverMonth(windows: Array<{ requests: number; costMicros: number }>) {
  const [thisMonth, lastMonthToDate, lastMonth] = windows;
  const changePercent = lastMonthToDate.costMicros > 0 ? ((thisMonth.costMicros - lastMonthToDate.costMicros) * 100) / lastMonthToDate.costMicros : null;
  return { thisMonth, lastMonthToDate, lastMonth, changePercent: changePercent === null ? null : Math.round(changePercent * 10) / 10 };
}

type Group = { requests: number; costMicros: number; series: Map<number, { t: number; costMicros: number }> };

/** The local date of an instant as a day number (days since 1970-01-01), as the daily rollups count it. */
function dayNumber(clock: LocalClock, ms: number): number {
  const p = clock.parts(ms);
  return Date.UTC(p.year, p.month - 1, p.day) / DAY_MS;
}

/** The one zone whose daily rollups counted an organisation's days `[firstDay, endDay)`, or null (none, or the zone changed). */
async function countedZone(db: D1Database, accountId: string, firstDay: number, endDay: number): Promise<string | null> {
  const zones = await db
    .prepare('SELECT tz FROM usage_rollup_local_days WHERE account_id = ?1 AND day >= ?2 AND day < ?3 GROUP BY tz LIMIT 2')
    .bind(accountId, firstDay, endDay)
    .all<{ tz: string }>();
  return zones.results.length === 1 ? zones.results[0].tz : null;
}

type Contributions = (unit: number) => Array<[t: number, sign: number]>;

/**
 * Which rollups answer a view. In local days: the daily rollups alone when the view is in the
 * organisation's zone from one local midnight to another (or now); else those days corrected at
 * each bucket boundary by 15-minute slots (the shifted tier; where those slots were pruned, past
 * their horizon, a boundary keeps the organisation's nearest midnight). Hours, and days
 * counted in more than one zone, read the 15-minute rollups alone, exact in every zone.
 */
async function chooseTier(c: { env: Env }, accountId: string, r: Range): Promise<{ tier: Tier; contributions: Contributions }> {
  const db = c.env.DB;
  if (r.bucket === 'day') {
    // Day numbers are local dates: two days either side cover the range in any zone.
    const zone = await countedZone(db, accountId, dayNumber(r.clock, r.from) - 2, dayNumber(r.clock, r.to) + 2);
    const alignedEnd = r.to > r.now || r.clock.dayStart(r.to) === r.to;
    if (zone === r.clock.tz && r.starts[0] === r.from && alignedEnd) {
      const firstDay = dayNumber(r.clock, r.from);
      const endDay = dayNumber(r.clock, r.starts[r.starts.length - 1]) + 1;
      const startOf = new Map(r.starts.map((t) => [dayNumber(r.clock, t), t]));
      return { tier: { kind: 'days', tz: r.clock.tz, firstDay, endDay }, contributions: (day) => [[startOf.get(day) ?? Number.NaN, 1]] };
    }
    if (zone) {
      const own = zone === r.clock.tz ? r.clock : new LocalClock(zone);
      const bounds = [Math.floor(r.from / SLOT_MS) * SLOT_MS, ...r.starts.slice(1), Math.ceil(r.to / SLOT_MS) * SLOT_MS];
      const tier = shiftedTier(own, bounds, (midnight) => dayNumber(own, midnight));
      // Past the horizon the slots may be pruned: a correction there keeps the organisation's midnight.
      if (tier.edges[0].first < slotHorizon(c.env, r.now)) {
        const gone = await prunedBefore(db);
        tier.edges = tier.edges.map((e) => (e.first < gone ? { first: e.first, end: e.first, sign: 1 } : e));
      }
      return { tier, contributions: (unit) => shiftedContributions(tier, unit).map(([i, sign]) => [r.starts[i] ?? Number.NaN, sign]) };
    }
  }
  // Every bucket starts on a slot (local hours and days begin at quarter hours); SQLite folds the
  // slots into them and answers the bucket's index.
  const { first, end } = slotRange(r.from, r.to);
  const buckets = r.starts.map((t) => t / SLOT_MS);
  return { tier: { kind: 'slots', first, end, buckets }, contributions: (index) => [[r.starts[index] ?? Number.NaN, 1]] };
}

export const accountAnalyticsRoutes = apiRouter().openapi(accountAnalytics, async (c) => {
  const accountId = callerAccount(c);
  const q = c.req.valid('query');
  const r = range(q);
  // A developer sees the usage of their projects only (today's and this month's totals too).
  const projects = await visibleProjects(c);
  const now = Date.now();
  const db = c.env.DB;
  const { tier, contributions } = await chooseTier(c, accountId, r);
  const queries = organizationQueries(db, { accountId, keyId: q.keyId, model: q.model, projectId: q.projectId, tag: q.tag, projects }, tier, {
    tags: TOP_TAGS,
    endUsers: TOP_END_USERS,
  });
  const months = monthWindows(r.clock, now);
  const windows: Array<[number, number]> = [[r.clock.dayStart(now), now + 1], ...months];
  const stub = accountObject(c.env, accountId);
  const [[detail, tags, endUsers, periods], keys, projectList] = await Promise.all([
    db.batch<Record<string, unknown>>([queries.detail, queries.tags, queries.endUsers, windowTotals(db, accountId, projects, windows)]),
    stub.listKeys('inference'),
    stub.listProjects(),
  ]);
  const totals = { requests: 0, inputTokens: 0, outputTokens: 0, costMicros: 0 };
  const overall = series(r.starts, () => ({ requests: 0, inputTokens: 0, outputTokens: 0, costMicros: 0 }));
  const byKey = new Map<string, Group>();
  const byModel = new Map<string, Group>();
  const byProject = new Map<string, Group>();
  const byMember = new Map<string | null, { requests: number; costMicros: number }>();
  const memberOfKey = new Map(keys.map((k) => [k.id, k.createdBy]));
  const group = (map: Map<string, Group>, id: string) => {
    let g = map.get(id);
    if (!g) {
      g = { requests: 0, costMicros: 0, series: series(r.starts, () => ({ costMicros: 0 })) };
      map.set(id, g);
    }
    return g;
  };
  for (const row of detail.results as unknown as DetailRow[]) {
    for (const [t, sign] of contributions(row.unit)) {
      const requests = sign * row.requests;
      const costMicros = sign * row.cost_micros;
      totals.requests += requests;
      totals.inputTokens += sign * row.input_tokens;
      totals.outputTokens += sign * row.output_tokens;
      totals.costMicros += costMicros;
      const point = overall.get(t);
      if (point) {
        point.requests += requests;
        point.inputTokens += sign * row.input_tokens;
        point.outputTokens += sign * row.output_tokens;
        point.costMicros += costMicros;
      }
      for (const g of [group(byKey, row.key_id), group(byModel, row.model), group(byProject, row.project_id)]) {
        g.requests += requests;
        g.costMicros += costMicros;
        const s = g.series.get(t);
        if (s) s.costMicros += costMicros;
      }
      const member = row.member_id ?? memberOfKey.get(row.key_id) ?? null;
      const m = byMember.get(member) ?? { requests: 0, costMicros: 0 };
      m.requests += requests;
      m.costMicros += costMicros;
      byMember.set(member, m);
    }
  }
  // A correction that cancels out leaves no trace: groups whose every figure is zero are dropped.
  for (const map of [byKey, byModel, byProject]) for (const [id, g] of map) if (g.requests === 0 && g.costMicros === 0) map.delete(id);
  for (const [id, m] of byMember) if (m.requests === 0 && m.costMicros === 0) byMember.delete(id);
  const memberIds = [...byMember.keys()].filter((id): id is string => id !== null);
  const emails = new Map<string, string>();
  if (memberIds.length > 0) {
    const found = await db
      .prepare(`SELECT id, email FROM auth_user WHERE id IN (${memberIds.map((_, i) => `?${i + 1}`).join(', ')})`)
      .bind(...memberIds)
      .all<{ id: string; email: string }>();
    for (const u of found.results) emails.set(u.id, u.email);
  }
  const [today, ...monthly] = readWindowTotals(periods.results[0] as Record<string, number> | undefined, windows.length);
  const keyNames = new Map(keys.map((k) => [k.id, k.name]));
  const projectNames = new Map(projectList.map((p) => [p.id, p.name]));
  const byCost = <T extends { costMicros: number }>(a: T, b: T) => b.costMicros - a.costMicros;
  const ranked = (row: RankedRow) => ({ requests: row.requests, inputTokens: row.input_tokens, outputTokens: row.output_tokens, costMicros: row.cost_micros });
  return c.json(
    {
      from: r.from,
      to: r.to,
      tz: r.clock.tz,
      bucket: r.bucket,
      totals,
      series: [...overall.values()],
      byKey: [...byKey]
        .map(([keyId, g]) => ({ keyId, name: keyNames.get(keyId) ?? null, requests: g.requests, costMicros: g.costMicros, series: [...g.series.values()] }))
        .sort(byCost),
      byModel: [...byModel]
        .map(([model, g]) => ({
          model,
          requests: g.requests,
          costMicros: g.costMicros,
          costPerRequestMicros: perRequest(g.costMicros, g.requests),
          series: [...g.series.values()],
        }))
        .sort(byCost),
      byProject: [...byProject]
        .map(([projectId, g]) => ({
          projectId,
          name: projectNames.get(projectId) ?? null,
          requests: g.requests,
          costMicros: g.costMicros,
          series: [...g.series.values()],
        }))
        .sort(byCost),
      byMember: [...byMember].map(([memberId, m]) => ({ memberId, email: memberId ? (emails.get(memberId) ?? null) : null, ...m })).sort(byCost),
      byTag: (tags.results as unknown as RankedRow[]).map((row) => {
        const eq = row.id.indexOf('=');
        return { tag: row.id, name: row.id.slice(0, eq), value: row.id.slice(eq + 1), ...ranked(row) };
      }),
      byEndUser: (endUsers.results as unknown as RankedRow[]).map((row) => ({ endUser: row.id, ...ranked(row) })),
      today,
      month: monthly[0],
      monthOverMonth: monthOverMonth(monthly),
      resolution: tier.kind === 'days' ? ('day' as const) : tier.kind === 'shifted' ? ('day+15m' as const) : ('15m' as const),
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

/** Platform requests and revenue in the month windows (the per-model rollup, every organisation). */
function platformWindows(db: D1Database, windows: Array<[number, number]>): D1PreparedStatement {
  const binds: number[] = [];
  const cols = windows.map(([from, to], i) => {
    const { first, end } = slotRange(from, to);
    const a = binds.push(first);
    const b = binds.push(end);
    return `coalesce(sum(CASE WHEN slot >= ?${a} AND slot < ?${b} THEN requests END), 0) AS r${i},
            coalesce(sum(CASE WHEN slot >= ?${a} AND slot < ?${b} THEN cost_micros END), 0) AS c${i}`;
  });
  const lo = Math.min(...windows.map(([from, to]) => slotRange(from, to).first));
  const hi = Math.max(...windows.map(([from, to]) => slotRange(from, to).end));
  return db.prepare(`SELECT ${cols.join(', ')} FROM usage_rollup_models WHERE slot >= ?${binds.push(lo)} AND slot < ?${binds.push(hi)}`).bind(...binds);
}

export const adminAnalyticsRoutes = apiRouter().openapi(adminAnalytics, async (c) => {
  const q = c.req.valid('query');
  const r = range(q);
  const db = c.env.DB;
  const p = platformQueries(db, r.from, r.to);
  const months = monthWindows(r.clock, Date.now());
  const [slots, models, latency, top, monthly] = await db.batch([p.series, p.models, p.latency, p.top, platformWindows(db, months)]);
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
  const histograms = new Map<string, Array<{ le: number; n: number }>>();
  for (const row of latency.results as unknown as Array<{ model: string; le_ms: number; n: number }>) {
    const bins = histograms.get(row.model) ?? [];
    bins.push({ le: row.le_ms, n: row.n });
    histograms.set(row.model, bins);
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
        costPerRequestMicros: perRequest(m.revenue, m.requests),
        latencyP50Ms: histogramPercentile(histograms.get(m.model) ?? [], 50),
        latencyP95Ms: histogramPercentile(histograms.get(m.model) ?? [], 95),
      })),
      topAccounts: (top.results as unknown as Array<{ account_id: string; name: string | null; requests: number; revenue: number }>).map((a) => ({
        accountId: a.account_id,
        name: a.name,
        requests: a.requests,
        revenueMicros: a.revenue,
      })),
      monthOverMonth: monthOverMonth(readWindowTotals(monthly.results[0] as Record<string, number> | undefined, months.length)),
    },
    200,
  );
});
