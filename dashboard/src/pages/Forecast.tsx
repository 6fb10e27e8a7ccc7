/**
 * @module pages/Forecast
 * Forecast: how long the balance lasts at the recent pace, each budget's spend projected to the
 * end of its window with predicted breaches highlighted, and the method in plain words (the API
 * sends the explanation, so the page and the forecast never disagree).
 */
import type { BudgetForecast, Forecast } from '../api/forecast-types';
import { useResource } from '../api/use-resource';
import { LineChart, chartUsd } from '../components/charts';
import { type Column, DataTable, resourceState } from '../components/DataTable';
import { PageHeader, Stat } from '../components/PageHeader';
import { Empty, ErrorNote, Loading, Notice } from '../components/states';
import { microsToChartDollars, usdPlain, usdTotal } from '../lib/money';
import { formatCount, formatDate, formatDateTime } from '../lib/time';

const DESCRIPTION = 'When your balance runs out and which budgets will run out before their window ends, at the recent pace.';
const WINDOW_WORDS: Record<BudgetForecast['window'], string> = { hour: 'an hour', day: 'a day', week: 'a week', month: 'a month', lifetime: 'in total' };

/** "at the last 7 days' pace your balance lasts until 19 Dec 2026". */
function runwaySentence(f: Forecast): string {
  const { runway } = f;
  if (runway.balanceMicros <= 0) return 'Your balance is used up: top up to keep serving requests.';
  if (runway.dailyPaceMicros === 0) return 'No spend in the last weeks: at this pace your balance does not run out.';
  if (runway.runsOutOn === null) return `At about ${usdTotal(runway.dailyPaceMicros)} a day your balance lasts more than a year.`;
  const days = runway.days === 0 ? 'today' : `in ${formatCount(runway.days ?? 0)} ${runway.days === 1 ? 'day' : 'days'}`;
  return `At the last 7 days’ pace (about ${usdTotal(runway.dailyPaceMicros)} a day) your balance of ${usdTotal(runway.balanceMicros)} lasts until ${formatDate(runway.runsOutOn)} (${days}).`;
}

const COLUMNS: Column<BudgetForecast>[] = [
  {
    key: 'name',
    header: 'Budget',
    cell: (b) => (
      <>
        <strong>{b.name}</strong>
        <div className="sub">
          {b.scope.replace('_', ' ')}
          {b.endUser ? ` · end user ${b.endUser}` : ''}
        </div>
      </>
    ),
    sortValue: (b) => b.name,
    csv: { budget: (b) => b.name, scope: (b) => b.scope, end_user: (b) => b.endUser ?? '' },
  },
  {
    key: 'amount',
    header: 'Amount',
    align: 'right',
    cell: (b) => `${usdTotal(b.amountMicros)} ${WINDOW_WORDS[b.window]}`,
    sortValue: (b) => b.amountMicros,
    csv: { amount_usd: (b) => usdPlain(b.amountMicros), window: (b) => b.window },
  },
  {
    key: 'spent',
    header: 'Spent',
    align: 'right',
    cell: (b) => usdTotal(b.spentMicros),
    sortValue: (b) => b.spentMicros,
    csv: { spent_usd: (b) => usdPlain(b.spentMicros) },
  },
  {
    key: 'projected',
    header: 'Projected at window end',
    label: 'Projected',
    align: 'right',
    cell: (b) => (b.projectedMicros === null ? '—' : usdTotal(b.projectedMicros)),
    sortValue: (b) => b.projectedMicros,
    csv: { projected_usd: (b) => (b.projectedMicros === null ? '' : usdPlain(b.projectedMicros)) },
  },
  {
    key: 'breach',
    header: 'Forecast',
    cell: (b) =>
      b.predictedBreach ? (
        <span className="status bad">Runs out {b.breachOn ? formatDate(b.breachOn) : ''}</span>
      ) : b.window === 'lifetime' ? (
        b.breachOn ? (
          `Reached ${formatDate(b.breachOn)}`
        ) : (
          'Not within a year'
        )
      ) : (
        <span className="status good">Within budget</span>
      ),
    sortValue: (b) => (b.predictedBreach ? 0 : 1),
    csv: { predicted_breach: (b) => (b.predictedBreach ? 'yes' : 'no'), breach_on: (b) => b.breachOn ?? '' },
  },
  {
    key: 'resets',
    header: 'Window ends',
    cell: (b) => (b.resetsAt === null ? 'never' : formatDateTime(b.resetsAt)),
    sortValue: (b) => b.resetsAt,
    csv: { resets_at: (b) => (b.resetsAt === null ? '' : new Date(b.resetsAt).toISOString()) },
  },
  {
    key: 'method',
    header: 'Projected from',
    cell: (b) => (b.method === 'scope_history' ? 'its own daily history' : 'its share of the organisation’s'),
    csv: { method: (b) => b.method },
  },
];

/** /forecast: admins and owners (the whole organisation's money). */
export function ForecastPage() {
  const forecast = useResource<Forecast>('/api/account/forecast');
  const f = forecast.status === 'ready' ? forecast.data : undefined;
  const breaches = f?.budgets.filter((b) => b.predictedBreach).length ?? 0;
  return (
    <>
      <PageHeader title="Forecast" description={DESCRIPTION} />
      {forecast.status === 'loading' && <Loading what="Forecasting…" />}
      {forecast.status === 'error' && <ErrorNote message={forecast.message} onRetry={forecast.reload} />}
      {f && (
        <>
          <Notice tone={f.runway.days !== null && f.runway.days < 7 ? 'warn' : 'info'}>{runwaySentence(f)}</Notice>
          <section className="stats" aria-label="Summary">
            <Stat label="Daily pace" value={usdTotal(f.runway.dailyPaceMicros)} hint={`${formatCount(f.history.length)} days of history`} />
            <Stat label="Balance" value={usdTotal(f.runway.balanceMicros)} hint={f.runway.runsOutOn ? `until ${formatDate(f.runway.runsOutOn)}` : undefined} />
            <Stat label="Predicted breaches" value={formatCount(breaches)} hint={`of ${formatCount(f.budgets.length)} budgets`} />
          </section>
          <ForecastChart f={f} />
        </>
      )}
      <section className="card flush">
        <DataTable
          title="Budgets at the end of their window"
          columns={COLUMNS}
          rows={f?.budgets}
          rowKey={(b) => b.budgetId}
          {...resourceState(forecast)}
          loadingText="Forecasting your budgets…"
          empty="No budgets yet: add one on the Budgets page to see its projection."
          csvName="budget-forecast"
        />
      </section>
      {f && (
        <section className="card">
          <h2>How this is forecast</h2>
          <p>{f.method}</p>
          <p className="sub">
            Days are local days in {f.timezone}. Budgets of a scope with its own history (organisation, project, member, key, model) follow that history;
            end-user budgets follow the end user’s share of the organisation’s spend. Hour windows take the rest of the hour at the day’s forecast pace.
          </p>
        </section>
      )}
    </>
  );
}

/** The history (actual) and the projection (forecast) on one line of local days. */
function ForecastChart({ f }: { f: Forecast }) {
  if (f.history.length === 0) return <Empty>No spend in the last four weeks yet: the forecast starts with your first day of usage.</Empty>;
  const days = [...f.history, ...f.projection];
  const past = f.history.length;
  return (
    <section className="card">
      <h2>Daily spend: the last {formatCount(past)} days and the forecast</h2>
      <LineChart
        title="Daily spend, history and forecast"
        labels={days.map((d) => formatDate(d.date))}
        series={[
          { label: 'Spent', values: days.map((d, i) => (i < past ? microsToChartDollars(d.costMicros) : Number.NaN)) },
          { label: 'Forecast', values: days.map((d, i) => (i >= past ? microsToChartDollars(d.costMicros) : Number.NaN)) },
        ]}
        format={chartUsd}
      />
    </section>
  );
}
