/**
 * @module pages/Overview
 * Balance, spend today and this month, month over month, and daily cost by project, key and model.
 */
import { Link } from 'react-router';
import { query } from '../api/client';
import type { AccountAnalytics, AccountView } from '../api/types';
import { useResource } from '../api/use-resource';
import { BarChart, chartUsd, costSeries } from '../components/charts';
import { MonthOverMonthCard } from '../components/MonthOverMonth';
import { PageHeader, Stat } from '../components/PageHeader';
import { Empty, ErrorNote, Loading } from '../components/states';
import { usd, usdTotal } from '../lib/money';
import { bucketLabel, formatCount, timeZone } from '../lib/time';

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
      {a && (
        <div className="grid-2">
          <MonthOverMonthCard data={a.monthOverMonth} />
          <section className="card">
            <h2>Daily cost by project</h2>
            {a.totals.requests === 0 ? (
              <Empty>
                No requests in the last 30 days yet. <Link to="/keys">Create an API key</Link> and make your first call.
              </Empty>
            ) : (
              <BarChart title="Daily cost by project" labels={labels} series={costSeries(a.byProject, (p) => p.name ?? p.projectId)} format={chartUsd} legend />
            )}
          </section>
        </div>
      )}
      {a && a.totals.requests > 0 && (
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
      )}
    </>
  );
}

function requestsLabel(n: number): string {
  return `${formatCount(n)} ${n === 1 ? 'request' : 'requests'}`;
}
