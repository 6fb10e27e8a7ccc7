/**
 * @module routes/api/forecast
 * `GET /api/account/forecast`: the balance's runway and each budget's window projected to its end
 * (analytics/forecast.ts for the method, analytics/forecast-alerts.ts for what is read). Any member
 * may read it, as the budgets and the balance it is built from; the runway is the organisation's,
 * so its history is the organisation's whole spend whatever the caller's projects.
 */
import { dayDate, organizationForecast } from '../../analytics/forecast-alerts';
import { ratioNumber } from '../../analytics/forecast';
import { apiRouter, defineRoute, json, z } from './contract';
import { callerAccount } from './caller';

/** The method in plain words, as the dashboard shows it. */
export const METHOD_TEXT =
  'Each weekday’s typical spend is the median of its last four occurrences, so one unusual day never sets the forecast; ' +
  'that weekly shape is scaled to the last seven days’ level (the median of each recent day’s spend over its weekday’s typical spend). ' +
  'With under two weeks of history every day is forecast at the median day so far. It follows the recent level and does not extrapolate growth.';

const Day = z.object({
  date: z.string().describe('Local date in the organisation’s zone, YYYY-MM-DD.'),
  costMicros: z.number().int().describe('µUSD; projections are rounded up to whole µUSD.'),
});

const BudgetForecastView = z
  .object({
    budgetId: z.string(),
    name: z.string(),
    scope: z.string(),
    window: z.enum(['hour', 'day', 'week', 'month', 'lifetime']),
    amountMicros: z.number().int(),
    windowStart: z.number().int().describe('Start of the current window (epoch ms; 0 for lifetime).'),
    resetsAt: z.number().int().nullable().describe('When the window ends (epoch ms); null for lifetime.'),
    endUser: z.string().nullable().describe('End-user budgets: the end user projected (the one who spent most in this window).'),
    spentMicros: z.number().int().describe('Spent in the current window so far (the account object’s figure).'),
    projectedMicros: z.number().int().nullable().describe('Spent plus the forecast for the rest of the window; null for lifetime budgets.'),
    predictedBreach: z.boolean().describe('The projection exceeds the amount before the window ends (always false for lifetime budgets).'),
    breachOn: z
      .string()
      .nullable()
      .describe('Local date the amount is forecast to be passed; for lifetime budgets when it is reached at this pace (within 365 days).'),
    method: z
      .enum(['scope_history', 'organization_ratio'])
      .describe(
        'scope_history: the scope’s own daily rollups (organisation, project, member, key, model); ' +
          'organization_ratio: spent so far × the organisation’s forecast-to-spent ratio for the window (end-user budgets, one bucket per end user).',
      ),
  })
  .openapi('BudgetForecast');

const Forecast = z
  .object({
    method: z.string().describe('How the forecast is made, in plain words.'),
    model: z.enum(['weekday', 'flat', 'none']).describe('weekday: ≥ 14 days of history; flat: fewer (median day); none: no spend yet.'),
    level: z.number().describe('The recent level against the weekly profile (1 = as usual); a ratio, not money.'),
    timezone: z.string(),
    today: z.string().describe('Today’s local date.'),
    history: z.array(Day).describe('Complete local days used (up to 28, from the first day with spend), oldest first.'),
    projection: z.array(Day).describe('Today’s remaining spend, then the next 28 days, forecast.'),
    runway: z.object({
      balanceMicros: z.number().int(),
      runsOutOn: z.string().nullable().describe('Local date the balance is forecast to run out; null: no spend, or beyond 365 days.'),
      days: z.number().int().nullable().describe('Days from today (0: today).'),
      dailyPaceMicros: z.number().int().describe('The average forecast day over a week.'),
    }),
    budgets: z.array(BudgetForecastView),
  })
  .openapi('Forecast');

const get = defineRoute('management', {
  method: 'get',
  path: '/',
  // The whole organisation's spend, balance and budgets: for those who run its money (a developer sees only their projects' usage).
  role: 'admin',
  summary: 'Balance runway and each budget’s projected spend at the end of its window, with predicted breaches',
  tags: ['Analytics'],
  responses: { 200: json(Forecast, 'The forecast') },
});

export const forecastRoutes = apiRouter().openapi(get, async (c) => {
  const f = await organizationForecast(c.env, callerAccount(c), Date.now());
  const day = (d: { day: number; costMicros: number }) => ({ date: dayDate(d.day), costMicros: d.costMicros });
  return c.json(
    {
      method: METHOD_TEXT,
      model: f.model.kind,
      level: ratioNumber(f.model.level),
      timezone: f.timezone,
      today: dayDate(f.today),
      history: f.history.map(day),
      projection: f.projection.map(day),
      runway: {
        balanceMicros: f.balanceMicros,
        runsOutOn: f.runway.runsOutOn === null ? null : dayDate(f.runway.runsOutOn),
        days: f.runway.days,
        dailyPaceMicros: f.runway.dailyPaceMicros,
      },
      budgets: f.budgets.map((b) => ({
        budgetId: b.budget.id,
        name: b.budget.name,
        scope: b.budget.scope,
        window: b.budget.window,
        amountMicros: b.budget.amountMicros,
        windowStart: b.budget.windowStart,
        resetsAt: b.budget.resetsAt,
        endUser: b.endUser,
        spentMicros: b.spentMicros,
        projectedMicros: b.projectedMicros,
        predictedBreach: b.predictedBreach,
        breachOn: b.breachOn === null ? null : dayDate(b.breachOn),
        method: b.method,
      })),
    },
    200,
  );
});
