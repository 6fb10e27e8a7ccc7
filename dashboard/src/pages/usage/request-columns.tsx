/**
 * @module pages/usage/request-columns
 * The columns of the Usage page's request table: one row per usage event, with who it was for
 * (end user) and what it was for (feature tags). Input and output tokens share a column so the
 * table still fits a laptop's width.
 */
import type { KeyView, UsageRow } from '../../api/types';
import type { Column } from '../../components/DataTable';
import { usdPrecise } from '../../lib/money';
import { formatCount, formatDateTime, timeValue } from '../../lib/time';

const STATUS_WORDS: Record<string, string> = {
  ok: 'OK',
  client_closed: 'Client closed',
  origin_error: 'Origin error',
  origin_timeout: 'Origin timeout',
  expired: 'Expired',
};

/** A request's tags as "name=value" texts, in name order. */
export function tagTexts(tags: Record<string, string> | null): string[] {
  return Object.entries(tags ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`);
}

/** The request table's columns; `keyById` names the keys the caller can see. */
export function requestColumns(keyById: ReadonlyMap<string, KeyView>): Column<UsageRow>[] {
  return [
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
    {
      key: 'endUser',
      header: 'End user',
      cell: (r) => (r.endUser ? <span className="soft-break">{r.endUser}</span> : <span className="sub">—</span>),
      sortValue: (r) => r.endUser,
      testId: 'request-end-user',
    },
    {
      key: 'tags',
      header: 'Tags',
      cell: (r) => <TagList tags={tagTexts(r.tags)} />,
      sortValue: (r) => tagTexts(r.tags).join(','),
      testId: 'request-tags',
    },
    {
      key: 'tokens',
      header: 'Tokens in / out',
      label: 'Tokens',
      align: 'right',
      sortValue: (r) => r.inputTokens + r.outputTokens,
      cell: (r) => (
        <span className="nowrap">
          {formatCount(r.inputTokens)} / {formatCount(r.outputTokens)}
          {r.estimated && (
            <span className="sub" title="Counted by the gateway's tokenizer">
              {' '}
              est.
            </span>
          )}
        </span>
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
}

/** Tags as small chips; "—" for none. */
function TagList({ tags }: { tags: string[] }) {
  if (tags.length === 0) return <span className="sub">—</span>;
  return (
    <ul className="tag-list">
      {tags.map((t) => (
        <li key={t} className="tag">
          {t}
        </li>
      ))}
    </ul>
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
