/**
 * @module pages/admin/Analytics
 * Platform analytics: requests, tokens, revenue (month over month too), cost per request, error
 * rate and latency per model, top accounts. Latency percentiles come from a histogram, so they
 * are bucket upper edges, and say so.
 */
import { useState } from 'react';
import { query } from '../../api/client';
import type { AdminAnalytics } from '../../api/types';
import { useResource } from '../../api/use-resource';
import { BarChart, chartUsd, LineChart } from '../../components/charts';
import { DataTable, type Column } from '../../components/DataTable';
import { MonthOverMonthCard } from '../../components/MonthOverMonth';
import { PageHeader, Stat } from '../../components/PageHeader';
import { Empty, ErrorNote, Loading } from '../../components/states';
import { microsToChartDollars, usdPlain, usdPrecise, usdTotal } from '../../lib/money';
import { bucketLabel, formatCount, timeZone } from '../../lib/time';

const RANGES = [
  { value: '1', label: 'Last 24 hours' },
  { value: '7', label: 'Last 7 days' },
  { value: '30', label: 'Last 30 days' },
  { value: '90', label: 'Last 90 days' },
];

function percent(rate: number): string {
  return `${(rate * 100).toFixed(rate > 0 && rate < 0.001 ? 2 : 1)}%`;
}

type ModelRow = AdminAnalytics['byModel'][number];
type AccountRow = AdminAnalytics['topAccounts'][number];

function latency(ms: number | null): string {
  return ms == null ? '—' : `${formatCount(Math.round(ms))} ms`;
}

const MODEL_COLUMNS: Column<ModelRow>[] = [
  { key: 'model', header: 'Model', cell: (m) => <strong>{m.model}</strong>, sortValue: (m) => m.model, csv: { model: (m) => m.model } },
  {
    key: 'requests',
    header: 'Requests',
    align: 'right',
    cell: (m) => formatCount(m.requests),
    sortValue: (m) => m.requests,
    csv: { requests: (m) => m.requests },
  },
  {
    key: 'tokens',
    header: 'Tokens in / out',
    label: 'Tokens',
    align: 'right',
    cell: (m) => `${formatCount(m.inputTokens)} / ${formatCount(m.outputTokens)}`,
    sortValue: (m) => m.inputTokens + m.outputTokens,
    csv: { input_tokens: (m) => m.inputTokens, output_tokens: (m) => m.outputTokens },
  },
  {
    key: 'revenue',
    header: 'Revenue',
    align: 'right',
    cell: (m) => usdTotal(m.revenueMicros),
    sortValue: (m) => m.revenueMicros,
    csv: { revenue_usd: (m) => usdPlain(m.revenueMicros) },
  },
  {
    key: 'perRequest',
    header: 'Cost per request',
    label: 'Per request',
    align: 'right',
    cell: (m) => usdPrecise(m.costPerRequestMicros),
    sortValue: (m) => m.costPerRequestMicros,
    csv: { cost_per_request_usd: (m) => usdPlain(m.costPerRequestMicros) },
  },
  {
    key: 'errors',
    header: 'Error rate',
    align: 'right',
    cell: (m) => percent(m.errorRate),
    sortValue: (m) => m.errorRate,
    csv: { errors: (m) => m.errors, error_rate: (m) => m.errorRate },
  },
  {
    key: 'latency',
    header: 'p50/p95 (histogram)',
    label: 'Latency p50/p95',
    align: 'right',
    cell: (m) => `${latency(m.latencyP50Ms)} / ${latency(m.latencyP95Ms)}`,
    sortValue: (m) => m.latencyP95Ms,
    csv: { latency_p50_histogram_ms: (m) => m.latencyP50Ms, latency_p95_histogram_ms: (m) => m.latencyP95Ms },
  },
];

const ACCOUNT_COLUMNS: Column<AccountRow>[] = [
  {
    key: 'account',
    header: 'Account',
    cell: (t) => (
      <>
        <strong>{t.name}</strong>
        <div className="sub">
          <code>{t.accountId}</code>
        </div>
      </>
    ),
    sortValue: (t) => t.name,
    csv: { account: (t) => t.name, account_id: (t) => t.accountId },
  },
  {
    key: 'requests',
    header: 'Requests',
    align: 'right',
    cell: (t) => formatCount(t.requests),
    sortValue: (t) => t.requests,
    csv: { requests: (t) => t.requests },
  },
  {
    key: 'revenue',
    header: 'Revenue',
    align: 'right',
    cell: (t) => usdTotal(t.revenueMicros),
    sortValue: (t) => t.revenueMicros,
    csv: { revenue_usd: (t) => usdPlain(t.revenueMicros) },
  },
];

/** /admin/analytics */
export function AdminAnalyticsPage() {
  const [days, setDays] = useState('30');
  // Rounded to the minute so the path (and the fetch) stays stable between renders.
  const [now] = useState(() => Math.floor(Date.now() / 60_000) * 60_000 + 60_000);
  const from =
    days === '1'
      ? now - 86_400_000
      : (() => {
          const d = new Date(now);
          d.setHours(0, 0, 0, 0);
          d.setDate(d.getDate() - Number(days) + 1);
          return d.getTime();
        })();
  const analytics = useResource<AdminAnalytics>(`/api/admin/analytics${query({ from, to: now, tz: timeZone })}`);
  const a = analytics.status === 'ready' ? analytics.data : null;
  const labels = a ? a.series.map((p) => bucketLabel(p.t, a.bucket)) : [];

  return (
    <>
      <PageHeader
        title="Platform analytics"
        description={`All accounts, in your time zone (${timeZone}).`}
        actions={
          <div className="field inline">
            <label htmlFor="analytics-range">Range</label>
            <select id="analytics-range" value={days} onChange={(e) => setDays(e.target.value)}>
              {RANGES.map((r) => (
                <option key={r.value} value={r.value}>
                  {r.label}
                </option>
              ))}
            </select>
          </div>
        }
      />
      {analytics.status === 'loading' && <Loading what="Loading analytics…" />}
      {analytics.status === 'error' && <ErrorNote message={analytics.message} onRetry={analytics.reload} />}
      {a && (
        <>
          <section className="stats" aria-label="Totals">
            <Stat label="Requests" value={formatCount(a.totals.requests)} />
            <Stat
              label="Tokens"
              value={formatCount(a.totals.inputTokens + a.totals.outputTokens)}
              hint={`${formatCount(a.totals.inputTokens)} in · ${formatCount(a.totals.outputTokens)} out`}
            />
            <Stat label="Revenue" value={usdTotal(a.totals.revenueMicros)} />
            <Stat label="Error rate" value={percent(a.totals.errorRate)} hint={`${formatCount(a.totals.errors)} errors`} />
          </section>
          <MonthOverMonthCard data={a.monthOverMonth} what="Revenue" />
          {a.totals.requests === 0 ? (
            <section className="card">
              <Empty>No requests in this range yet.</Empty>
            </section>
          ) : (
            <>
              <div className="grid-2">
                <section className="card">
                  <h2>Requests and errors</h2>
                  <LineChart
                    title="Requests and errors over time"
                    labels={labels}
                    format={(n) => formatCount(n)}
                    series={[
                      { label: 'Requests', values: a.series.map((p) => p.requests) },
                      { label: 'Errors', values: a.series.map((p) => p.errors) },
                    ]}
                  />
                </section>
                <section className="card">
                  <h2>Revenue</h2>
                  <BarChart
                    title="Revenue over time"
                    labels={labels}
                    format={chartUsd}
                    series={[{ label: 'Revenue', values: a.series.map((p) => microsToChartDollars(p.revenueMicros)) }]}
                  />
                </section>
                <section className="card">
                  <h2>Tokens</h2>
                  <BarChart
                    title="Tokens over time"
                    labels={labels}
                    format={(n) => formatCount(n)}
                    series={[{ label: 'Tokens', values: a.series.map((p) => p.tokens) }]}
                  />
                </section>
                <section className="card">
                  <h2>Error rate</h2>
                  <LineChart
                    title="Error rate over time"
                    labels={labels}
                    format={(n) => `${n.toFixed(1)}%`}
                    whole={false}
                    series={[{ label: 'Error rate', values: a.series.map((p) => (p.requests ? (p.errors / p.requests) * 100 : 0)) }]}
                  />
                </section>
              </div>
              <section className="card flush">
                <DataTable
                  title="By model"
                  columns={MODEL_COLUMNS}
                  rows={a.byModel}
                  rowKey={(m) => m.model}
                  empty="No model served a request in this range."
                  csvName="analytics-by-model"
                />
                <p className="hint table-note">
                  Latency p50/p95 come from a histogram: each is the upper edge of the bucket holding that percentile, so at most 25 % above the exact figure
                  (up to double under 2 ms).
                </p>
              </section>
              <section className="card flush">
                <DataTable
                  title="Top accounts"
                  columns={ACCOUNT_COLUMNS}
                  rows={a.topAccounts}
                  rowKey={(t) => t.accountId}
                  empty="No account spent anything in this range."
                  csvName="analytics-top-accounts"
                />
              </section>
            </>
          )}
        </>
      )}
    </>
  );
}
