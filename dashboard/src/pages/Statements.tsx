/**
 * @module pages/Statements
 * Monthly statements: one per month in the organisation's zone, issued on the 1st, with the
 * totals that reconcile to the journal and the PDF and CSV to download (through the API client,
 * so the download acts on the chosen organisation). Statements show the whole organisation's
 * money, so the API and this page are for admins and owners.
 */
import { atLeast } from '../api/roles';
import { useRole } from '../api/session';
import type { Statement, StatementList } from '../api/statement-types';
import { useResource } from '../api/use-resource';
import { actionsColumn, type Column, DataTable, resourceState } from '../components/DataTable';
import { DownloadButton } from '../components/DownloadButton';
import { PageHeader } from '../components/PageHeader';
import { Notice } from '../components/states';
import { usdPlain, usdTotal } from '../lib/money';
import { formatDateTime, isoTime, timeValue } from '../lib/time';

const STATEMENTS = '/api/account/statements';
const DESCRIPTION = 'One statement a month, issued on the 1st in your organisation’s time zone: opening balance, top-ups, usage, adjustments, closing balance.';

const money = (key: string, header: string, value: (r: Statement) => number): Column<Statement> => ({
  key,
  header,
  align: 'right',
  cell: (r) => usdTotal(value(r)),
  sortValue: value,
  csv: { [`${key}_usd`]: (r: Statement) => usdPlain(value(r)) },
});

const COLUMNS: Column<Statement>[] = [
  {
    key: 'period',
    header: 'Month',
    cell: (r) => (
      <>
        <strong>{r.period}</strong>
        <div className="sub">{r.timeZone}</div>
      </>
    ),
    sortValue: (r) => r.period,
    csv: { period: (r) => r.period, time_zone: (r) => r.timeZone },
  },
  money('opening', 'Opening', (r) => r.openingMicros),
  money('top_ups', 'Top-ups', (r) => r.topUpsMicros),
  money('usage', 'Usage', (r) => -r.usageMicros),
  money('adjustments', 'Adjustments', (r) => r.adjustmentsMicros),
  money('closing', 'Closing', (r) => r.closingMicros),
  {
    key: 'issued',
    header: 'Issued',
    cell: (r) => (
      <>
        {formatDateTime(r.createdAt)}
        <div className="sub">{r.emailedAt ? 'mailed to billing members' : 'not mailed yet'}</div>
      </>
    ),
    sortValue: (r) => timeValue(r.createdAt),
    csv: { issued_at: (r) => isoTime(r.createdAt) },
  },
  actionsColumn((r) => (
    <>
      <DownloadButton
        path={`${STATEMENTS}/${r.period}/pdf`}
        fileName={`statement-${r.period}.pdf`}
        label="PDF"
        ariaLabel={`Download the statement of ${r.period} as PDF`}
      />{' '}
      <DownloadButton
        path={`${STATEMENTS}/${r.period}/csv`}
        fileName={`statement-${r.period}.csv`}
        label="CSV"
        ariaLabel={`Download the statement of ${r.period} as CSV`}
      />
    </>
  )),
];

/** /statements: admins and owners only (the API refuses everyone else with 403). */
export function StatementsPage() {
  if (atLeast(useRole(), 'admin')) return <StatementTable />;
  return (
    <>
      <PageHeader title="Statements" description={DESCRIPTION} />
      <Notice tone="info">Only admins and owners see the monthly statements. Your own usage is on the Usage page.</Notice>
    </>
  );
}

function StatementTable() {
  const list = useResource<StatementList>(STATEMENTS);
  return (
    <>
      <PageHeader title="Statements" description={DESCRIPTION} />
      <section className="card flush">
        <DataTable
          title="Monthly statements"
          columns={COLUMNS}
          rows={list.status === 'ready' ? list.data.data : undefined}
          rowKey={(r) => r.period}
          {...resourceState(list)}
          loadingText="Loading the statements…"
          empty="No statement yet: the first is issued on the 1st of next month."
          csvName="statements"
        />
      </section>
    </>
  );
}
