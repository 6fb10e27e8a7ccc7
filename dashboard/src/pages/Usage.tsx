/**
 * @module pages/Usage
 * Usage over a date range, filtered by project, key, model and feature tag: totals and charts,
 * where the cost went (pages/usage/CostBreakdown), the request table and its CSV export.
 */
import { useEffect, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';
import { api, errorText, query } from '../api/client';
import type { AccountAnalytics, KeyView, UsagePage as UsagePageData, UsageRow } from '../api/types';
import { useProjects } from '../api/organization-data';
import { useResource } from '../api/use-resource';
import { BarChart, chartUsd, LineChart } from '../components/charts';
import { DownloadButton } from '../components/DownloadButton';
import { DataTable } from '../components/DataTable';
import { PageHeader, Stat } from '../components/PageHeader';
import { ErrorNote } from '../components/states';
import { microsToChartDollars, usdTotal } from '../lib/money';
import { parseTagFilter } from '../lib/tag-filter';
import { bucketLabel, endOfLocalDay, formatCount, startOfLocalDay, timeZone, toDateInput } from '../lib/time';
import { CostBreakdown } from './usage/CostBreakdown';
import { requestColumns } from './usage/request-columns';
import { TagFilterField } from './usage/TagFilterField';

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

/** /usage */
export function UsagePage() {
  const [params, setParams] = useSearchParams();
  const fallback = useMemo(defaultRange, []);
  const fromDay = params.get('from') ?? fallback.from;
  const toDay = params.get('to') ?? fallback.to;
  const keyId = params.get('key') ?? '';
  const model = params.get('model') ?? '';
  const projectId = params.get('project') ?? '';
  // A tag in the address (typed there, or an old link) is checked like one typed in the field.
  const tagParam = parseTagFilter(params.get('tag') ?? '');
  const tag = tagParam?.ok ? tagParam.tag : '';
  const validRange = /^\d{4}-\d{2}-\d{2}$/.test(fromDay) && /^\d{4}-\d{2}-\d{2}$/.test(toDay) && fromDay <= toDay;
  const valid = validRange && tagParam?.ok !== false;
  const from = validRange ? startOfLocalDay(fromDay) : null;
  const to = validRange ? endOfLocalDay(toDay) : null;
  const filters = { from, to, keyId, model, projectId, tag };

  function setFilter(name: string, value: string) {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next, { replace: true });
  }

  const keys = useResource<{ keys: KeyView[] }>('/api/account/keys');
  const projects = useProjects();
  const analytics = useResource<AccountAnalytics>(valid ? `/api/account/analytics${query({ ...filters, tz: timeZone })}` : null);
  // The model list comes from an unfiltered-by-model analytics call, so picking one model keeps the others selectable.
  const models = useResource<AccountAnalytics>(valid ? `/api/account/analytics${query({ from, to, keyId, projectId, tag, tz: timeZone })}` : null);

  // The table belongs to the usage path it was loaded for: rows of another filter are never shown
  // while the new one loads, and a "Load more" that answers after the filters changed is dropped.
  const [table, setTable] = useState<UsageTable>({ path: null, ...LOADING_TABLE });
  const usagePath = valid ? `/api/account/usage${query({ ...filters, limit: PAGE_SIZE })}` : null;
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
  const columns = requestColumns(keyById);
  const modelNames = [...new Set([...(models.data?.byModel ?? []).map((m) => m.model), ...(model ? [model] : [])])].sort();
  const a = analytics.status === 'ready' ? analytics.data : null;
  const labels = a ? a.series.map((p) => bucketLabel(p.t, a.bucket)) : [];
  const csvPath = valid ? `/api/account/usage.csv${query(filters)}` : undefined;
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
        <TagFilterField key={tag} applied={tag} onApply={(t) => setFilter('tag', t)} />
      </form>
      {!validRange && <ErrorNote message="Pick a range whose start is on or before its end." />}
      {tagParam?.ok === false && <ErrorNote message={`The tag in the address is not a filter: ${tagParam.message}`} />}

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
          {a.totals.requests > 0 && <CostBreakdown analytics={a} labels={labels} tag={tag} onTag={(t) => setFilter('tag', t)} />}
        </>
      )}

      <section className="card flush">
        <DataTable
          title="Requests"
          dense
          columns={columns}
          rows={tableState === 'ready' || rows.length > 0 ? rows : undefined}
          rowKey={(r) => r.id}
          loading={valid && tableState === 'loading'}
          loadingText="Loading requests…"
          error={tableState === 'error' ? tableError : null}
          empty={tag ? `No requests carried the tag ${tag} in this range.` : 'No requests in this range yet.'}
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
