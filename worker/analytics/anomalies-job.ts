/**
 * @module analytics/anomalies-job
 * The hourly job of the daily anomaly detectors (./anomalies-daily.ts): for each organisation
 * whose local day has ended, judge that last complete local day against the days before it, read
 * from the daily rollups in the organisation's zone, and record each anomaly once with its alert.
 *
 * Exactly once without a lock: the anomaly row is `INSERT OR IGNORE` on its dedupe key
 * (`daily_jump:<account>:<day>`), the alert and its deliveries are `INSERT OR IGNORE` on the
 * alert's key, and all three go in one D1 batch (one transaction). Every hourly run of the
 * following day judges the same day again (late settlements can still lift it) and records
 * nothing twice.
 *
 * Bounded work: organisations are read in pages of `pageSize` (one D1 batch of indexed range reads
 * each), at most `maxAccounts` per run; the account object is asked for its thresholds only when the
 * loosest settings the API allows already find something.
 */
import { accountObject } from '../services/accounts';
import type { Env } from '../env';
import { LocalClock } from '../lib/local-clock';
import { newId } from '../lib/ids';
import { usdText } from '../lib/money';
import { alertStatements } from '../notifications/alerts';
import { type DailyFinding, type DayPoint, detectDaily, LOOSEST_DAILY, OUTLIER_WINDOW_DAYS } from './anomalies-daily';

const DAY_MS = 86_400_000;

/** What one run did. */
export interface DailyRun {
  accounts: number;
  /** Organisations whose thresholds were read (something looked anomalous under the loosest settings). */
  checked: number;
  /** Anomalies recorded now (not counting those an earlier run recorded). */
  recorded: number;
  /** Whether organisations were left for the next run (more than maxAccounts). */
  more: boolean;
}

interface DayRow {
  day: number;
  tz: string;
  cost: number;
  requests: number;
}

/** The date of a day number (days since 1970-01-01 of the local date), YYYY-MM-DD. */
const isoDay = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);
const dayWords = (day: number): string => new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', timeZone: 'UTC' }).format(new Date(day * DAY_MS));

/** The local day number of an instant in a zone, as the daily rollups count it. */
function dayNumber(clock: LocalClock, ms: number): number {
  const p = clock.parts(ms);
  return Date.UTC(p.year, p.month - 1, p.day) / DAY_MS;
}

/**
 * The organisation's last complete local day and the days before it, zero-filled, in the zone its
 * latest usage was counted in. History starts at its first usage in the window and after any day
 * counted in another zone (a change of zone), so neither counts as days without spend.
 */
export function seriesOf(rows: readonly DayRow[], now: number): { series: DayPoint[]; day: number; clock: LocalClock } | null {
  if (rows.length === 0) return null;
  const latest = rows.reduce((a, r) => (r.day > a.day ? r : a));
  let clock: LocalClock;
  try {
    clock = new LocalClock(latest.tz);
  } catch {
    return null;
  }
  const target = dayNumber(clock, now) - 1;
  const mine = new Map<number, DayRow>();
  let start = target - OUTLIER_WINDOW_DAYS;
  for (const r of rows) {
    if (r.day > target) continue;
    if (r.tz === latest.tz) mine.set(r.day, r);
    else start = Math.max(start, r.day + 1);
  }
  if (!mine.has(target)) return null;
  const first = Math.max(start, Math.min(...mine.keys()));
  const series: DayPoint[] = [];
  for (let d = first; d <= target; d++) {
    const r = mine.get(d);
    series.push({ day: isoDay(d), costMicros: r?.cost ?? 0, requests: r?.requests ?? 0 });
  }
  return { series, day: target, clock };
}

/** The alert's words: the numbers behind the anomaly. */
export function anomalyMessage(f: DailyFinding, day: number): string {
  const on = `Cost on ${dayWords(day)} was ${usdText(f.observedMicros)}`;
  if (f.kind === 'daily_outlier') {
    return (
      `${on}, ${f.details.observedSigmas}σ above the ${f.details.historyDays}-day mean of ${usdText(f.baselineMicros)} ` +
      `(the alert line at ${f.details.sigma}σ was ${usdText(f.thresholdMicros)}).`
    );
  }
  return (
    `${on}, up ${f.details.costChangePercent} % on the day before (${usdText(f.baselineMicros)}) while requests changed ` +
    `${f.details.requestsChangePercent} %: cost per request went from ${usdText(f.details.baselineCostPerRequestMicros)} to ` +
    `${usdText(f.details.costPerRequestMicros)} (alert above ${f.details.jumpPercent} %).`
  );
}

/** The D1 statements that record one daily anomaly and raise its `anomaly.daily` alert, each once. */
function recordStatements(db: D1Database, accountId: string, f: DailyFinding, day: number, clock: LocalClock, now: number): D1PreparedStatement[] {
  const date = new Date(day * DAY_MS);
  const [y, m, d] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
  const windowStart = clock.midnight(y, m, d);
  const windowEnd = clock.midnight(y, m, d + 1);
  const dedupeKey = `${f.kind}:${accountId}:${f.day}`;
  const details = { ...f.details, kind: f.kind, day: f.day, timeZone: clock.tz };
  return [
    db
      .prepare(
        `INSERT OR IGNORE INTO anomalies (id, account_id, kind, key_id, window_start, window_end, day, observed_micros, baseline_micros,
         threshold_micros, requests, baseline_requests, details, action, status, dedupe_key, created_at)
         VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'alerted', 'open', ?, ?)`,
      )
      .bind(
        newId('anm'),
        accountId,
        f.kind,
        windowStart,
        windowEnd,
        f.day,
        f.observedMicros,
        f.baselineMicros,
        f.thresholdMicros,
        f.requests,
        f.baselineRequests,
        JSON.stringify(f.details),
        dedupeKey,
        now,
      ),
    ...alertStatements(db, {
      type: 'anomaly.daily',
      accountId,
      dedupeKey: `anomaly:${dedupeKey}`,
      message: anomalyMessage(f, day),
      createdAt: now,
      window: 'day',
      windowStart,
      resetsAt: windowEnd,
      spentMicros: f.observedMicros,
      amountMicros: f.thresholdMicros,
      details: {
        ...details,
        observedMicros: f.observedMicros,
        baselineMicros: f.baselineMicros,
        thresholdMicros: f.thresholdMicros,
        requests: f.requests,
        baselineRequests: f.baselineRequests,
      },
    }),
  ];
}

const SERIES_SQL = `SELECT day, tz, sum(cost_micros) AS cost, sum(requests) AS requests FROM usage_rollup_local_days
  WHERE account_id = ?1 AND day >= ?2 AND day < ?3 GROUP BY day, tz`;

/** Judges every organisation's last complete local day (see the module comment). */
export async function detectDailyAnomalies(
  env: Env,
  now: number,
  opts: { pageSize?: number; maxAccounts?: number; recordedAt?: number } = {},
): Promise<DailyRun> {
  // `now` decides which day is judged; `recordedAt` (default `now`) stamps what is recorded (the demo judges past days).
  const { pageSize = 100, maxAccounts = 5_000, recordedAt = now } = opts;
  const run: DailyRun = { accounts: 0, checked: 0, recorded: 0, more: false };
  // Local day numbers are within a day of the UTC one; this covers the last complete day and its history in every zone.
  const utcDay = Math.floor(now / DAY_MS);
  const [fromDay, toDay] = [utcDay - OUTLIER_WINDOW_DAYS - 3, utcDay + 2];
  let cursor = '';
  while (run.accounts < maxAccounts) {
    const { results: page } = await env.DB.prepare("SELECT id FROM accounts WHERE id > ?1 AND status = 'active' ORDER BY id LIMIT ?2")
      .bind(cursor, pageSize)
      .all<{ id: string }>();
    if (page.length === 0) return run;
    cursor = page[page.length - 1].id;
    run.accounts += page.length;
    const reads = await env.DB.batch<DayRow>(page.map((a) => env.DB.prepare(SERIES_SQL).bind(a.id, fromDay, toDay)));
    const writes = await Promise.all(
      page.map(async (a, i) => {
        const found = seriesOf(reads[i].results, now);
        if (!found || detectDaily(found.series, LOOSEST_DAILY).length === 0) return [];
        run.checked += 1;
        try {
          const settings = await accountObject(env, a.id).anomalySettings();
          return detectDaily(found.series, settings.daily).flatMap((f) => recordStatements(env.DB, a.id, f, found.day, found.clock, recordedAt));
        } catch (error) {
          // One unreachable object must not stop the others; the next hourly run judges the same day again.
          console.log(JSON.stringify({ level: 'error', msg: 'daily anomaly check failed', accountId: a.id, error: String(error) }));
          return [];
        }
      }),
    );
    const statements = writes.flat();
    if (statements.length) {
      const results = await env.DB.batch(statements);
      // Every third statement is an anomaly insert; a change means it was recorded now.
      run.recorded += results.filter((r, i) => i % 3 === 0 && r.meta.changes > 0).length;
    }
    if (page.length < pageSize) return run;
  }
  run.more = true;
  return run;
}
