/**
 * @module pages/admin/Accounts
 * Search accounts, see balances, keys and journal, suspend or reactivate, adjust credit with a
 * reason.
 */
import { useState, type FormEvent } from 'react';
import { api, query } from '../../api/client';
import type { AdminAccount } from '../../api/types';
import { useAction } from '../../api/use-action';
import { useResource } from '../../api/use-resource';
import { actionsColumn, DataTable, resourceState, type Column } from '../../components/DataTable';
import { ConfirmDialog, Dialog } from '../../components/Dialog';
import { PageHeader } from '../../components/PageHeader';
import { ErrorNote, Notice } from '../../components/states';
import { parseUsdToMicros, usd, usdPlain } from '../../lib/money';
import { formatDate, isoTime, timeValue } from '../../lib/time';
import { AccountDetails } from './AccountDetails';

const ACCOUNT_COLUMNS: Column<AdminAccount>[] = [
  {
    key: 'account',
    header: 'Account',
    cell: (a) => (
      <>
        <strong>{a.name}</strong>
        <div className="sub">
          <code>{a.id}</code>
        </div>
      </>
    ),
    sortValue: (a) => a.name,
    csv: { account: (a) => a.name, account_id: (a) => a.id },
  },
  { key: 'owner', header: 'Owner', cell: (a) => a.ownerEmail ?? '—', sortValue: (a) => a.ownerEmail, csv: { owner_email: (a) => a.ownerEmail } },
  {
    key: 'balance',
    header: 'Balance',
    align: 'right',
    cell: (a) => (a.balanceMicros == null ? '—' : usd(a.balanceMicros)),
    sortValue: (a) => a.balanceMicros,
    csv: { balance_usd: (a) => (a.balanceMicros == null ? null : usdPlain(a.balanceMicros)) },
  },
  {
    key: 'status',
    header: 'Status',
    sortValue: (a) => a.status,
    csv: { status: (a) => a.status },
    cell: (a) => <span className={`status ${a.status === 'active' ? 'good' : 'bad'}`}>{a.status === 'active' ? 'Active' : 'Suspended'}</span>,
  },
  {
    key: 'created',
    header: 'Created',
    cell: (a) => formatDate(a.createdAt),
    sortValue: (a) => timeValue(a.createdAt),
    csv: { created_at: (a) => isoTime(a.createdAt) },
  },
];

/** /admin/accounts */
export function AdminAccountsPage() {
  const [text, setText] = useState('');
  const [q, setQ] = useState('');
  const accounts = useResource<{ accounts: AdminAccount[] }>(`/api/admin/accounts${query({ q, limit: 100 })}`);
  const [viewing, setViewing] = useState<AdminAccount | null>(null);
  const [adjusting, setAdjusting] = useState<AdminAccount | null>(null);
  const [suspending, setSuspending] = useState<AdminAccount | null>(null);
  const { busy, error, setError, run } = useAction();
  const [notice, setNotice] = useState<string | null>(null);

  function setStatus(account: AdminAccount, status: 'active' | 'suspended') {
    return run(async () => {
      await api(`/api/admin/accounts/${encodeURIComponent(account.id)}/status`, { method: 'POST', body: { status } });
      setSuspending(null);
      setNotice(`${account.name} is ${status === 'active' ? 'active again' : 'suspended'}.`);
      accounts.reload();
    });
  }

  const columns = [
    ...ACCOUNT_COLUMNS,
    actionsColumn<AdminAccount>((a) => (
      <div className="action-group">
        <button type="button" className="secondary small" aria-label={`Details of ${a.name}`} onClick={() => setViewing(a)}>
          Details
        </button>
        <button
          type="button"
          className="secondary small"
          onClick={() => {
            setNotice(null);
            setAdjusting(a);
          }}
        >
          Adjust credit
        </button>
        {a.status === 'active' ? (
          <button
            type="button"
            className="danger-outline small"
            onClick={() => {
              setError(null);
              setSuspending(a);
            }}
          >
            Suspend
          </button>
        ) : (
          <button type="button" className="secondary small" disabled={busy} onClick={() => void setStatus(a, 'active')}>
            Activate
          </button>
        )}
      </div>
    )),
  ];

  return (
    <>
      <PageHeader title="Accounts" description="Every billing account, its owner and balance." />
      {/* biome-ignore lint/a11y/useSemanticElements: the <search> element is not yet in React's JSX types; role="search" on the form is the equivalent landmark */}
      <form
        className="filters card"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setQ(text.trim());
        }}
      >
        <div className="field grow">
          <label htmlFor="account-search">Search</label>
          <input id="account-search" type="search" placeholder="name, e-mail or account id" value={text} onChange={(e) => setText(e.target.value)} />
        </div>
        <div className="actions end">
          <button type="submit" className="secondary">
            Search
          </button>
        </div>
      </form>
      {notice && <Notice>{notice}</Notice>}
      {error && !suspending && <ErrorNote message={error} />}
      <section className="card flush">
        <DataTable
          columns={columns}
          rows={accounts.data?.accounts}
          rowKey={(a) => a.id}
          {...resourceState(accounts)}
          loadingText="Loading accounts…"
          empty={q ? `No account matches “${q}”.` : 'No accounts yet.'}
          csvName="accounts"
        />
      </section>
      <Dialog open={viewing !== null} title={`Account ${viewing?.name ?? ''}`} wide onClose={() => setViewing(null)}>
        {viewing && <AccountDetails account={viewing} onClose={() => setViewing(null)} />}
      </Dialog>
      <Dialog open={adjusting !== null} title={`Adjust credit of ${adjusting?.name ?? ''}`} onClose={() => setAdjusting(null)}>
        {adjusting && (
          <AdjustForm
            account={adjusting}
            onDone={(message) => {
              setAdjusting(null);
              setNotice(message);
              accounts.reload();
            }}
            onCancel={() => setAdjusting(null)}
          />
        )}
      </Dialog>
      <ConfirmDialog
        open={suspending !== null}
        title="Suspend this account?"
        confirmLabel="Suspend account"
        busy={busy}
        error={error}
        onConfirm={() => suspending && void setStatus(suspending, 'suspended')}
        onClose={() => setSuspending(null)}
      >
        <p>
          Every key of <strong>{suspending?.name}</strong> is refused until the account is activated again. The balance is kept.
        </p>
      </ConfirmDialog>
    </>
  );
}

function AdjustForm({ account, onDone, onCancel }: { account: AdminAccount; onDone(message: string): void; onCancel(): void }) {
  const [amount, setAmount] = useState('');
  const [reason, setReason] = useState('');
  const { busy, error, setError, run } = useAction();
  // One idempotency key per form, so a double submit cannot credit twice.
  const [idempotencyKey] = useState(() => crypto.randomUUID());

  function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    const amountMicros = parseUsdToMicros(amount, { allowNegative: true });
    if (amountMicros === null || amountMicros === 0) return setError('Amount: dollars, positive to credit or negative to debit, e.g. 10 or -2.50.');
    if (reason.trim().length < 3) return setError('Reason: at least 3 characters; it goes into the journal and the audit log.');
    void run(async () => {
      const result = await api<{ balanceMicros: number }>(`/api/admin/accounts/${encodeURIComponent(account.id)}/adjustments`, {
        method: 'POST',
        body: { amountMicros, reason: reason.trim(), idempotencyKey },
      });
      onDone(
        `${amountMicros > 0 ? 'Credited' : 'Debited'} ${usd(Math.abs(amountMicros))} to ${account.name}; the balance is now ${usd(result.balanceMicros)}.`,
      );
    });
  }

  return (
    <form className="form" onSubmit={submit}>
      <div className="field">
        <label htmlFor="adjust-amount">Amount (USD)</label>
        <input
          id="adjust-amount"
          inputMode="decimal"
          required
          value={amount}
          onChange={(e) => setAmount(e.target.value)}
          aria-describedby="adjust-amount-hint"
        />
        <p className="hint" id="adjust-amount-hint">
          Positive credits the account, negative debits it.
        </p>
      </div>
      <div className="field">
        <label htmlFor="adjust-reason">Reason</label>
        <textarea id="adjust-reason" required minLength={3} maxLength={500} rows={3} value={reason} onChange={(e) => setReason(e.target.value)} />
      </div>
      {error && <ErrorNote message={error} />}
      <div className="actions">
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Saving…' : 'Apply adjustment'}
        </button>
      </div>
    </form>
  );
}
