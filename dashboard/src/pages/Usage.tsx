/**
 * @module pages/Usage
 * Usage over a date range, filtered by key and model: charts, the request table, CSV export.
 */
import { useEffect, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';
import { api, errorText, query } from '../api/client';
import type { AccountAnalytics, KeyView, UsagePage as UsagePageData, UsageRow } from '../api/types';
import { useProjects } from '../api/organization-data';
import { useResource } from '../api/use-resource';
import { BarChart, chartUsd, LineChart } from '../components/charts';
import { DownloadButton } from '../components/DownloadButton';
import { DataTable, type Column } from '../components/DataTable';
import { PageHeader, Stat } from '../components/PageHeader';
import { ErrorNote } from '../components/states';
import { microsToChartDollars, usdPrecise, usdTotal } from '../lib/money';
import { bucketLabel, endOfLocalDay, formatCount, formatDateTime, startOfLocalDay, timeValue, timeZone, toDateInput } from '../lib/time';

const PAGE_SIZE = 50;

function defaultRange(): { from: string; to: string } {
  const to = new Date();
  const from = new Date();
  from.setDate(from.getDate() - 29);
  return { from: toDateInput(from), to: toDateInput(to) };
}

/** The request table and the usage path (filters) its rows were loaded for. */
interface UsageTable {
  path: string | null;
  rows: UsageRow[];
  cursor: string | null;
  status: 'loading' | 'ready' | 'error';
  error: string;
}

/** What the table shows for filters whose first page has not answered yet. */
const LOADING_TABLE: Omit<UsageTable, 'path'> = { rows: [], cursor: null, status: 'loading', error: '' };

const STATUS_WORDS: Record<string, string> = {
  ok: 'OK',
  client_closed: 'Client closed',
  origin_error: 'Origin error',
  origin_timeout: 'Origin timeout',
  expired: 'Expired',
};

/** /usage */
export function UsagePage() {
  const [params, setParams] = useSearchParams();
  const fallback = useMemo(defaultRange, []);
  const fromDay = params.get('from') ?? fallback.from;
  const toDay = params.get('to') ?? fallback.to;
  const keyId = params.get('key') ?? '';
  const model = params.get('model') ?? '';
  const projectId = params.get('project') ?? '';
  const validRange = /^\d{4}-\d{2}-\d{2}$/.test(fromDay) && /^\d{4}-\d{2}-\d{2}$/.test(toDay) && fromDay <= toDay;
  const from = validRange ? startOfLocalDay(fromDay) : null;
  const to = validRange ? endOfLocalDay(toDay) : null;
  const filters = { from, to, keyId, model, projectId };

  function setFilter(name: string, value: string) {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next, { replace: true });
  }

  const keys = useResource<{ keys: KeyView[] }>('/api/account/keys');
  const projects = useProjects();
  const analytics = useResource<AccountAnalytics>(validRange ? `/api/account/analytics${query({ ...filters, tz: timeZone })}` : null);
  // The model list comes from an unfiltered-by-model analytics call, so picking one model keeps the others selectable.
  const models = useResource<AccountAnalytics>(validRange ? `/api/account/analytics${query({ from, to, keyId, projectId, tz: timeZone })}` : null);

  // The table belongs to the usage path it was loaded for: rows of another filter are never shown
  // while the new one loads, and a "Load more" that answers after the filters changed is dropped.
  const [table, setTable] = useState<UsageTable>({ path: null, ...LOADING_TABLE });
  const usagePath = validRange ? `/api/account/usage${query({ ...filters, limit: PAGE_SIZE })}` : null;
  const { rows, cursor, status: tableState, error: tableError } = table.path === usagePath ? table : LOADING_TABLE;

  useEffect(() => {
    if (!usagePath) return;
    let live = true;
    api<UsagePageData>(usagePath).then(
      (page) => live && setTable({ path: usagePath, rows: page.data, cursor: page.nextCursor, status: 'ready', error: '' }),
      (e: unknown) => live && setTable({ path: usagePath, rows: [], cursor: null, status: 'error', error: errorText(e) }),
    );
    return () => {
      live = false;
    };
  }, [usagePath]);

  async function loadMore() {
    if (!cursor || !usagePath) return;
    const path = usagePath;
    const update = (next: (t: UsageTable) => UsageTable) => setTable((t) => (t.path === path ? next(t) : t));
    update((t) => ({ ...t, status: 'loading' }));
    try {
      const page = await api<UsagePageData>(`${path}&cursor=${encodeURIComponent(cursor)}`);
      update((t) => ({ ...t, rows: [...t.rows, ...page.data], cursor: page.nextCursor, status: 'ready' }));
    } catch (e) {
      update((t) => ({ ...t, status: 'error', error: errorText(e) }));
    }
  }

  const keyById = new Map((keys.data?.keys ?? []).map((k) => [k.id, k]));
  const modelNames = [...new Set([...(models.data?.byModel ?? []).map((m) => m.model), ...(model ? [model] : [])])].sort();
  const a = analytics.status === 'ready' ? analytics.data : null;
  const labels = a ? a.series.map((p) => bucketLabel(p.t, a.bucket)) : [];
  const csvPath = validRange ? `/api/account/usage.csv${query(filters)}` : undefined;
  const columns: Column<UsageRow>[] = [
    { key: 'time', header: 'Time', cell: (r) => formatDateTime(r.createdAt, true), sortValue: (r) => timeValue(r.createdAt) },
    {
      key: 'key',
      header: 'Key',
      cell: (r) => <KeyName keyId={r.keyId} keyView={keyById.get(r.keyId)} />,
      sortValue: (r) => keyById.get(r.keyId)?.name ?? r.keyId,
    },
    {
      key: 'model',
      header: 'Model',
      cell: (r) => (
        <>
          {r.model}
          <div className="sub">
            {r.endpoint} · price v{r.priceVersion}
          </div>
        </>
      ),
      sortValue: (r) => r.model,
    },
    { key: 'input', header: 'Input', align: 'right', cell: (r) => formatCount(r.inputTokens), sortValue: (r) => r.inputTokens },
    {
      key: 'output',
      header: 'Output',
      align: 'right',
      sortValue: (r) => r.outputTokens,
      cell: (r) => (
        <>
          {formatCount(r.outputTokens)}
          {r.estimated && (
            <span className="sub" title="Counted by the gateway's tokenizer">
              {' '}
              est.
            </span>
          )}
        </>
      ),
    },
    { key: 'cost', header: 'Cost', align: 'right', cell: (r) => usdPrecise(r.costMicros), sortValue: (r) => r.costMicros },
    { key: 'latency', header: 'Latency', align: 'right', cell: (r) => `${formatCount(r.latencyMs)} ms`, sortValue: (r) => r.latencyMs },
    {
      key: 'status',
      header: 'Status',
      sortValue: (r) => STATUS_WORDS[r.status] ?? r.status,
      cell: (r) => <span className={`status ${r.status === 'ok' ? 'good' : 'bad'}`}>{STATUS_WORDS[r.status] ?? r.status}</span>,
    },
  ];

  return (
    <>
      <PageHeader
        title="Usage"
        description="Every request your keys made, with its tokens and cost."
        actions={csvPath && <DownloadButton path={csvPath} fileName="usage.csv" label="Export CSV" className="secondary" />}
      />

      <form className="filters card" onSubmit={(e) => e.preventDefault()} aria-label="Filters">
        <div className="field">
          <label htmlFor="usage-from">From</label>
          <input id="usage-from" type="date" value={fromDay} max={toDay} onChange={(e) => setFilter('from', e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="usage-to">To</label>
          <input id="usage-to" type="date" value={toDay} min={fromDay} onChange={(e) => setFilter('to', e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="usage-project">Project</label>
          <select id="usage-project" value={projectId} onChange={(e) => setFilter('project', e.target.value)}>
            <option value="">All projects</option>
            {(projects.data?.projects ?? []).map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="usage-key">Key</label>
          <select id="usage-key" value={keyId} onChange={(e) => setFilter('key', e.target.value)}>
            <option value="">All keys</option>
            {(keys.data?.keys ?? []).map((k) => (
              <option key={k.id} value={k.id}>
                {k.name} ({k.prefix}…{k.last4}){k.status === 'revoked' ? ' — revoked' : ''}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="usage-model">Model</label>
          <select id="usage-model" value={model} onChange={(e) => setFilter('model', e.target.value)}>
            <option value="">All models</option>
            {modelNames.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
        </div>
      </form>
      {!validRange && <ErrorNote message="Pick a range whose start is on or before its end." />}

      {analytics.status === 'error' && <ErrorNote message={analytics.message} onRetry={analytics.reload} />}
      {a && (
        <>
          <section className="stats" aria-label="Totals">
            <Stat label="Cost" value={usdTotal(a.totals.costMicros)} />
            <Stat label="Requests" value={formatCount(a.totals.requests)} />
            <Stat label="Input tokens" value={formatCount(a.totals.inputTokens)} />
            <Stat label="Output tokens" value={formatCount(a.totals.outputTokens)} />
          </section>
          {a.totals.requests > 0 && (
            <div className="grid-3">
              <section className="card">
                <h2>Cost</h2>
                <BarChart
                  title="Cost over time"
                  labels={labels}
                  series={[{ label: 'Cost', values: a.series.map((p) => microsToChartDollars(p.costMicros)) }]}
                  format={chartUsd}
                  height={200}
                />
              </section>
              <section className="card">
                <h2>Tokens</h2>
                <BarChart
                  title="Tokens over time"
                  labels={labels}
                  height={200}
                  format={(n) => formatCount(n)}
                  series={[
                    { label: 'Input', values: a.series.map((p) => p.inputTokens) },
                    { label: 'Output', values: a.series.map((p) => p.outputTokens) },
                  ]}
                />
              </section>
              <section className="card">
                <h2>Requests</h2>
                <LineChart
                  title="Requests over time"
                  labels={labels}
                  height={200}
                  format={(n) => formatCount(n)}
                  series={[{ label: 'Requests', values: a.series.map((p) => p.requests) }]}
                />
              </section>
            </div>
          )}
        </>
      )}

      <section className="card flush">
        <DataTable
          title="Requests"
          columns={columns}
          rows={tableState === 'ready' || rows.length > 0 ? rows : undefined}
          rowKey={(r) => r.id}
          loading={validRange && tableState === 'loading'}
          loadingText="Loading requests…"
          error={tableState === 'error' ? tableError : null}
          empty="No requests in this range yet."
        />
        {cursor && (
          <div className="table-foot">
            <button type="button" className="secondary" onClick={loadMore} disabled={tableState === 'loading'}>
              {tableState === 'loading' ? 'Loading…' : 'Load more'}
            </button>
          </div>
        )}
      </section>
    </>
  );
}

/** A key's name over its prefix…last4; the bare id when the key is not in the list. */
function KeyName({ keyId, keyView }: { keyId: string; keyView: KeyView | undefined }) {
  if (!keyView) return <code>{keyId}</code>;
  return (
    <>
      {keyView.name}
      <div className="sub nowrap">
        {keyView.prefix}…{keyView.last4}
      </div>
    </>
  );
}
