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
 * Which rollups a view reads: the 15-minute ones (`slots`, any zone and range), or the daily ones
 * in the organisation's zone (`days`, when the view is in local days of that zone and every day in
 * the range was counted in it).
 */
export type Tier = { kind: 'slots'; first: number; end: number; buckets?: number[] } | { kind: 'days'; tz: string; firstDay: number; endDay: number };

/**
 * The SQL that names each row's unit: the slot or day itself, or, when the slot tier knows its
 * buckets (the first slot of each, ascending), the bucket's index, so SQLite folds the slots into
 * buckets and a few rows per combination leave the database instead of every slot.
 */
function unitSql(tier: Tier): { expr: string; grouped: boolean } {
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

/** A WHERE clause over one rollup table of the tier with its binds, for the organisation and range. */
function where(f: ScopeFilter, tier: Tier, opts: { tag?: boolean; endUser?: boolean } = {}): { sql: string; binds: unknown[] } {
  const binds: unknown[] = tier.kind === 'slots' ? [f.accountId, tier.first, tier.end] : [f.accountId, tier.firstDay, tier.endDay, tier.tz];
  const unit = TABLES[tier.kind].unit;
  const terms = ['account_id = ?1', `${unit} >= ?2`, `${unit} < ?3`];
  if (tier.kind === 'days') terms.push('tz = ?4');
  if (f.keyId) terms.push(`key_id = ?${binds.push(f.keyId)}`);
  if (f.model) terms.push(`model = ?${binds.push(f.model)}`);
  if (f.projectId) terms.push(`project_id = ?${binds.push(f.projectId)}`);
  if (opts.tag && f.tag) terms.push(`tag = ?${binds.push(f.tag)}`);
  if (opts.endUser && f.endUser) terms.push(`end_user = ?${binds.push(f.endUser)}`);
  if (f.projects) terms.push(f.projects.length ? `project_id IN (${f.projects.map((p) => `?${binds.push(p)}`).join(', ')})` : '0 = 1');
  return { sql: terms.join(' AND '), binds };
}

/** Whether any day of an organisation in `[firstDay, endDay)` was counted in another zone than `tz` (then the daily tier cannot answer in `tz`). */
export function otherZoneDays(db: D1Database, accountId: string, tz: string, firstDay: number, endDay: number): D1PreparedStatement {
  return db
    .prepare('SELECT 1 AS found FROM usage_rollup_local_days WHERE account_id = ?1 AND day >= ?2 AND day < ?3 AND tz <> ?4 LIMIT 1')
    .bind(accountId, firstDay, endDay, tz);
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
