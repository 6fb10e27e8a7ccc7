/**
 * @module pages/admin/Topups
 * Every account's top-ups (the latest 500), newest first, filtered by status.
 */
import { useState } from 'react';
import type { AdminTopup } from '../../api/types';
import { useResource } from '../../api/use-resource';
import { PageHeader } from '../../components/PageHeader';
import { Empty, ErrorNote, Loading } from '../../components/states';
import { usd, usdFromCents } from '../../lib/money';
import { formatCount, formatDateTime } from '../../lib/time';
import { statusTone, statusWords, TOPUP_STATUSES } from '../billing/topup-status';

const FLAG_WORDS: Record<string, string> = {
  overpaid: 'overpaid',
  partially_paid: 'partly paid',
  manually_marked: 'marked paid by hand',
};

/** /admin/topups */
export function AdminTopupsPage() {
  const topups = useResource<{ topups: AdminTopup[] }>('/api/admin/topups');
  const [status, setStatus] = useState('all');
  const all = topups.data?.topups ?? [];
  const list = status === 'all' ? all : all.filter((t) => t.status === status);
  const count = (s: string) => all.filter((t) => t.status === s).length;

  return (
    <>
      <PageHeader title="Top-ups" description="Card and Bitcoin top-ups of every account, newest first (the latest 500)."
        actions={(
          <div className="field inline">
            <label htmlFor="topup-status">Status</label>
            <select id="topup-status" value={status} onChange={(e) => setStatus(e.target.value)}>
              <option value="all">All statuses{topups.data ? ` (${formatCount(all.length)})` : ''}</option>
              {TOPUP_STATUSES.map((s) => (
                <option key={s} value={s}>{statusWords(s)}{topups.data ? ` (${formatCount(count(s))})` : ''}</option>
              ))}
            </select>
          </div>
        )} />
      <section className="card flush">
        {topups.status === 'loading' && !topups.data && <Loading what="Loading top-ups…" />}
        {topups.status === 'error' && <ErrorNote message={topups.message} onRetry={topups.reload} />}
        {topups.data && all.length === 0 && <Empty>No account has started a top-up yet.</Empty>}
        {topups.data && all.length > 0 && list.length === 0 && <Empty>No top-up has the status “{statusWords(status)}”.</Empty>}
        {list.length > 0 && (
          <div className="table-wrap">
            <table>
              <thead><tr><th>Date</th><th>Account</th><th>Method</th><th className="num">Amount</th><th>Status</th></tr></thead>
              <tbody>
                {list.map((t) => (
                  <tr key={t.id}>
                    <td data-label="Date">{formatDateTime(t.createdAt)}
                      {t.paidAt && <div className="sub">Paid {formatDateTime(t.paidAt)}</div>}</td>
                    <td data-label="Account"><code>{t.accountId}</code><div className="sub">Top-up <code>{t.id}</code></div></td>
                    <td data-label="Method">{t.method === 'card' ? 'Card' : 'Bitcoin'}{t.kind === 'auto_recharge' ? ' (auto)' : ''}</td>
                    <td data-label="Amount" className="num">{usdFromCents(t.amountCents)}
                      {t.refundedMicros > 0 && <div className="sub">{usd(t.refundedMicros)} refunded</div>}
                      {t.disputedMicros > 0 && <div className="sub">{usd(t.disputedMicros)} disputed</div>}</td>
                    <td data-label="Status">
                      <span className={`status ${statusTone(t.status)}`}>{statusWords(t.status)}</span>
                      {t.flags.map((f) => <span key={f} className="badge">{FLAG_WORDS[f] ?? f.replace(/_/g, ' ')}</span>)}
                      {t.error && <div className="sub">{t.error}</div>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}
