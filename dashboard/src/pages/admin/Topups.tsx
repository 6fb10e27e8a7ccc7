/**
 * @module pages/admin/Topups
 * Every account's top-ups (the latest 500), newest first, filtered by status.
 */
import { useState } from 'react';
import type { AdminTopup } from '../../api/types';
import { useResource } from '../../api/use-resource';
import { DataTable, resourceState, type Column } from '../../components/DataTable';
import { PageHeader } from '../../components/PageHeader';
import { usd, usdFromCents, usdPlain } from '../../lib/money';
import { formatCount, formatDateTime, isoTime, timeValue } from '../../lib/time';
import { methodWords, statusTone, statusWords, TOPUP_STATUSES } from '../billing/topup-status';

const FLAG_WORDS: Record<string, string> = {
  overpaid: 'overpaid',
  partially_paid: 'partly paid',
  manually_marked: 'marked paid by hand',
};

const TOPUP_COLUMNS: Column<AdminTopup>[] = [
  {
    key: 'date',
    header: 'Date',
    sortValue: (t) => timeValue(t.createdAt),
    csv: { created_at: (t) => isoTime(t.createdAt), paid_at: (t) => isoTime(t.paidAt) },
    cell: (t) => (
      <>
        {formatDateTime(t.createdAt)}
        {t.paidAt && <div className="sub">Paid {formatDateTime(t.paidAt)}</div>}
      </>
    ),
  },
  {
    key: 'account',
    header: 'Account',
    sortValue: (t) => t.accountId,
    csv: { account_id: (t) => t.accountId, topup_id: (t) => t.id },
    cell: (t) => (
      <>
        <code>{t.accountId}</code>
        <div className="sub">
          Top-up <code>{t.id}</code>
        </div>
      </>
    ),
  },
  { key: 'method', header: 'Method', cell: methodWords, sortValue: methodWords, csv: { method: (t) => t.method, kind: (t) => t.kind } },
  {
    key: 'amount',
    header: 'Amount',
    align: 'right',
    sortValue: (t) => t.amountCents,
    csv: {
      amount_usd: (t) => usdPlain(t.amountCents * 10_000),
      refunded_usd: (t) => usdPlain(t.refundedMicros),
      disputed_usd: (t) => usdPlain(t.disputedMicros),
    },
    cell: (t) => (
      <>
        {usdFromCents(t.amountCents)}
        {t.refundedMicros > 0 && <div className="sub">{usd(t.refundedMicros)} refunded</div>}
        {t.disputedMicros > 0 && <div className="sub">{usd(t.disputedMicros)} disputed</div>}
      </>
    ),
  },
  {
    key: 'status',
    header: 'Status',
    sortValue: (t) => statusWords(t.status),
    csv: { status: (t) => t.status, flags: (t) => t.flags.join(' '), error: (t) => t.error },
    cell: (t) => (
      <>
        <span className={`status ${statusTone(t.status)}`}>{statusWords(t.status)}</span>
        {t.flags.map((f) => (
          <span key={f} className="badge">
            {FLAG_WORDS[f] ?? f.replace(/_/g, ' ')}
          </span>
        ))}
        {t.error && <div className="sub">{t.error}</div>}
      </>
    ),
  },
];

/** /admin/topups */
export function AdminTopupsPage() {
  const topups = useResource<{ topups: AdminTopup[] }>('/api/admin/topups');
  const [status, setStatus] = useState('all');
  const all = topups.data?.topups ?? [];
  const list = status === 'all' ? topups.data?.topups : all.filter((t) => t.status === status);
  const count = (s: string) => all.filter((t) => t.status === s).length;

  return (
    <>
      <PageHeader
        title="Top-ups"
        description="Card and Bitcoin top-ups of every account, newest first (the latest 500)."
        actions={
          <div className="field inline">
            <label htmlFor="topup-status">Status</label>
            <select id="topup-status" value={status} onChange={(e) => setStatus(e.target.value)}>
              <option value="all">All statuses{topups.data ? ` (${formatCount(all.length)})` : ''}</option>
              {TOPUP_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {statusWords(s)}
                  {topups.data ? ` (${formatCount(count(s))})` : ''}
                </option>
              ))}
            </select>
          </div>
        }
      />
      <section className="card flush">
        <DataTable
          columns={TOPUP_COLUMNS}
          rows={list}
          rowKey={(t) => t.id}
          {...resourceState(topups)}
          loadingText="Loading top-ups…"
          csvName="topups"
          empty={all.length === 0 ? 'No account has started a top-up yet.' : `No top-up has the status “${statusWords(status)}”.`}
        />
      </section>
    </>
  );
}
