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
import { ConfirmDialog, Dialog } from '../../components/Dialog';
import { PageHeader } from '../../components/PageHeader';
import { Empty, ErrorNote, Loading, Notice } from '../../components/states';
import { parseUsdToMicros, usd } from '../../lib/money';
import { formatDate } from '../../lib/time';
import { AccountDetails } from './AccountDetails';

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

  const list = accounts.data?.accounts ?? [];
  return (
    <>
      <PageHeader title="Accounts" description="Every billing account, its owner and balance." />
      <form className="filters card" role="search" onSubmit={(e) => { e.preventDefault(); setQ(text.trim()); }}>
        <div className="field grow">
          <label htmlFor="account-search">Search</label>
          <input id="account-search" type="search" placeholder="name, e-mail or account id" value={text} onChange={(e) => setText(e.target.value)} />
        </div>
        <div className="actions end"><button type="submit" className="secondary">Search</button></div>
      </form>
      {notice && <Notice>{notice}</Notice>}
      {error && !suspending && <ErrorNote message={error} />}
      <section className="card flush">
        {accounts.status === 'loading' && !accounts.data && <Loading what="Loading accounts…" />}
        {accounts.status === 'error' && <ErrorNote message={accounts.message} onRetry={accounts.reload} />}
        {accounts.data && list.length === 0 && <Empty>{q ? `No account matches “${q}”.` : 'No accounts yet.'}</Empty>}
        {list.length > 0 && (
          <div className="table-wrap">
            <table>
              <thead><tr><th>Account</th><th>Owner</th><th className="num">Balance</th><th>Status</th><th>Created</th><th><span className="sr-only">Actions</span></th></tr></thead>
              <tbody>
                {list.map((a) => (
                  <tr key={a.id}>
                    <td data-label="Account"><strong>{a.name}</strong><div className="sub"><code>{a.id}</code></div></td>
                    <td data-label="Owner">{a.ownerEmail ?? '—'}</td>
                    <td data-label="Balance" className="num">{a.balanceMicros == null ? '—' : usd(a.balanceMicros)}</td>
                    <td data-label="Status"><span className={`status ${a.status === 'active' ? 'good' : 'bad'}`}>{a.status === 'active' ? 'Active' : 'Suspended'}</span></td>
                    <td data-label="Created">{formatDate(a.createdAt)}</td>
                    <td className="row-actions">
                      <div className="action-group">
                        <button type="button" className="secondary small" aria-label={`Details of ${a.name}`} onClick={() => setViewing(a)}>Details</button>
                        <button type="button" className="secondary small" onClick={() => { setNotice(null); setAdjusting(a); }}>Adjust credit</button>
                        {a.status === 'active'
                          ? <button type="button" className="danger-outline small" onClick={() => { setError(null); setSuspending(a); }}>Suspend</button>
                          : <button type="button" className="secondary small" disabled={busy} onClick={() => void setStatus(a, 'active')}>Activate</button>}
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <Dialog open={viewing !== null} title={`Account ${viewing?.name ?? ''}`} wide onClose={() => setViewing(null)}>
        {viewing && <AccountDetails account={viewing} onClose={() => setViewing(null)} />}
      </Dialog>
      <Dialog open={adjusting !== null} title={`Adjust credit of ${adjusting?.name ?? ''}`} onClose={() => setAdjusting(null)}>
        {adjusting && <AdjustForm account={adjusting} onDone={(message) => { setAdjusting(null); setNotice(message); accounts.reload(); }} onCancel={() => setAdjusting(null)} />}
      </Dialog>
      <ConfirmDialog open={suspending !== null} title="Suspend this account?" confirmLabel="Suspend account" busy={busy} error={error}
        onConfirm={() => suspending && void setStatus(suspending, 'suspended')} onClose={() => setSuspending(null)}>
        <p>Every key of <strong>{suspending?.name}</strong> is refused until the account is activated again. The balance is kept.</p>
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
        method: 'POST', body: { amountMicros, reason: reason.trim(), idempotencyKey },
      });
      onDone(`${amountMicros > 0 ? 'Credited' : 'Debited'} ${usd(Math.abs(amountMicros))} to ${account.name}; the balance is now ${usd(result.balanceMicros)}.`);
    });
  }

  return (
    <form className="form" onSubmit={submit}>
      <div className="field">
        <label htmlFor="adjust-amount">Amount (USD)</label>
        <input id="adjust-amount" inputMode="decimal" required value={amount} onChange={(e) => setAmount(e.target.value)} aria-describedby="adjust-amount-hint" />
        <p className="hint" id="adjust-amount-hint">Positive credits the account, negative debits it.</p>
      </div>
      <div className="field">
        <label htmlFor="adjust-reason">Reason</label>
        <textarea id="adjust-reason" required minLength={3} maxLength={500} rows={3} value={reason} onChange={(e) => setReason(e.target.value)} />
      </div>
      {error && <ErrorNote message={error} />}
      <div className="actions">
        <button type="button" className="secondary" onClick={onCancel}>Cancel</button>
        <button type="submit" className="primary" disabled={busy}>{busy ? 'Saving…' : 'Apply adjustment'}</button>
      </div>
    </form>
  );
}
