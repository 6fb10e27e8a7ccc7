/**
 * @module analytics/rollups
 * Reads of the usage rollups (worker/db/schema.ts; kept by triggers, migrations/0007). Every
 * analytics view reads these, never raw events, so its cost follows the number of rollup rows
 * in the range (slots × active project/key/model combinations), not the number of requests.
 * Ranges resolve to 15-minute slots: a range covers every slot it touches.
 */
export const SLOT_MS = 15 * 60_000;
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** The slots a range `[from, to)` touches: `[first, end)`. */
export function slotRange(from: number, to: number): { first: number; end: number } {
  return { first: Math.floor(from / SLOT_MS), end: Math.ceil(to / SLOT_MS) };
}

/** Filters of an organisation's views; `projects` null means every project. */
export interface ScopeFilter {
  accountId: string;
  keyId?: string;
  model?: string;
  projectId?: string;
  /** `name=value`. */
  tag?: string;
  endUser?: string;
  projects: string[] | null;
}

/**
 * Which rollups a view reads: the 15-minute ones (`slots`, any zone and range), the daily ones
 * in the organisation's zone (`days`, when the view is in local days of that zone and every day in
 * the range was counted in it), or both (`shifted`, local days of another zone or a range that
 * does not start at a local midnight): each bucket is the organisation's whole days between the
 * midnights nearest to its ends, corrected at each end by the 15-minute slots between the
 * boundary and that midnight (added or taken away), so a view in any zone reads at most half a
 * day of slots per bucket instead of all of them.
 */
export type Tier =
  | { kind: 'slots'; first: number; end: number; buckets?: number[] }
  | { kind: 'days'; tz: string; firstDay: number; endDay: number }
  | ShiftedTier;

/** A bucket boundary's correction: the slots `[first, end)` between it and the organisation's nearest midnight. */
export interface Edge {
  first: number;
  end: number;
  /** What the bucket ending at the boundary counts of those slots (+1 or -1); the bucket starting there counts the opposite. */
  sign: 1 | -1;
}

export interface ShiftedTier {
  kind: 'shifted';
  /** The organisation's zone, in which the daily rollups were counted. */
  tz: string;
  /** Per boundary (the range's start, each bucket start after it, the range's end): the organisation's local day number of its nearest midnight. */
  days: number[];
  /** Per boundary, its correction. */
  edges: Edge[];
}

/**
 * The shifted tier over boundaries `bounds` (ms, ascending: the range's start, every later bucket
 * start, the range's end; all on 15-minute slots) for an organisation whose daily rollups count
 * days of `clock`'s zone. `dayNumber` names a local midnight's day as the rollups do.
 */
export function shiftedTier(clock: { tz: string; dayStart(ms: number): number }, bounds: number[], dayNumber: (midnight: number) => number): ShiftedTier {
  const days: number[] = [];
  const edges: Edge[] = [];
  for (const p of bounds) {
    const before = clock.dayStart(p);
    // A local day lasts 23 to 25 hours, so 36 hours after its start is inside the next one.
    const after = clock.dayStart(before + 36 * HOUR_MS);
    const nearest = p - before <= after - p ? before : after;
    days.push(dayNumber(nearest));
    const a = Math.round(Math.min(p, nearest) / SLOT_MS);
    const b = Math.round(Math.max(p, nearest) / SLOT_MS);
    edges.push({ first: a, end: b, sign: nearest <= p ? 1 : -1 });
  }
  return { kind: 'shifted', tz: clock.tz, days, edges };
}

/**
 * For a detail row of the shifted tier, the buckets it counts in and with which sign: a day row's
 * unit is its bucket; the unit `n + i` (n buckets) is boundary i's correction, which the bucket
 * before the boundary counts with the edge's sign and the one after it with the opposite.
 */
export function shiftedContributions(tier: ShiftedTier, unit: number): Array<[bucket: number, sign: number]> {
  const n = tier.days.length - 1;
  if (unit < n) return [[unit, 1]];
  const i = unit - n;
  const sign = tier.edges[i]?.sign ?? 0;
  const out: Array<[number, number]> = [];
  if (i > 0) out.push([i - 1, sign]);
  if (i < n) out.push([i, -sign]);
  return out;
}

/**
 * The SQL that names each row's unit: the slot or day itself, or, when the slot tier knows its
 * buckets (the first slot of each, ascending), the bucket's index, so SQLite folds the slots into
 * buckets and a few rows per combination leave the database instead of every slot.
 */
function unitSql(tier: Exclude<Tier, ShiftedTier>): { expr: string; grouped: boolean } {
  if (tier.kind === 'days') return { expr: 'day', grouped: false };
  if (!tier.buckets || tier.buckets.length === 0) return { expr: 'slot', grouped: false };
  const whens = tier.buckets
    .slice(1)
    .map((b, i) => `WHEN slot < ${Math.trunc(b)} THEN ${i}`)
    .join(' ');
  return { expr: whens ? `CASE ${whens} ELSE ${tier.buckets.length - 1} END` : '0', grouped: true };
}

const TABLES = {
  slots: { detail: 'usage_rollup', tags: 'usage_rollup_tags', endUsers: 'usage_rollup_end_users', unit: 'slot' },
  days: { detail: 'usage_rollup_local_days', tags: 'usage_rollup_tags_local_days', endUsers: 'usage_rollup_end_users_local_days', unit: 'day' },
} as const;

/** The filters' terms (key, model, project, tag, end user, visible projects), their binds appended to `binds`. */
function filterTerms(f: ScopeFilter, binds: unknown[], opts: { tag?: boolean; endUser?: boolean }): string[] {
  const terms: string[] = [];
  if (f.keyId) terms.push(`key_id = ?${binds.push(f.keyId)}`);
  if (f.model) terms.push(`model = ?${binds.push(f.model)}`);
  if (f.projectId) terms.push(`project_id = ?${binds.push(f.projectId)}`);
  if (opts.tag && f.tag) terms.push(`tag = ?${binds.push(f.tag)}`);
  if (opts.endUser && f.endUser) terms.push(`end_user = ?${binds.push(f.endUser)}`);
  if (f.projects) terms.push(f.projects.length ? `project_id IN (${f.projects.map((p) => `?${binds.push(p)}`).join(', ')})` : '0 = 1');
  return terms;
}

/** A WHERE clause over one rollup table of the tier with its binds, for the organisation and range. */
function where(f: ScopeFilter, tier: Exclude<Tier, ShiftedTier>, opts: { tag?: boolean; endUser?: boolean } = {}): { sql: string; binds: unknown[] } {
  const binds: unknown[] = tier.kind === 'slots' ? [f.accountId, tier.first, tier.end] : [f.accountId, tier.firstDay, tier.endDay, tier.tz];
  const unit = TABLES[tier.kind].unit;
  const terms = ['account_id = ?1', `${unit} >= ?2`, `${unit} < ?3`];
  if (tier.kind === 'days') terms.push('tz = ?4');
  terms.push(...filterTerms(f, binds, opts));
  return { sql: terms.join(' AND '), binds };
}

export interface DetailRow {
  /** The slot or the local day number, by tier. */
  unit: number;
  project_id: string;
  key_id: string;
  model: string;
  member_id: string | null;
  requests: number;
  input_tokens: number;
  output_tokens: number;
  cost_micros: number;
}

export interface RankedRow {
  id: string;
  requests: number;
  input_tokens: number;
  output_tokens: number;
  cost_micros: number;
}

const SUMS = 'sum(requests) AS requests, sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens, sum(cost_micros) AS cost_micros';

/**
 * The statements of an organisation's analytics over the tier's range: the detail rows (unit ×
 * project × key × model, from the tag rollup when a tag is filtered), the top feature tags and
 * the top end users.
 */
export function organizationQueries(db: D1Database, f: ScopeFilter, tier: Tier, top: { tags: number; endUsers: number }) {
  if (tier.kind === 'shifted') return shiftedQueries(db, f, tier, top);
  const t = TABLES[tier.kind];
  const d = where(f, tier, { tag: true });
  const unit = unitSql(tier);
  const detail = db
    .prepare(
      f.tag
        ? `SELECT ${unit.expr} AS unit, project_id, key_id, model, NULL AS member_id, ${SUMS} FROM ${t.tags} WHERE ${d.sql} GROUP BY 1, project_id, key_id, model`
        : unit.grouped
          ? `SELECT ${unit.expr} AS unit, project_id, key_id, model, max(member_id) AS member_id, ${SUMS} FROM ${t.detail} WHERE ${d.sql}
             GROUP BY 1, project_id, key_id, model`
          : `SELECT ${unit.expr} AS unit, project_id, key_id, model, member_id, requests, input_tokens, output_tokens, cost_micros FROM ${t.detail} WHERE ${d.sql}`,
    )
    .bind(...d.binds);
  const tags = db
    .prepare(`SELECT tag AS id, ${SUMS} FROM ${t.tags} WHERE ${d.sql} GROUP BY tag ORDER BY cost_micros DESC, requests DESC LIMIT ${top.tags}`)
    .bind(...d.binds);
  // The end-user rollup carries no tags: with a tag filter it answers nothing rather than the unfiltered figures.
  const e = where(f, tier);
  const endUsers = db
    .prepare(
      `SELECT end_user AS id, ${SUMS} FROM ${t.endUsers} WHERE ${e.sql} ${f.tag ? 'AND 0 = 1' : ''}
       GROUP BY end_user ORDER BY cost_micros DESC, requests DESC LIMIT ${top.endUsers}`,
    )
    .bind(...e.binds);
  return { detail, tags, endUsers };
}

const int = (n: number) => String(Math.trunc(n));

/**
 * The shifted tier's statements (see Tier): the detail rows are the organisation's days, each
 * unit its bucket, and each boundary's correction grouped over its slots (unit n + boundary);
 * the top tags and end users are the whole range's days plus the first and last corrections,
 * signed, summed in SQLite. The corrections are a VALUES table joined to the slots (D1 allows few
 * terms in a compound SELECT; VALUES rows are not counted), ranges inlined as integers (D1 binds
 * at most 100 parameters).
 */
function shiftedQueries(db: D1Database, f: ScopeFilter, tier: ShiftedTier, top: { tags: number; endUsers: number }) {
  const n = tier.days.length - 1;
  const binds: unknown[] = [f.accountId, tier.tz];
  const tagged = filterTerms(f, binds, { tag: true })
    .map((t) => ` AND ${t}`)
    .join('');
  const endUserBinds: unknown[] = [f.accountId, tier.tz];
  const plain = [...filterTerms(f, endUserBinds, {}), ...(f.tag ? ['0 = 1'] : [])].map((t) => ` AND ${t}`).join('');
  const firstDay = int(tier.days[0]);
  const endDay = int(tier.days[n]);
  const bucketOfDay = tier.days
    .slice(1, n)
    .map((d, i) => `WHEN day < ${int(d)} THEN ${i}`)
    .join(' ');
  const dayUnit = bucketOfDay ? `CASE ${bucketOfDay} ELSE ${n - 1} END` : '0';
  const sums = 'sum(requests) AS requests, sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens, sum(cost_micros) AS cost_micros';
  const cols = 'requests, input_tokens, output_tokens, cost_micros';
  /** A CTE `e(i, s, a, b)` of the non-empty corrections among `edges` (index, sign, slots), or null when there are none. */
  const edgesCte = (edges: Array<{ i: number; s: number; e: Edge }>) => {
    const rows = edges.filter(({ e }) => e.end > e.first).map(({ i, s, e }) => `(${int(i)}, ${int(s)}, ${int(e.first)}, ${int(e.end)})`);
    return rows.length ? `WITH e(i, s, a, b) AS (VALUES ${rows.join(', ')}) ` : null;
  };

  const detailTables = f.tag
    ? { days: 'usage_rollup_tags_local_days', slots: 'usage_rollup_tags', member: 'NULL' }
    : { days: 'usage_rollup_local_days', slots: 'usage_rollup', member: 'r.member_id' };
  const days = `SELECT ${dayUnit} AS unit, project_id, key_id, model, ${f.tag ? 'NULL' : 'member_id'} AS member_id, ${cols} FROM ${detailTables.days}
     WHERE account_id = ?1 AND day >= ${firstDay} AND day < ${endDay} AND tz = ?2${tagged}`;
  const allEdges = edgesCte(tier.edges.map((e, i) => ({ i, s: 1, e })));
  const detail = db
    .prepare(
      allEdges
        ? `${allEdges}${days} UNION ALL SELECT ${n} + e.i AS unit, project_id, key_id, model, max(${detailTables.member}) AS member_id, ${sums}
           FROM e JOIN ${detailTables.slots} AS r ON r.account_id = ?1 AND r.slot >= e.a AND r.slot < e.b WHERE 1 = 1${tagged}
           GROUP BY e.i, project_id, key_id, model`
        : days,
    )
    .bind(...binds);

  // The whole range: its days, the first boundary's correction as the first bucket counts it, the last's as the last bucket does.
  const ranked = (daysTable: string, slotsTable: string, column: string, terms: string, limit: number) => {
    const cte = edgesCte([
      { i: 0, s: -tier.edges[0].sign, e: tier.edges[0] },
      { i: n, s: tier.edges[n].sign, e: tier.edges[n] },
    ]);
    const union = [
      `SELECT ${column} AS id, requests, input_tokens, output_tokens, cost_micros FROM ${daysTable}
       WHERE account_id = ?1 AND day >= ${firstDay} AND day < ${endDay} AND tz = ?2${terms}`,
    ];
    if (cte)
      union.push(`SELECT ${column} AS id, e.s * requests, e.s * input_tokens, e.s * output_tokens, e.s * cost_micros
         FROM e JOIN ${slotsTable} AS r ON r.account_id = ?1 AND r.slot >= e.a AND r.slot < e.b WHERE 1 = 1${terms}`);
    return `${cte ?? ''}SELECT id, ${sums} FROM (${union.join(' UNION ALL ')}) GROUP BY id HAVING sum(requests) > 0
            ORDER BY cost_micros DESC, requests DESC LIMIT ${int(limit)}`;
  };
  const tags = db.prepare(ranked('usage_rollup_tags_local_days', 'usage_rollup_tags', 'tag', tagged, top.tags)).bind(...binds);
  // The end-user rollup carries no tags: with a tag filter it answers nothing rather than the unfiltered figures.
  const endUsers = db.prepare(ranked('usage_rollup_end_users_local_days', 'usage_rollup_end_users', 'end_user', plain, top.endUsers)).bind(...endUserBinds);
  return { detail, tags, endUsers };
}

/**
 * Requests, tokens and cost of whole slots `[first, end)` for the usage list's filters, from the
 * rollup that carries them (the tag or end-user rollup when filtered by one), or null when one
 * rollup cannot answer (a tag and an end user at once).
 */
export function rollupTotals(db: D1Database, f: ScopeFilter, first: number, end: number): D1PreparedStatement | null {
  if (f.tag && f.endUser) return null;
  const tier: Tier = { kind: 'slots', first, end };
  const table = f.tag ? 'usage_rollup_tags' : f.endUser ? 'usage_rollup_end_users' : 'usage_rollup';
  const w = where(f, tier, { tag: true, endUser: true });
  return db
    .prepare(
      `SELECT coalesce(sum(requests), 0) AS requests, coalesce(sum(input_tokens), 0) AS inputTokens, coalesce(sum(output_tokens), 0) AS outputTokens,
              coalesce(sum(cost_micros), 0) AS costMicros FROM ${table} WHERE ${w.sql}`,
    )
    .bind(...w.binds);
}

/**
 * Requests and cost in several windows at once (today, this month, last month…), for an
 * organisation or only some of its projects. `windows` are `[from, to)` in epoch ms.
 */
export function windowTotals(db: D1Database, accountId: string, projects: string[] | null, windows: Array<[number, number]>): D1PreparedStatement {
  const binds: unknown[] = [accountId];
  const cols = windows.map(([from, to], i) => {
    const { first, end } = slotRange(from, to);
    const a = binds.push(first);
    const b = binds.push(end);
    return `coalesce(sum(CASE WHEN slot >= ?${a} AND slot < ?${b} THEN requests END), 0) AS r${i},
            coalesce(sum(CASE WHEN slot >= ?${a} AND slot < ?${b} THEN cost_micros END), 0) AS c${i}`;
  });
  const spans = windows.map(([from, to]) => slotRange(from, to));
  const lo = binds.push(Math.min(...spans.map((s) => s.first)));
  const hi = binds.push(Math.max(...spans.map((s) => s.end)));
  const table = projects ? 'usage_rollup' : 'usage_rollup_accounts';
  const restrict = projects ? ` AND ${projects.length ? `project_id IN (${projects.map((p) => `?${binds.push(p)}`).join(', ')})` : '0 = 1'}` : '';
  return db.prepare(`SELECT ${cols.join(', ')} FROM ${table} WHERE account_id = ?1 AND slot >= ?${lo} AND slot < ?${hi}${restrict}`).bind(...binds);
}

/** Reads `windowTotals`' row. */
export function readWindowTotals(row: Record<string, number> | null | undefined, n: number): Array<{ requests: number; costMicros: number }> {
  return Array.from({ length: n }, (_, i) => ({ requests: row?.[`r${i}`] ?? 0, costMicros: row?.[`c${i}`] ?? 0 }));
}

/** Platform statements over `[from, to)`: per slot, per model, the latency histogram, top organisations. */
export function platformQueries(db: D1Database, from: number, to: number) {
  const { first, end } = slotRange(from, to);
  const series = db
    .prepare(
      `SELECT slot, sum(requests) AS requests, sum(input_tokens + output_tokens) AS tokens, sum(cost_micros) AS revenue, sum(errors) AS errors
       FROM usage_rollup_models WHERE slot >= ?1 AND slot < ?2 GROUP BY slot`,
    )
    .bind(first, end);
  const models = db
    .prepare(
      `SELECT model, sum(requests) AS requests, sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
              sum(cost_micros) AS revenue, sum(errors) AS errors
       FROM usage_rollup_models WHERE slot >= ?1 AND slot < ?2 GROUP BY model ORDER BY revenue DESC, model`,
    )
    .bind(first, end);
  const latency = db
    .prepare('SELECT model, le_ms, sum(n) AS n FROM usage_latency WHERE hour >= ?1 AND hour < ?2 GROUP BY model, le_ms HAVING sum(n) > 0 ORDER BY model, le_ms')
    .bind(Math.floor(from / HOUR_MS), Math.ceil(to / HOUR_MS));
  // Whole UTC days from the daily rollup, the partial days at the edges from the 15-minute one.
  const firstDay = Math.ceil(from / DAY_MS);
  const endDay = Math.floor(to / DAY_MS);
  const slotsPerDay = DAY_MS / SLOT_MS;
  const parts: string[] = [];
  const binds: number[] = [];
  const slots = (a: number, b: number) => {
    if (a >= b) return;
    parts.push(`SELECT account_id, requests, cost_micros FROM usage_rollup_accounts WHERE slot >= ?${binds.push(a)} AND slot < ?${binds.push(b)}`);
  };
  if (endDay > firstDay) {
    parts.push(`SELECT account_id, requests, cost_micros FROM usage_rollup_days WHERE day >= ?${binds.push(firstDay)} AND day < ?${binds.push(endDay)}`);
    slots(first, firstDay * slotsPerDay);
    slots(endDay * slotsPerDay, end);
  } else slots(first, end);
  const top = db
    .prepare(
      `SELECT r.account_id, a.name, sum(r.requests) AS requests, sum(r.cost_micros) AS revenue FROM (${parts.join(' UNION ALL ')}) AS r
       LEFT JOIN accounts a ON a.id = r.account_id GROUP BY r.account_id ORDER BY revenue DESC, requests DESC LIMIT 10`,
    )
    .bind(...binds);
  return { series, models, latency, top };
}

/**
 * Nearest-rank percentiles from a histogram: the upper edge of the bucket holding rank ⌈p·n/100⌉.
 * `bins` must be in ascending `le` order.
 */
export function histogramPercentile(bins: Array<{ le: number; n: number }>, p: number): number | null {
  const total = bins.reduce((a, b) => a + b.n, 0);
  if (total === 0) return null;
  const rank = Math.ceil((p * total) / 100);
  let seen = 0;
  for (const b of bins) {
    seen += b.n;
    if (seen >= rank) return b.le;
  }
  return bins[bins.length - 1].le;
}

/** The histogram's bucket edges (ms): 1-1.25-1.5-2-2.5-3-4-5-6-8 steps per decade, as the trigger in migrations/0007 bins them. */
export const LATENCY_EDGES: readonly number[] = (() => {
  const out: number[] = [];
  for (let k = 0; k < 6; k++) {
    for (const m of [1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 8]) {
      const v = Math.ceil(m * 10 ** k);
      if (!out.includes(v)) out.push(v);
    }
  }
  out.push(1_000_000);
  return out;
})();
