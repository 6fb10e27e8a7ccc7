/**
 * @module api/forecast-types
 * `GET /api/account/forecast` (worker/routes/api/forecast.ts): the balance runway and each
 * budget's window projected to its end. Money in integer µUSD; dates are local YYYY-MM-DD.
 */

export interface ForecastDay {
  date: string;
  costMicros: number;
}

export interface BudgetForecast {
  budgetId: string;
  name: string;
  scope: string;
  window: 'hour' | 'day' | 'week' | 'month' | 'lifetime';
  amountMicros: number;
  windowStart: number;
  resetsAt: number | null;
  endUser: string | null;
  spentMicros: number;
  /** Null for lifetime budgets (no window end). */
  projectedMicros: number | null;
  predictedBreach: boolean;
  breachOn: string | null;
  method: 'scope_history' | 'organization_ratio';
}

export interface Forecast {
  method: string;
  model: 'weekday' | 'flat' | 'none';
  level: number;
  timezone: string;
  today: string;
  history: ForecastDay[];
  projection: ForecastDay[];
  runway: { balanceMicros: number; runsOutOn: string | null; days: number | null; dailyPaceMicros: number };
  budgets: BudgetForecast[];
}
