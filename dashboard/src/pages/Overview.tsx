/**
 * @module pages/Overview
 * Balance, spend today and this month, requests, and daily cost by key and by model.
 */
import { Link } from 'react-router';
import { query } from '../api/client';
import type { AccountAnalytics, AccountView, CostSeries } from '../api/types';
import { useResource } from '../api/use-resource';
import { BarChart, chartUsd, type Series } from '../components/charts';
import { PageHeader, Stat } from '../components/PageHeader';
import { Empty, ErrorNote, Loading } from '../components/states';
import { microsToChartDollars, usd, usdTotal } from '../lib/money';
import { bucketLabel, formatCount, timeZone } from '../lib/time';

/** One stacked series per key or model, on the shared bucket labels. */
export function costSeries<T extends CostSeries>(rows: T[], label: (row: T) => string, limit = 8): Series[] {
  return rows.slice(0, limit).map((row) => ({ label: label(row), values: row.series.map((p) => microsToChartDollars(p.costMicros)) }));
}

/** / */
export function OverviewPage() {
  const account = useResource<{ account: AccountView }>('/api/account');
  // Whole local days: from local midnight 29 days ago (by the calendar, so a DST change in
  // between does not shift it by an hour).
  const today = new Date();
  const from = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 29).getTime();
  const analytics = useResource<AccountAnalytics>(`/api/account/analytics${query({ from, tz: timeZone })}`);

  const a = analytics.status === 'ready' ? analytics.data : null;
  const labels = a ? a.series.map((p) => bucketLabel(p.t, a.bucket)) : [];

  return (
    <>
      <PageHeader
        title="Overview"
        description="Your credit and what your keys spent."
        actions={
          <Link to="/billing" className="button primary">
            Add credit
          </Link>
        }
      />
      <section className="stats" aria-label="Summary">
        <Stat
          label="Balance"
          value={account.status === 'ready' ? usd(account.data.account.balanceMicros) : account.status === 'error' ? '—' : '…'}
          hint={
            account.status === 'ready' && account.data.account.reservedMicros > 0
              ? `${usd(account.data.account.reservedMicros)} held for requests in flight`
              : account.status === 'ready' && account.data.account.status !== 'active'
                ? `Account ${account.data.account.status}`
                : undefined
          }
        />
        <Stat label="Spend today" value={a ? usdTotal(a.today.costMicros) : '…'} hint={a ? requestsLabel(a.today.requests) : undefined} />
        <Stat label="Spend this month" value={a ? usdTotal(a.month.costMicros) : '…'} hint={a ? requestsLabel(a.month.requests) : undefined} />
        <Stat label="Requests (30 days)" value={a ? formatCount(a.totals.requests) : '…'} hint={a ? `${usdTotal(a.totals.costMicros)} spent` : undefined} />
      </section>
      {account.status === 'error' && <ErrorNote message={account.message} onRetry={account.reload} />}
      {analytics.status === 'loading' && <Loading what="Loading your spend…" />}
      {analytics.status === 'error' && <ErrorNote message={analytics.message} onRetry={analytics.reload} />}
      {a &&
        (a.totals.requests === 0 ? (
          <section className="card">
            <h2>Daily cost</h2>
            <Empty>
              No requests in the last 30 days yet. <Link to="/keys">Create an API key</Link> and make your first call.
            </Empty>
          </section>
        ) : (
          <div className="grid-2">
            <section className="card">
              <h2>Daily cost by key</h2>
              <BarChart title="Daily cost by key" labels={labels} series={costSeries(a.byKey, (k) => k.name || k.keyId)} format={chartUsd} legend />
            </section>
            <section className="card">
              <h2>Daily cost by model</h2>
              <BarChart title="Daily cost by model" labels={labels} series={costSeries(a.byModel, (m) => m.model)} format={chartUsd} legend />
            </section>
          </div>
        ))}
    </>
  );
}

function requestsLabel(n: number): string {
  return `${formatCount(n)} ${n === 1 ? 'request' : 'requests'}`;
}
