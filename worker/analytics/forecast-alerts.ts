/**
 * @module analytics/forecast-alerts
 * An organisation's forecast (its balance runway and every budget's window projected to its end,
 * by the method of ./forecast.ts), read from the daily rollups in the organisation's own zone and
 * the account object, and the hourly predicted-breach alert raised from it. The route
 * (routes/api/forecast.ts) and the alert read the same figures.
 */
import { describeAmount } from '../durable-objects/account/budgets';
import type { BudgetStatus } from '../durable-objects/account/types';
import type { Env } from '../env';
import { LocalClock } from '../lib/local-clock';
import { alertStatements } from '../notifications/alerts';
import { accountObject } from '../services/accounts';
import {
  balanceRunway,
  type DailySpend,
  fitModel,
  HORIZON_DAYS,
  projectDay,
  projectRestOfToday,
  projectWindow,
  scaleModel,
  type SpendModel,
  type TodayLeft,
  walk,
  weekdayOf,
} from './forecast';
import { readWindowTotals, windowTotals } from './rollups';

const DAY_MS = 86_400_000;
/** Days of history read: four of each weekday. */
export const HISTORY_DAYS = 28;
/** Days of projection shown after today. */
export const PROJECTION_DAYS = 28;

/** How a budget's rest of window was projected. */
export type ForecastMethod = 'scope_history' | 'organization_ratio';

export interface BudgetForecast {
  budget: BudgetStatus;
  /** The end user projected (end-user budgets: the one who spent most in this window). */
  endUser: string | null;
  spentMicros: number;
  /** Spent plus the forecast for the rest of the window; null for lifetime budgets (no window end). */
  projectedMicros: number | null;
  predictedBreach: boolean;
  /** The local day the budget is forecast to be passed (lifetime: when it is reached at this pace, within the horizon). */
  breachOn: number | null;
  method: ForecastMethod;
}

export interface OrganizationForecast {
  timezone: string;
  today: number;
  model: SpendModel;
  history: DailySpend[];
  projection: Array<{ day: number; costMicros: number }>;
  balanceMicros: number;
  runway: { runsOutOn: number | null; days: number | null; dailyPaceMicros: number };
  budgets: BudgetForecast[];
}

/** The local date of an instant as a day number, as the daily rollups count it. */
export function localDay(clock: LocalClock, ms: number): number {
  const p = clock.parts(ms);
  return Date.UTC(p.year, p.month - 1, p.day) / DAY_MS;
}

/** A day number as YYYY-MM-DD. */
export const dayDate = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);

/** The daily rollup's columns for each scope; end-user budgets are one bucket per end user, so they are projected by ratio instead. */
const SCOPE_COLUMNS: Record<BudgetStatus['scope'], Array<[string, 'projectId' | 'memberId' | 'keyId' | 'model']> | null> = {
  organization: [],
  project: [['project_id', 'projectId']],
  member: [['member_id', 'memberId']],
  key: [['key_id', 'keyId']],
  model: [
    ['model', 'model'],
    ['key_id', 'keyId'],
    ['project_id', 'projectId'],
  ],
  end_user: null,
};

/** The extra WHERE terms (binds from ?5) selecting a budget's scope in the daily rollup, or null when it is projected by ratio. */
function scopeTerms(b: BudgetStatus): { sql: string; binds: string[] } | null {
  const columns = SCOPE_COLUMNS[b.scope];
  if (!columns) return null;
  const set = columns.flatMap(([col, field]) => (b[field] ? [[col, b[field] as string] as const] : []));
  return { sql: set.map(([col], i) => ` AND ${col} = ?${i + 5}`).join(''), binds: set.map(([, v]) => v) };
}

/** Complete days `[first, today)`, zero-filled, from rows of (day, cost). */
function series(rows: Array<{ day: number; cost: number }>, first: number, today: number): DailySpend[] {
  const cost = new Map(rows.map((row) => [row.day, row.cost]));
  return Array.from({ length: Math.max(0, today - first) }, (_, i) => ({
    day: first + i,
    weekday: weekdayOf(first + i),
    costMicros: cost.get(first + i) ?? 0,
  }));
}

/** Reads and projects an organisation's spend. */
export async function organizationForecast(env: Env, accountId: string, now: number): Promise<OrganizationForecast>;
/** The same, or null (before reading D1) when the organisation has no budgets. */
export async function organizationForecast(env: Env, accountId: string, now: number, requireBudgets: true): Promise<OrganizationForecast | null>;
export async function organizationForecast(env: Env, accountId: string, now: number, requireBudgets = false): Promise<OrganizationForecast | null> {
  const stub = accountObject(env, accountId);
  const [budgets, calendar, summary] = await Promise.all([stub.listBudgets(), stub.calendar(), stub.summary()]);
  if (requireBudgets && budgets.length === 0) return null;
  const clock = new LocalClock(calendar.timezone);
  const today = localDay(clock, now);
  const day = clock.window('day', now);
  const todayEnd = day.end ?? now;
  const t: TodayLeft = { today, leftMs: todayEnd - now, dayMs: todayEnd - day.start };
  const db = env.DB;
  const daily = (extra: string, binds: string[]) =>
    db
      .prepare(
        `SELECT day, sum(cost_micros) AS cost FROM usage_rollup_local_days WHERE account_id = ?1 AND tz = ?2 AND day >= ?3 AND day < ?4${extra} GROUP BY day ORDER BY day`,
      )
      .bind(accountId, clock.tz, today - HISTORY_DAYS, today, ...binds);
  const scoped = budgets.map((b) => scopeTerms(b));
  // The ratio method needs what the organisation spent in each window so far (15-minute rollups: windows start on quarter hours).
  const ratioWindows = budgets.filter((b, i) => !scoped[i] && b.window !== 'lifetime').map((b): [number, number] => [b.windowStart, now + 1]);
  const results = await db.batch<Record<string, number>>([
    daily('', []),
    ...scoped.filter((s) => s !== null).map((s) => daily(s.sql, s.binds)),
    ...(ratioWindows.length ? [windowTotals(db, accountId, null, ratioWindows)] : []),
  ]);
  const orgRows = results[0].results as unknown as Array<{ day: number; cost: number }>;
  // History starts at the organisation's first day of spend in the range: days before it are not "zero days".
  const first = orgRows[0]?.day ?? today;
  const history = series(orgRows, first, today);
  const model = fitModel(history);
  const projection = [{ day: today, costMicros: projectRestOfToday(model, t) }];
  for (let i = 1; i <= PROJECTION_DAYS; i++) projection.push({ day: today + i, costMicros: projectDay(model, today + i) });
  const orgSoFar = ratioWindows.length ? readWindowTotals(results[results.length - 1].results[0], ratioWindows.length) : [];
  let scopeIndex = 1;
  let ratioIndex = 0;
  const forecasts = budgets.map((b, i): BudgetForecast => {
    const usage = [...b.usage].sort((x, y) => y.spentMicros - x.spentMicros)[0];
    const spentMicros = usage?.spentMicros ?? 0;
    const base = { budget: b, endUser: usage?.endUser ?? null, spentMicros };
    let scopeModel: SpendModel;
    let method: ForecastMethod;
    if (scoped[i]) {
      const rows = results[scopeIndex++].results as unknown as Array<{ day: number; cost: number }>;
      scopeModel = fitModel(series(rows, first, today));
      method = 'scope_history';
    } else {
      const soFar = b.window === 'lifetime' ? 0 : (orgSoFar[ratioIndex++]?.costMicros ?? 0);
      scopeModel = scaleModel(model, spentMicros, soFar);
      method = 'organization_ratio';
    }
    if (b.window === 'lifetime' || b.resetsAt === null) {
      const reach = walk(scopeModel, t, HORIZON_DAYS, b.amountMicros - spentMicros);
      return { ...base, projectedMicros: null, predictedBreach: false, breachOn: reach.reachedOn, method };
    }
    const end = b.resetsAt;
    // Hour windows: the rest of the hour at the day's forecast pace, spread evenly over the day.
    const rest: TodayLeft = { ...t, leftMs: Math.min(end, todayEnd) - now };
    const fullDays = end > todayEnd ? localDay(clock, end) - today - 1 : 0;
    return { ...base, ...projectWindow(scopeModel, spentMicros, b.amountMicros, rest, fullDays), method };
  });
  return {
    timezone: clock.tz,
    today,
    model,
    history,
    projection,
    balanceMicros: summary.balanceMicros,
    runway: balanceRunway(model, summary.balanceMicros, t),
    budgets: forecasts,
  };
}

const dateWords = (day: number): string => new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', timeZone: 'UTC' }).format(new Date(day * DAY_MS));

/** The one-sentence message of a predicted breach. */
export function forecastMessage(f: BudgetForecast, clock: LocalClock): string {
  const b = f.budget;
  const ends = b.resetsAt === null ? '' : `, before its window ends on ${dateWords(localDay(clock, b.resetsAt))}`;
  const when = f.breachOn === null ? '' : ` on ${dateWords(f.breachOn)}`;
  const who = f.endUser ? ` for end user '${f.endUser}'` : '';
  return `At this pace the budget '${b.name}' (${describeAmount(b).replace(' per ', ' a ')})${who} runs out${when}${ends}.`;
}

/** Organisations forecast per hourly run, at most. */
export const MAX_ORGANIZATIONS_PER_RUN = 300;

/**
 * Raises one `budget.forecast` alert per budget and window for every budget forecast to pass its
 * amount before its window ends (day, week and month windows; hour windows are shorter than the
 * hourly run, lifetime ones have no end, and a budget already passed has its 100 % alert).
 * Organisations that spent nothing in the last week cannot be forecast to spend: only the others
 * are read, at most `limit` per run, rotating through them hour by hour when there are more.
 */
export async function raiseForecastAlerts(env: Env, now: number, limit = MAX_ORGANIZATIONS_PER_RUN): Promise<{ organizations: number; alerts: number }> {
  const since = Math.floor(now / DAY_MS) - 7;
  const active = `SELECT DISTINCT r.account_id AS id FROM usage_rollup_days r JOIN accounts a ON a.id = r.account_id WHERE r.day >= ?1 AND a.status = 'active'`;
  const count = (await env.DB.prepare(`SELECT count(*) AS n FROM (${active})`).bind(since).first<{ n: number }>())?.n ?? 0;
  const offset = count > limit ? (Math.floor(now / 3_600_000) * limit) % count : 0;
  const { results } = await env.DB.prepare(`${active} ORDER BY r.account_id LIMIT ?2 OFFSET ?3`).bind(since, limit, offset).all<{ id: string }>();
  let alerts = 0;
  for (const { id } of results) {
    const f = await organizationForecast(env, id, now, true);
    if (!f) continue;
    const clock = new LocalClock(f.timezone);
    const statements = f.budgets
      .filter(
        (b) => b.predictedBreach && b.spentMicros <= b.budget.amountMicros && b.budget.resetsAt !== null && ['day', 'week', 'month'].includes(b.budget.window),
      )
      .flatMap((b) =>
        alertStatements(env.DB, {
          type: 'budget.forecast',
          accountId: id,
          dedupeKey: `forecast:${b.budget.id}:${b.budget.windowStart}`,
          message: forecastMessage(b, clock),
          createdAt: now,
          budgetId: b.budget.id,
          budgetName: b.budget.name,
          scope: b.budget.scope,
          endUser: b.endUser,
          window: b.budget.window,
          windowStart: b.budget.windowStart,
          resetsAt: b.budget.resetsAt,
          spentMicros: b.spentMicros,
          amountMicros: b.budget.amountMicros,
          action: b.budget.action,
          details: {
            projectedMicros: b.projectedMicros,
            breachOn: b.breachOn === null ? null : dayDate(b.breachOn),
            method: b.method,
            dailyPaceMicros: f.runway.dailyPaceMicros,
            historyDays: f.model.historyDays,
            model: f.model.kind,
          },
        }),
      );
    if (statements.length === 0) continue;
    const done = await env.DB.batch(statements);
    // Every other statement records an alert; an existing one (a rerun) changes nothing.
    alerts += done.filter((_, i) => i % 2 === 0).reduce((n, r) => n + (r.meta.changes ?? 0), 0);
  }
  return { organizations: results.length, alerts };
}
