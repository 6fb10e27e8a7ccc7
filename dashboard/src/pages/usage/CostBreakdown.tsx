/**
 * @module pages/usage/CostBreakdown
 * Where the money went over the Usage page's range and filters: daily cost by project, the top
 * features (tags) by cost, cost per request by model, spend by member and by end user. Every
 * figure is the analytics call's (rollups), so the tables agree with the totals above them.
 */
import type { AccountAnalytics, EndUserSpend, MemberSpend, ModelSpend, TagSpend } from '../../api/types';
import { BarChart, chartUsd, costSeries } from '../../components/charts';
import { actionsColumn, DataTable, type Column } from '../../components/DataTable';
import { Empty } from '../../components/states';
import { microsToChartDollars, usdPlain, usdPrecise, usdTotal } from '../../lib/money';
import { formatCount } from '../../lib/time';

/** The API ranks at most this many end users. */
const TOP_END_USERS = 50;

const requestsColumn = <Row extends { requests: number }>(): Column<Row> => ({
  key: 'requests',
  header: 'Requests',
  align: 'right',
  cell: (r) => formatCount(r.requests),
  sortValue: (r) => r.requests,
  csv: { requests: (r) => r.requests },
});

const costColumn = <Row extends { costMicros: number }>(header = 'Cost'): Column<Row> => ({
  key: 'cost',
  header,
  align: 'right',
  cell: (r) => usdTotal(r.costMicros),
  sortValue: (r) => r.costMicros,
  csv: { cost_usd: (r) => usdPlain(r.costMicros) },
});

const tokensColumn = <Row extends { inputTokens: number; outputTokens: number }>(): Column<Row> => ({
  key: 'tokens',
  header: 'Tokens in / out',
  label: 'Tokens',
  align: 'right',
  cell: (r) => `${formatCount(r.inputTokens)} / ${formatCount(r.outputTokens)}`,
  sortValue: (r) => r.inputTokens + r.outputTokens,
  csv: { input_tokens: (r) => r.inputTokens, output_tokens: (r) => r.outputTokens },
});

const MODEL_COLUMNS: Column<ModelSpend>[] = [
  { key: 'model', header: 'Model', cell: (m) => <strong>{m.model}</strong>, sortValue: (m) => m.model, csv: { model: (m) => m.model } },
  requestsColumn(),
  costColumn(),
  {
    key: 'perRequest',
    header: 'Per request',
    align: 'right',
    cell: (m) => usdPrecise(m.costPerRequestMicros),
    sortValue: (m) => m.costPerRequestMicros,
    csv: { cost_per_request_usd: (m) => usdPlain(m.costPerRequestMicros) },
  },
];

const END_USER_COLUMNS: Column<EndUserSpend>[] = [
  {
    key: 'endUser',
    header: 'End user',
    cell: (u) => <span className="soft-break">{u.endUser}</span>,
    sortValue: (u) => u.endUser,
    csv: { end_user: (u) => u.endUser },
  },
  requestsColumn(),
  tokensColumn(),
  costColumn(),
];

/** "12.5 %" of the total; "—" when there is no total to share. */
function share(part: number, total: number): string {
  if (total <= 0) return '—';
  return `${((part / total) * 100).toLocaleString(undefined, { maximumFractionDigits: 1 })} %`;
}

function memberColumns(totalMicros: number): Column<MemberSpend>[] {
  return [
    {
      key: 'member',
      header: 'Member',
      cell: (m) =>
        m.memberId === null ? (
          <>
            Management keys
            <div className="sub">Keys made with a management key or the admin token</div>
          </>
        ) : (
          (m.email ?? <code>{m.memberId}</code>)
        ),
      sortValue: (m) => m.email ?? m.memberId,
      csv: { member_id: (m) => m.memberId, email: (m) => m.email },
    },
    requestsColumn(),
    costColumn(),
    { key: 'share', header: 'Share', align: 'right', cell: (m) => share(m.costMicros, totalMicros), sortValue: (m) => m.costMicros },
  ];
}

function tagColumns(onTag: (tag: string) => void, applied: string): Column<TagSpend>[] {
  return [
    {
      key: 'tag',
      header: 'Feature',
      cell: (t) => <span className="tag">{t.tag}</span>,
      sortValue: (t) => t.tag,
      csv: { tag: (t) => t.tag, name: (t) => t.name, value: (t) => t.value },
      testId: 'feature-tag',
    },
    requestsColumn(),
    tokensColumn(),
    costColumn(),
    actionsColumn((t) =>
      t.tag === applied ? (
        <span className="sub">Filtered</span>
      ) : (
        <button type="button" className="link-button" onClick={() => onTag(t.tag)} aria-label={`Show only ${t.tag}`}>
          Show only
        </button>
      ),
    ),
  ];
}

interface CostBreakdownProps {
  analytics: AccountAnalytics;
  /** The range's bucket labels, as the charts above use them. */
  labels: string[];
  /** The tag filter applied ('' for none). */
  tag: string;
  /** Filters by a feature from the table. */
  onTag(tag: string): void;
}

/** The charts and tables of where the cost went; see the module comment. */
export function CostBreakdown({ analytics: a, labels, tag, onTag }: CostBreakdownProps) {
  const features = a.byTag;
  return (
    <>
      <div className="grid-2">
        <section className="card">
          <h2>Daily cost by project</h2>
          <BarChart title="Daily cost by project" labels={labels} series={costSeries(a.byProject, (p) => p.name ?? p.projectId)} format={chartUsd} legend />
        </section>
        <section className="card">
          <h2>Top 10 features by cost</h2>
          {features.length === 0 ? (
            <Empty>No request in this range carried a feature tag.</Empty>
          ) : (
            <BarChart
              title="Top 10 features by cost"
              labels={features.map((t) => t.tag)}
              series={[{ label: 'Cost', values: features.map((t) => microsToChartDollars(t.costMicros)) }]}
              format={chartUsd}
              horizontal
              height={Math.max(160, 48 + features.length * 30)}
            />
          )}
        </section>
      </div>
      <section className="card flush">
        <DataTable
          title="Features by cost"
          columns={tagColumns(onTag, tag)}
          rows={features}
          rowKey={(t) => t.tag}
          empty="Tag requests with the x-gateway-tags header (feature=rag) or OpenAI's metadata to see what each feature costs."
          csvName="features-by-cost"
        />
      </section>
      <div className="grid-2">
        <section className="card flush">
          <DataTable
            title="Cost per request by model"
            columns={MODEL_COLUMNS}
            rows={a.byModel}
            rowKey={(m) => m.model}
            empty="No model served a request in this range."
            csvName="cost-per-request-by-model"
          />
        </section>
        <section className="card flush">
          <DataTable
            title="Spend by member"
            columns={memberColumns(a.totals.costMicros)}
            rows={a.byMember}
            rowKey={(m) => m.memberId ?? 'management'}
            empty="No member's keys spent anything in this range."
            csvName="spend-by-member"
          />
        </section>
      </div>
      <section className="card flush">
        <DataTable
          title={a.byEndUser.length >= TOP_END_USERS ? `Spend by end user (top ${TOP_END_USERS})` : 'Spend by end user'}
          columns={END_USER_COLUMNS}
          rows={a.byEndUser}
          rowKey={(u) => u.endUser}
          empty={
            tag
              ? 'End users are not counted per feature tag: clear the tag filter to see them.'
              : "No request in this range named an end user. Send OpenAI's user field or the x-gateway-user header to see spend per customer."
          }
          csvName="spend-by-end-user"
        />
      </section>
    </>
  );
}
