/**
 * @module pages/admin/Analytics
 * Platform analytics: requests, tokens, revenue, error rate and latency per model, top accounts.
 */
import { useState } from 'react';
import { query } from '../../api/client';
import type { AdminAnalytics } from '../../api/types';
import { useResource } from '../../api/use-resource';
import { BarChart, chartUsd, LineChart } from '../../components/charts';
import { PageHeader, Stat } from '../../components/PageHeader';
import { Empty, ErrorNote, Loading } from '../../components/states';
import { microsToChartDollars, usdTotal } from '../../lib/money';
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

/** /admin/analytics */
export function AdminAnalyticsPage() {
  const [days, setDays] = useState('30');
  // Rounded to the minute so the path (and the fetch) stays stable between renders.
  const [now] = useState(() => Math.floor(Date.now() / 60_000) * 60_000 + 60_000);
  const from = days === '1' ? now - 86_400_000 : (() => { const d = new Date(now); d.setHours(0, 0, 0, 0); d.setDate(d.getDate() - Number(days) + 1); return d.getTime(); })();
  const analytics = useResource<AdminAnalytics>(`/api/admin/analytics${query({ from, to: now, tz: timeZone })}`);
  const a = analytics.status === 'ready' ? analytics.data : null;
  const labels = a ? a.series.map((p) => bucketLabel(p.t, a.bucket)) : [];

  return (
    <>
      <PageHeader title="Platform analytics" description={`All accounts, in your time zone (${timeZone}).`}
        actions={(
          <div className="field inline">
            <label htmlFor="analytics-range">Range</label>
            <select id="analytics-range" value={days} onChange={(e) => setDays(e.target.value)}>
              {RANGES.map((r) => <option key={r.value} value={r.value}>{r.label}</option>)}
            </select>
          </div>
        )} />
      {analytics.status === 'loading' && <Loading what="Loading analytics…" />}
      {analytics.status === 'error' && <ErrorNote message={analytics.message} onRetry={analytics.reload} />}
      {a && (
        <>
          <section className="stats" aria-label="Totals">
            <Stat label="Requests" value={formatCount(a.totals.requests)} />
            <Stat label="Tokens" value={formatCount(a.totals.inputTokens + a.totals.outputTokens)} hint={`${formatCount(a.totals.inputTokens)} in · ${formatCount(a.totals.outputTokens)} out`} />
            <Stat label="Revenue" value={usdTotal(a.totals.revenueMicros)} />
            <Stat label="Error rate" value={percent(a.totals.errorRate)} hint={`${formatCount(a.totals.errors)} errors`} />
          </section>
          {a.totals.requests === 0 ? <section className="card"><Empty>No requests in this range yet.</Empty></section> : (
            <>
              <div className="grid-2">
                <section className="card">
                  <h2>Requests and errors</h2>
                  <LineChart title="Requests and errors over time" labels={labels} format={(n) => formatCount(n)}
                    series={[{ label: 'Requests', values: a.series.map((p) => p.requests) }, { label: 'Errors', values: a.series.map((p) => p.errors) }]} />
                </section>
                <section className="card">
                  <h2>Revenue</h2>
                  <BarChart title="Revenue over time" labels={labels} format={chartUsd}
                    series={[{ label: 'Revenue', values: a.series.map((p) => microsToChartDollars(p.revenueMicros)) }]} />
                </section>
                <section className="card">
                  <h2>Tokens</h2>
                  <BarChart title="Tokens over time" labels={labels} format={(n) => formatCount(n)}
                    series={[{ label: 'Tokens', values: a.series.map((p) => p.tokens) }]} />
                </section>
                <section className="card">
                  <h2>Error rate</h2>
                  <LineChart title="Error rate over time" labels={labels} format={(n) => `${n.toFixed(1)}%`} whole={false}
                    series={[{ label: 'Error rate', values: a.series.map((p) => (p.requests ? (p.errors / p.requests) * 100 : 0)) }]} />
                </section>
              </div>
              <section className="card flush">
                <h2 className="card-title">By model</h2>
                <div className="table-wrap">
                  <table>
                    <thead><tr><th>Model</th><th className="num">Requests</th><th className="num">Tokens in / out</th><th className="num">Revenue</th><th className="num">Error rate</th><th className="num">Latency p50</th><th className="num">Latency p95</th></tr></thead>
                    <tbody>
                      {a.byModel.map((m) => (
                        <tr key={m.model}>
                          <td data-label="Model"><strong>{m.model}</strong></td>
                          <td data-label="Requests" className="num">{formatCount(m.requests)}</td>
                          <td data-label="Tokens" className="num">{formatCount(m.inputTokens)} / {formatCount(m.outputTokens)}</td>
                          <td data-label="Revenue" className="num">{usdTotal(m.revenueMicros)}</td>
                          <td data-label="Error rate" className="num">{percent(m.errorRate)}</td>
                          <td data-label="p50" className="num">{m.latencyP50Ms == null ? '—' : `${formatCount(Math.round(m.latencyP50Ms))} ms`}</td>
                          <td data-label="p95" className="num">{m.latencyP95Ms == null ? '—' : `${formatCount(Math.round(m.latencyP95Ms))} ms`}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              </section>
              <section className="card flush">
                <h2 className="card-title">Top accounts</h2>
                {a.topAccounts.length === 0 ? <Empty>No account spent anything in this range.</Empty> : (
                  <div className="table-wrap">
                    <table>
                      <thead><tr><th>Account</th><th className="num">Requests</th><th className="num">Revenue</th></tr></thead>
                      <tbody>
                        {a.topAccounts.map((t) => (
                          <tr key={t.accountId}>
                            <td data-label="Account"><strong>{t.name}</strong><div className="sub"><code>{t.accountId}</code></div></td>
                            <td data-label="Requests" className="num">{formatCount(t.requests)}</td>
                            <td data-label="Revenue" className="num">{usdTotal(t.revenueMicros)}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                )}
              </section>
            </>
          )}
        </>
      )}
    </>
  );
}
