/**
 * @module analytics/anomalies-daily
 * The daily anomaly detectors, as pure functions over an organisation's series of local days
 * (oldest first; the last entry is the last complete local day, the one judged). No I/O: the
 * hourly job (./anomalies-job.ts) reads the series from the daily rollups and records what these
 * find. Money stays integer µUSD; σ and ratios are doubles, and every threshold derived from them
 * is rounded up to a whole µUSD.
 *
 * - **daily_jump** (the prompt-injection and bug signature): the last day's cost rose more than
 *   `jumpPercent` % over the day before *and* its cost per request rose more than `jumpPercent` %
 *   too, i.e. cost grew faster than requests can explain. Both days must cost at least
 *   `minDayMicros` and carry requests. Ten times the traffic at the same price per request is
 *   growth, not an anomaly.
 * - **daily_outlier**: the last day cost more than `sigma` standard deviations above the mean of
 *   the (up to) 14 days before it; at least 7 days of history are needed, and the day must cost at
 *   least `minDayMicros`. σ is the population standard deviation of those days, but never less
 *   than 5 % of their mean, so a perfectly steady history does not turn a cent's change into an
 *   infinite σ. A day that costs less than usual is not flagged: it is no spending risk.
 */

/** One local day of an organisation's usage. */
export interface DayPoint {
  /** The local date, YYYY-MM-DD. */
  day: string;
  costMicros: number;
  requests: number;
}

/** The daily detectors' settings (the `daily` part of the account object's AnomalySettings). */
export interface DailySettings {
  enabled: boolean;
  jumpPercent: number;
  sigma: number;
  minDayMicros: number;
}

/** What one detector found about the last day: the numbers behind it, ready to record. */
export interface DailyFinding {
  kind: 'daily_jump' | 'daily_outlier';
  day: string;
  observedMicros: number;
  baselineMicros: number;
  /** The cost the day had to exceed (the exact bound, rounded up). */
  thresholdMicros: number;
  requests: number;
  baselineRequests: number;
  details: Record<string, number>;
}

/** Days of history the outlier detector compares against, and the fewest it needs. */
export const OUTLIER_WINDOW_DAYS = 14;
export const OUTLIER_MIN_HISTORY_DAYS = 7;
/** σ is at least this fraction of the mean (see the module comment). */
const MIN_SIGMA_OF_MEAN = 0.05;

const pct = (now: number, before: number): number => (before === 0 ? 0 : Math.round(((now - before) / before) * 1000) / 10);
const ceilDiv = (n: bigint, d: bigint): bigint => (n + d - 1n) / d;

/** The cost-per-request jump of the last day over the one before it, or null. */
export function detectJump(series: readonly DayPoint[], s: DailySettings): DailyFinding | null {
  if (series.length < 2) return null;
  const prev = series[series.length - 2];
  const last = series[series.length - 1];
  if (prev.costMicros < s.minDayMicros || last.costMicros < s.minDayMicros) return null;
  if (prev.costMicros <= 0 || prev.requests <= 0 || last.requests <= 0) return null;
  // Exact in integers: cost > prev·(1+j)·max(1, req/prevReq), i.e. both cost and cost per request up more than j.
  // jumpPercent is kept to hundredths of a percent (basis points) so the comparison stays integral.
  const factor = 10_000n + BigInt(Math.round(s.jumpPercent * 100));
  const numerator = BigInt(prev.costMicros) * factor * BigInt(Math.max(prev.requests, last.requests));
  const denominator = 10_000n * BigInt(prev.requests);
  if (BigInt(last.costMicros) * denominator <= numerator) return null;
  const cpr = last.costMicros / last.requests;
  const prevCpr = prev.costMicros / prev.requests;
  return {
    kind: 'daily_jump',
    day: last.day,
    observedMicros: last.costMicros,
    baselineMicros: prev.costMicros,
    thresholdMicros: Number(ceilDiv(numerator, denominator)),
    requests: last.requests,
    baselineRequests: prev.requests,
    details: {
      jumpPercent: s.jumpPercent,
      minDayMicros: s.minDayMicros,
      costChangePercent: pct(last.costMicros, prev.costMicros),
      requestsChangePercent: pct(last.requests, prev.requests),
      costPerRequestMicros: Math.ceil(cpr),
      baselineCostPerRequestMicros: Math.ceil(prevCpr),
      costPerRequestChangePercent: pct(cpr, prevCpr),
    },
  };
}

/** The last day as an outlier above the trailing 14-day mean, or null. */
export function detectOutlier(series: readonly DayPoint[], s: DailySettings): DailyFinding | null {
  const last = series[series.length - 1];
  const history = series.slice(Math.max(0, series.length - 1 - OUTLIER_WINDOW_DAYS), series.length - 1);
  if (!last || history.length < OUTLIER_MIN_HISTORY_DAYS || last.costMicros < s.minDayMicros) return null;
  const n = history.length;
  const mean = history.reduce((a, d) => a + d.costMicros, 0) / n;
  const sd = Math.sqrt(history.reduce((a, d) => a + (d.costMicros - mean) ** 2, 0) / n);
  const sigmaUsed = Math.max(sd, mean * MIN_SIGMA_OF_MEAN);
  const bound = mean + s.sigma * sigmaUsed;
  if (!(last.costMicros > bound)) return null;
  const meanRequests = history.reduce((a, d) => a + d.requests, 0) / n;
  return {
    kind: 'daily_outlier',
    day: last.day,
    observedMicros: last.costMicros,
    baselineMicros: Math.ceil(mean),
    thresholdMicros: Math.ceil(bound),
    requests: last.requests,
    baselineRequests: Math.ceil(meanRequests),
    details: {
      sigma: s.sigma,
      minDayMicros: s.minDayMicros,
      historyDays: n,
      stdDevMicros: Math.ceil(sd),
      sigmaUsedMicros: Math.ceil(sigmaUsed),
      // Infinity cannot be JSON: a zero σ (all-zero history) reports 0 rather than an unbounded figure.
      observedSigmas: sigmaUsed > 0 ? Math.round(((last.costMicros - mean) / sigmaUsed) * 10) / 10 : 0,
    },
  };
}

/** Every daily anomaly of the last day of `series` under `settings` (none when disabled). */
export function detectDaily(series: readonly DayPoint[], settings: DailySettings): DailyFinding[] {
  if (!settings.enabled) return [];
  return [detectJump(series, settings), detectOutlier(series, settings)].filter((f): f is DailyFinding => f !== null);
}

/**
 * The loosest settings the API accepts: what they find is a superset of what any organisation's
 * settings find, so the job asks an organisation's object for its settings only when these find
 * something.
 */
export const LOOSEST_DAILY: DailySettings = { enabled: true, jumpPercent: 10, sigma: 1, minDayMicros: 0 };
