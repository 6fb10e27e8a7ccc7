/**
 * @module pages/UsageArchives
 * Usage archives: the organisation's raw usage events past the retention window, one gzipped
 * NDJSON file per UTC day and page of events in R2 (docs/analytics.md), newest day first, each
 * downloadable through the API client (so the download names the chosen organisation). An
 * archive holds every project's events, so the API and this page are for admins and owners.
 */
import { useState } from 'react';
import { api, query } from '../api/client';
import { atLeast } from '../api/roles';
import { useRole } from '../api/session';
import type { UsageArchive, UsageArchivePage } from '../api/types';
import { useAction } from '../api/use-action';
import { useResource } from '../api/use-resource';
import { actionsColumn, DataTable, resourceState, type Column } from '../components/DataTable';
import { DownloadButton } from '../components/DownloadButton';
import { PageHeader } from '../components/PageHeader';
import { ErrorNote, Notice } from '../components/states';
import { usdPlain, usdTotal } from '../lib/money';
import { formatCount, formatDate, formatDateTime, isoTime, timeValue } from '../lib/time';

const ARCHIVES = '/api/account/usage-archives';
const PAGE_SIZE = 100;
const DESCRIPTION = 'Raw usage events past the retention window, one gzipped NDJSON file per day (UTC) and page of events.';

/** "12.3 KB" (1,000-based, as file managers show sizes). */
function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${formatCount(bytes)} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toLocaleString(undefined, { maximumFractionDigits: 1 })} ${units[unit]}`;
}

const COLUMNS: Column<UsageArchive>[] = [
  {
    key: 'day',
    header: 'Day (UTC)',
    label: 'Day',
    cell: (r) => <strong>{formatDate(r.day)}</strong>,
    sortValue: (r) => r.day,
    csv: { day: (r) => r.day },
  },
  {
    key: 'span',
    header: 'Events from – to',
    label: 'Events',
    cell: (r) => (
      <>
        {formatDateTime(r.firstAt, true)}
        <div className="sub">to {formatDateTime(r.lastAt, true)}</div>
      </>
    ),
    sortValue: (r) => timeValue(r.firstAt),
    csv: { first_at: (r) => isoTime(r.firstAt), last_at: (r) => isoTime(r.lastAt) },
  },
  {
    key: 'events',
    header: 'Count',
    align: 'right',
    cell: (r) => formatCount(r.events),
    sortValue: (r) => r.events,
    csv: { events: (r) => r.events },
  },
  {
    key: 'cost',
    header: 'Cost',
    align: 'right',
    cell: (r) => usdTotal(r.costMicros),
    sortValue: (r) => r.costMicros,
    csv: { cost_usd: (r) => usdPlain(r.costMicros) },
  },
  { key: 'bytes', header: 'Size', align: 'right', cell: (r) => formatBytes(r.bytes), sortValue: (r) => r.bytes, csv: { bytes: (r) => r.bytes } },
  {
    key: 'archived',
    header: 'Archived',
    cell: (r) => formatDateTime(r.archivedAt),
    sortValue: (r) => timeValue(r.archivedAt),
    csv: { archived_at: (r) => isoTime(r.archivedAt), key: (r) => r.key },
  },
  actionsColumn((r) => (
    <DownloadButton
      path={`${ARCHIVES}/download${query({ key: r.key })}`}
      fileName={`usage-${r.day}.ndjson.gz`}
      label="Download"
      ariaLabel={`Download the archive of ${r.day} from ${isoTime(r.firstAt)}`}
    />
  )),
];

/** /usage-archives: admins and owners only (the API refuses everyone else with 403). */
export function UsageArchivesPage() {
  if (atLeast(useRole(), 'admin')) return <ArchiveList />;
  return (
    <>
      <PageHeader title="Usage archives" description={DESCRIPTION} />
      <Notice tone="info">Only admins and owners see the usage archives: each file holds every project's events. Your own usage is on the Usage page.</Notice>
    </>
  );
}

function ArchiveList() {
  const first = useResource<UsageArchivePage>(`${ARCHIVES}${query({ limit: PAGE_SIZE })}`);
  // Older pages, appended below the first; they belong to the first page they followed.
  const [older, setOlder] = useState<{ after: UsageArchivePage; rows: UsageArchive[]; cursor: string | null } | null>(null);
  const more = useAction();
  const page = first.status === 'ready' ? first.data : undefined;
  const continued = older && older.after === page ? older : null;
  const rows = page ? [...page.data, ...(continued?.rows ?? [])] : undefined;
  const cursor = continued ? continued.cursor : (page?.nextCursor ?? null);

  function loadOlder() {
    if (!page || !cursor) return;
    void more.run(async () => {
      const next = await api<UsageArchivePage>(`${ARCHIVES}${query({ cursor, limit: PAGE_SIZE })}`);
      setOlder((o) => ({ after: page, rows: [...(o?.after === page ? o.rows : []), ...next.data], cursor: next.nextCursor }));
    });
  }

  return (
    <>
      <PageHeader title="Usage archives" description={DESCRIPTION} />
      {page && (
        <Notice tone="info">
          Raw events are kept {formatCount(page.retentionDays)} {page.retentionDays === 1 ? 'day' : 'days'}, then archived here. Charts and totals still count
          archived events; the request list on the Usage page no longer shows them.
        </Notice>
      )}
      <section className="card flush">
        <DataTable
          title="Archived days"
          columns={COLUMNS}
          rows={rows}
          rowKey={(r) => r.key}
          {...resourceState(first)}
          loadingText="Loading the archives…"
          empty="Nothing is archived yet: no usage event is older than the retention window."
          csvName="usage-archives"
        />
        {more.error && <ErrorNote message={more.error} onRetry={loadOlder} />}
        {cursor && (
          <div className="table-foot">
            <button type="button" className="secondary" onClick={loadOlder} disabled={more.busy}>
              {more.busy ? 'Loading…' : 'Load older'}
            </button>
          </div>
        )}
      </section>
    </>
  );
}
