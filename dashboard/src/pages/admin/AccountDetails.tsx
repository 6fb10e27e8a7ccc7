/**
 * @module pages/admin/AccountDetails
 * One account in the admin console: its keys and its latest journal entries.
 */
import { useState } from 'react';
import { query } from '../../api/client';
import type { AdminAccount, JournalEntry, KeyView } from '../../api/types';
import { useResource } from '../../api/use-resource';
import { Empty, ErrorNote, Loading } from '../../components/states';
import { usd, usdAuto, usdTotal } from '../../lib/money';
import { formatDateTime } from '../../lib/time';
import { kindWords } from '../billing/entry-kinds';

const PAGE = 25;

/** The body of the account details dialog. */
export function AccountDetails({ account, onClose }: { account: AdminAccount; onClose(): void }) {
  const base = `/api/admin/accounts/${encodeURIComponent(account.id)}`;
  return (
    <div className="account-details">
      <dl className="receipt">
        <dt>Account id</dt><dd><code>{account.id}</code></dd>
        <dt>Owner</dt><dd>{account.ownerEmail ?? '—'}</dd>
        <dt>Balance</dt><dd>{account.balanceMicros == null ? '—' : usd(account.balanceMicros)}</dd>
        <dt>Status</dt><dd>{account.status === 'active' ? 'Active' : 'Suspended'}</dd>
      </dl>
      <Keys path={`${base}/keys`} />
      <Journal path={`${base}/journal`} />
      <div className="actions">
        <button type="button" className="secondary" onClick={onClose}>Close</button>
      </div>
    </div>
  );
}

function Keys({ path }: { path: string }) {
  const keys = useResource<{ keys: KeyView[] }>(path);
  const list = keys.data?.keys ?? [];
  return (
    <section className="detail-section" aria-labelledby="details-keys">
      <h3 id="details-keys">Keys</h3>
      {keys.status === 'loading' && !keys.data && <Loading what="Loading keys…" />}
      {keys.status === 'error' && <ErrorNote message={keys.message} onRetry={keys.reload} />}
      {keys.data && list.length === 0 && <Empty>This account has no keys.</Empty>}
      {list.length > 0 && (
        <div className="table-wrap">
          <table>
            <thead><tr><th>Name</th><th>Key</th><th>Last used</th><th className="num">Spend</th></tr></thead>
            <tbody>
              {list.map((k) => (
                <tr key={k.id} className={k.status === 'active' ? '' : 'dim'}>
                  <td data-label="Name"><strong>{k.name}</strong>{k.status !== 'active' && <span className="badge">revoked</span>}
                    <div className="sub">{k.kind === 'management' ? 'Management key' : 'API key'} · created {formatDateTime(k.createdAt)}</div></td>
                  <td data-label="Key"><code className="nowrap">{k.prefix}…{k.last4}</code></td>
                  <td data-label="Last used">{k.lastUsedAt ? formatDateTime(k.lastUsedAt) : 'Never'}</td>
                  <td data-label="Spend" className="num">{usdTotal(k.spentMicros)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Journal({ path }: { path: string }) {
  // "Show older" asks for a longer page; the entries already shown stay while it loads.
  const [limit, setLimit] = useState(PAGE);
  const journal = useResource<{ entries: JournalEntry[]; nextBefore: number | null }>(`${path}${query({ limit })}`);
  const list = journal.data?.entries ?? [];
  return (
    <section className="detail-section" aria-labelledby="details-journal">
      <h3 id="details-journal">Latest journal entries</h3>
      {journal.status === 'loading' && !journal.data && <Loading what="Loading the journal…" />}
      {journal.status === 'error' && <ErrorNote message={journal.message} onRetry={journal.reload} />}
      {journal.data && list.length === 0 && <Empty>No journal entries yet: nothing was credited or spent.</Empty>}
      {list.length > 0 && (
        <div className="table-wrap">
          <table>
            <thead><tr><th>Date</th><th>Kind</th><th>Description</th><th className="num">Amount</th><th className="num">Balance after</th></tr></thead>
            <tbody>
              {list.map((e) => (
                <tr key={e.seq}>
                  <td data-label="Date" className="nowrap">{formatDateTime(e.createdAt, true)}</td>
                  <td data-label="Kind">{kindWords(e.kind)}</td>
                  <td data-label="Description">{e.reason ?? (e.kind === 'usage' ? 'API request' : kindWords(e.kind))}
                    {e.ref && <div className="sub"><code className="soft-break">{e.ref}</code></div>}</td>
                  <td data-label="Amount" className={`num ${e.amountMicros < 0 ? 'neg' : 'pos'}`}>{e.amountMicros > 0 ? '+' : ''}{usdAuto(e.amountMicros)}</td>
                  <td data-label="Balance" className="num">{usdAuto(e.balanceAfterMicros)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {journal.data?.nextBefore != null && limit < 500 && (
        <div className="table-foot">
          <button type="button" className="secondary small" disabled={journal.status === 'loading'} onClick={() => setLimit((n) => Math.min(n + PAGE, 500))}>
            {journal.status === 'loading' ? 'Loading…' : 'Show older entries'}
          </button>
        </div>
      )}
    </section>
  );
}
