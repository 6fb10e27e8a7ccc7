/**
 * @module pages/admin/AccountDetails
 * One account in the admin console: its keys and its latest journal entries.
 */
import { useState } from 'react';
import { query } from '../../api/client';
import type { AdminAccount, JournalEntry, KeyView } from '../../api/types';
import { useResource } from '../../api/use-resource';
import { DataTable, resourceState, type Column } from '../../components/DataTable';
import { usd, usdAuto, usdTotal } from '../../lib/money';
import { formatDateTime, timeValue } from '../../lib/time';
import { kindWords } from '../billing/entry-kinds';

const PAGE = 25;

/** The body of the account details dialog. */
export function AccountDetails({ account, onClose }: { account: AdminAccount; onClose(): void }) {
  const base = `/api/admin/accounts/${encodeURIComponent(account.id)}`;
  return (
    <div className="account-details">
      <dl className="receipt">
        <dt>Account id</dt>
        <dd>
          <code>{account.id}</code>
        </dd>
        <dt>Owner</dt>
        <dd>{account.ownerEmail ?? '—'}</dd>
        <dt>Balance</dt>
        <dd>{account.balanceMicros == null ? '—' : usd(account.balanceMicros)}</dd>
        <dt>Status</dt>
        <dd>{account.status === 'active' ? 'Active' : 'Suspended'}</dd>
      </dl>
      <Keys path={`${base}/keys`} />
      <Journal path={`${base}/journal`} />
      <div className="actions">
        <button type="button" className="secondary" onClick={onClose}>
          Close
        </button>
      </div>
    </div>
  );
}

const KEY_COLUMNS: Column<KeyView>[] = [
  {
    key: 'name',
    header: 'Name',
    sortValue: (k) => k.name,
    cell: (k) => (
      <>
        <strong>{k.name}</strong>
        {k.status !== 'active' && <span className="badge">revoked</span>}
        <div className="sub">
          {k.kind === 'management' ? 'Management key' : 'API key'} · created {formatDateTime(k.createdAt)}
        </div>
      </>
    ),
  },
  {
    key: 'key',
    header: 'Key',
    cell: (k) => (
      <code className="nowrap">
        {k.prefix}…{k.last4}
      </code>
    ),
  },
  { key: 'last-used', header: 'Last used', cell: (k) => (k.lastUsedAt ? formatDateTime(k.lastUsedAt) : 'Never'), sortValue: (k) => timeValue(k.lastUsedAt) },
  { key: 'spend', header: 'Spend', align: 'right', cell: (k) => usdTotal(k.spentMicros), sortValue: (k) => k.spentMicros },
];

const JOURNAL_COLUMNS: Column<JournalEntry>[] = [
  { key: 'date', header: 'Date', className: 'nowrap', cell: (e) => formatDateTime(e.createdAt, true), sortValue: (e) => e.createdAt },
  { key: 'kind', header: 'Kind', cell: (e) => kindWords(e.kind), sortValue: (e) => kindWords(e.kind) },
  {
    key: 'description',
    header: 'Description',
    sortValue: description,
    cell: (e) => (
      <>
        {description(e)}
        {e.ref && (
          <div className="sub">
            <code className="soft-break">{e.ref}</code>
          </div>
        )}
      </>
    ),
  },
  {
    key: 'amount',
    header: 'Amount',
    align: 'right',
    className: (e) => (e.amountMicros < 0 ? 'neg' : 'pos'),
    cell: (e) => `${e.amountMicros > 0 ? '+' : ''}${usdAuto(e.amountMicros)}`,
    sortValue: (e) => e.amountMicros,
  },
  {
    key: 'balance',
    header: 'Balance after',
    label: 'Balance',
    align: 'right',
    cell: (e) => usdAuto(e.balanceAfterMicros),
    sortValue: (e) => e.balanceAfterMicros,
  },
];

function description(e: JournalEntry): string {
  return e.reason ?? (e.kind === 'usage' ? 'API request' : kindWords(e.kind));
}

function Keys({ path }: { path: string }) {
  const keys = useResource<{ keys: KeyView[] }>(path);
  return (
    <section className="detail-section" aria-labelledby="details-keys">
      <h3 id="details-keys">Keys</h3>
      <DataTable
        columns={KEY_COLUMNS}
        rows={keys.data?.keys}
        rowKey={(k) => k.id}
        rowClassName={(k) => (k.status === 'active' ? '' : 'dim')}
        {...resourceState(keys)}
        loadingText="Loading keys…"
        empty="This account has no keys."
      />
    </section>
  );
}

function Journal({ path }: { path: string }) {
  // "Show older" asks for a longer page; the entries already shown stay while it loads.
  const [limit, setLimit] = useState(PAGE);
  const journal = useResource<{ entries: JournalEntry[]; nextBefore: number | null }>(`${path}${query({ limit })}`);
  return (
    <section className="detail-section" aria-labelledby="details-journal">
      <h3 id="details-journal">Latest journal entries</h3>
      <DataTable
        columns={JOURNAL_COLUMNS}
        rows={journal.data?.entries}
        rowKey={(e) => String(e.seq)}
        {...resourceState(journal)}
        loadingText="Loading the journal…"
        empty="No journal entries yet: nothing was credited or spent."
      />
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
