/**
 * @module analytics/forecast
 * Spend forecasts from daily history (pure: no I/O). The method, as the dashboard explains it:
 * the typical spend of each weekday is the median of its last four occurrences, so one unusual day
 * never sets the forecast; that weekly shape is then scaled to the last seven days' level (the
 * median of each recent day's spend over its weekday's typical spend). With under two weeks of
 * history every day is forecast at the median day so far.
 *
 * Arithmetic is exact: medians and the level are fractions of big integers, and a projected day
 * is rounded up to whole µUSD once, so a forecast never drifts by float error.
 */

/** Weeks of each weekday the profile looks back at. */
export const PROFILE_WEEKS = 4;
/** Complete days of history needed for the weekday profile (two of each weekday). */
export const WEEKDAY_MIN_DAYS = 14;
/** How far ahead a runway is walked before it is called "beyond the horizon". */
export const HORIZON_DAYS = 365;

/** One complete local day of spend; `day` is days since 1970-01-01 of the local date. */
export interface DailySpend {
  day: number;
  /** 0 Sunday … 6 Saturday. */
  weekday: number;
  costMicros: number;
}

/** An exact non-negative fraction. */
export interface Ratio {
  num: bigint;
  den: bigint;
}

/** A fitted forecast: what a typical day of each weekday costs, times the recent level. */
export interface SpendModel {
  kind: 'weekday' | 'flat' | 'none';
  /** Typical spend per weekday (index 0 Sunday … 6 Saturday), before the level. */
  profile: Ratio[];
  level: Ratio;
  historyDays: number;
}

/** The part of today still to come, as `leftMs` of a day lasting `dayMs` (23 to 25 hours across DST). */
export interface TodayLeft {
  today: number;
  leftMs: number;
  dayMs: number;
}

const r = (num: bigint | number, den: bigint | number = 1n): Ratio => ({ num: BigInt(num), den: BigInt(den) });
const ZERO = r(0);
const ONE = r(1);
const cmp = (a: Ratio, b: Ratio): number => {
  const d = a.num * b.den - b.num * a.den;
  return d > 0n ? 1 : d < 0n ? -1 : 0;
};
const add = (a: Ratio, b: Ratio): Ratio => r(a.num * b.den + b.num * a.den, a.den * b.den);
const mul = (a: Ratio, b: Ratio): Ratio => r(a.num * b.num, a.den * b.den);

/** Rounds a non-negative fraction of µUSD up to whole µUSD. */
export function ceilMicros(x: Ratio): number {
  return Number((x.num + x.den - 1n) / x.den);
}

/** A fraction as a number, for display only (never for money). */
export const ratioNumber = (x: Ratio): number => Number((x.num * 1_000_000n) / x.den) / 1_000_000;

/** The weekday of a day number (1970-01-01 was a Thursday). */
export const weekdayOf = (day: number): number => (((day + 4) % 7) + 7) % 7;

/** The median of fractions: the middle one, or the mean of the middle two. */
function median(values: Ratio[]): Ratio {
  if (values.length === 0) return ZERO;
  const sorted = [...values].sort(cmp);
  const mid = sorted.length >> 1;
  if (sorted.length % 2 === 1) return sorted[mid];
  return mul(add(sorted[mid - 1], sorted[mid]), r(1, 2));
}

/** Fits the model to complete days of history, oldest first. */
export function fitModel(history: DailySpend[]): SpendModel {
  const historyDays = history.length;
  if (historyDays === 0) return { kind: 'none', profile: Array(7).fill(ZERO), level: ONE, historyDays };
  const flat = (days: DailySpend[]): SpendModel => {
    const m = median(days.map((d) => r(d.costMicros)));
    return { kind: 'flat', profile: Array(7).fill(m), level: ONE, historyDays };
  };
  if (historyDays < WEEKDAY_MIN_DAYS) return flat(history);
  const profile = Array.from({ length: 7 }, (_, w) =>
    median(
      history
        .filter((d) => d.weekday === w)
        .slice(-PROFILE_WEEKS)
        .map((d) => r(d.costMicros)),
    ),
  );
  // The level is a median of ratios, so one spike in the last week moves it by at most one rank.
  const recent = history.slice(-7);
  const ratios = recent.filter((d) => profile[d.weekday].num > 0n).map((d) => mul(r(d.costMicros), r(profile[d.weekday].den, profile[d.weekday].num)));
  // Spend that only began in the last week or two has a zero median everywhere: forecast it flat.
  if (ratios.length === 0) return recent.some((d) => d.costMicros > 0) ? flat(recent) : { kind: 'weekday', profile, level: ONE, historyDays };
  return { kind: 'weekday', profile, level: median(ratios), historyDays };
}

/** The forecast spend of one day as an exact fraction of µUSD. */
function dayRatio(model: SpendModel, day: number): Ratio {
  return mul(model.profile[weekdayOf(day)], model.level);
}

/** The forecast spend of one whole day, in µUSD (rounded up). */
export function projectDay(model: SpendModel, day: number): number {
  return ceilMicros(dayRatio(model, day));
}

/** The forecast spend of the rest of today, in µUSD (rounded up). */
export function projectRestOfToday(model: SpendModel, t: TodayLeft): number {
  if (t.leftMs <= 0 || t.dayMs <= 0) return 0;
  return ceilMicros(mul(dayRatio(model, t.today), r(Math.min(t.leftMs, t.dayMs), t.dayMs)));
}

/** The average forecast day over a week, in µUSD (rounded up): "the daily pace". */
export function dailyPace(model: SpendModel): number {
  const week = model.profile.reduce((sum, p) => add(sum, mul(p, model.level)), ZERO);
  return ceilMicros(mul(week, r(1, 7)));
}

/**
 * Walks forward from now: the rest of today, then `days` whole days. Returns what they are forecast
 * to spend and the first day on which the running total reaches `limit` (null: not within them).
 */
export function walk(model: SpendModel, t: TodayLeft, days: number, limit: number | null): { totalMicros: number; reachedOn: number | null } {
  if (limit !== null && limit <= 0) return { totalMicros: 0, reachedOn: t.today };
  let total = projectRestOfToday(model, t);
  let reachedOn = limit !== null && total >= limit ? t.today : null;
  for (let i = 1; i <= days; i++) {
    total += projectDay(model, t.today + i);
    if (reachedOn === null && limit !== null && total >= limit) reachedOn = t.today + i;
  }
  return { totalMicros: total, reachedOn };
}

/** The balance's runway: the day it is forecast to run out (null: no spend, or beyond the horizon), and the daily pace. */
export function balanceRunway(
  model: SpendModel,
  balanceMicros: number,
  t: TodayLeft,
  horizonDays = HORIZON_DAYS,
): { runsOutOn: number | null; days: number | null; dailyPaceMicros: number } {
  const pace = dailyPace(model);
  if (balanceMicros <= 0) return { runsOutOn: t.today, days: 0, dailyPaceMicros: pace };
  // Walk only while it can matter: stop at the first day the balance is gone.
  let left = balanceMicros - projectRestOfToday(model, t);
  if (left <= 0) return { runsOutOn: t.today, days: 0, dailyPaceMicros: pace };
  if (pace === 0) return { runsOutOn: null, days: null, dailyPaceMicros: 0 };
  for (let i = 1; i <= horizonDays; i++) {
    left -= projectDay(model, t.today + i);
    if (left <= 0) return { runsOutOn: t.today + i, days: i, dailyPaceMicros: pace };
  }
  return { runsOutOn: null, days: null, dailyPaceMicros: pace };
}

/** A budget window's forecast: spent so far plus the rest of the window; breached when that exceeds the amount. */
export interface WindowForecast {
  projectedMicros: number;
  predictedBreach: boolean;
  /** The day the spend is forecast to pass the amount (today when it already has), or null. */
  breachOn: number | null;
}

/** Projects a budget's window: `fullDays` whole days follow the rest of today before the window ends. */
export function projectWindow(model: SpendModel, spentMicros: number, amountMicros: number, t: TodayLeft, fullDays: number): WindowForecast {
  // Passing the amount means exceeding it: the limit is one µUSD over what is left.
  const { totalMicros, reachedOn } = walk(model, t, Math.max(0, fullDays), amountMicros - spentMicros + 1);
  const projectedMicros = spentMicros + totalMicros;
  return { projectedMicros, predictedBreach: projectedMicros > amountMicros, breachOn: reachedOn };
}

/**
 * The organisation's model scaled to a scope that has spent `scopeMicros` of the organisation's
 * `orgMicros` in the window so far: used where the scope's own daily history is not read.
 */
export function scaleModel(model: SpendModel, scopeMicros: number, orgMicros: number): SpendModel {
  if (orgMicros <= 0) return { ...model, level: ZERO };
  return { ...model, level: mul(model.level, r(scopeMicros, orgMicros)) };
}
