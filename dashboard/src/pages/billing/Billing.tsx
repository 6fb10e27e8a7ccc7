/**
 * @module pages/billing/Billing
 * Balance, top-ups by card or Bitcoin, auto-recharge, promotion codes, top-ups with receipts,
 * and the transaction history with running balance.
 */
import { useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import { api, errorText } from '../../api/client';
import type { AccountView, BillingView, Topup, Transaction } from '../../api/types';
import { atLeast } from '../../api/roles';
import { useRole } from '../../api/session';
import { useAction } from '../../api/use-action';
import { useResource } from '../../api/use-resource';
import { DownloadButton } from '../../components/DownloadButton';
import { actionsColumn, DataTable, resourceState, type Column } from '../../components/DataTable';
import { PageHeader, Stat } from '../../components/PageHeader';
import { ErrorNote, Loading, Notice } from '../../components/states';
import { parseUsdToCents, usd, usdAuto, usdFromCents, usdPlain } from '../../lib/money';
import { formatDate, formatDateTime, isoTime, timeValue, timeZone } from '../../lib/time';
import { AutoRecharge } from './AutoRecharge';
import { kindWords } from './entry-kinds';
import { ReceiptDialog } from './Receipt';
import { TopupReturn } from './TopupReturn';
import { methodWords, statusTone, statusWords } from './topup-status';

const TOPUP_COLUMNS: Column<Topup>[] = [
  {
    key: 'date',
    header: 'Date',
    cell: (t) => formatDateTime(t.paidAt ?? t.createdAt),
    sortValue: (t) => timeValue(t.paidAt ?? t.createdAt),
    csv: { created_at: (t) => isoTime(t.createdAt), paid_at: (t) => isoTime(t.paidAt) },
  },
  { key: 'method', header: 'Method', cell: methodWords, sortValue: methodWords, csv: { method: methodWords } },
  {
    key: 'amount',
    header: 'Amount',
    align: 'right',
    cell: (t) => usdFromCents(t.amountCents),
    sortValue: (t) => t.amountCents,
    csv: { amount_usd: (t) => usdPlain(t.amountCents * 10_000) },
  },
  {
    key: 'status',
    header: 'Status',
    sortValue: (t) => statusWords(t.status),
    csv: { status: (t) => statusWords(t.status), topup_id: (t) => t.id },
    cell: (t) => <span className={`status ${statusTone(t.status)}`}>{statusWords(t.status)}</span>,
  },
];

// The history's own CSV comes from the server (every entry, not only those shown): no csv here.
const TRANSACTION_COLUMNS: Column<Transaction>[] = [
  { key: 'date', header: 'Date', cell: (t) => (t.type === 'usage' ? formatDate(t.date) : formatDateTime(t.date)), sortValue: (t) => timeValue(t.date) },
  { key: 'type', header: 'Type', cell: (t) => kindWords(t.type), sortValue: (t) => kindWords(t.type) },
  { key: 'description', header: 'Description', cell: (t) => t.description, sortValue: (t) => t.description },
  {
    key: 'amount',
    header: 'Amount',
    align: 'right',
    className: (t) => (t.amountMicros < 0 ? 'neg' : 'pos'),
    cell: (t) => `${t.amountMicros > 0 ? '+' : ''}${usdAuto(t.amountMicros)}`,
    sortValue: (t) => t.amountMicros,
  },
  { key: 'balance', header: 'Balance', align: 'right', cell: (t) => usd(t.balanceAfterMicros), sortValue: (t) => t.balanceAfterMicros },
];

/** /billing */
export function BillingPage() {
  const [params, setParams] = useSearchParams();
  const admin = atLeast(useRole(), 'admin');
  const returnedTopup = params.get('topup');
  const account = useResource<{ account: AccountView }>('/api/account');
  const billing = useResource<BillingView>('/api/account/billing');
  const topups = useResource<{ topups: Topup[] }>('/api/account/topups');
  const transactions = useResource<{ transactions: Transaction[] }>(`/api/account/transactions?tz=${encodeURIComponent(timeZone)}`);
  const [receiptFor, setReceiptFor] = useState<string | null>(null);
  // Kept here, not in the form: the form is remounted with the saved settings after a save.
  const [autoRechargeSaved, setAutoRechargeSaved] = useState(false);

  // The transaction history is read from the journal's D1 mirror, which follows the balance by
  // a few seconds: read it again a little later too. Billing is read again for a newly saved card.
  function reloadMoney() {
    account.reload();
    billing.reload();
    topups.reload();
    transactions.reload();
    window.setTimeout(transactions.reload, 5000);
  }

  function dismissReturn() {
    setParams(new URLSearchParams(), { replace: true });
  }

  const receiptColumn = actionsColumn<Topup>(
    (t) =>
      t.creditedMicros > 0 ? (
        <button type="button" className="secondary small" onClick={() => setReceiptFor(t.id)}>
          Receipt
        </button>
      ) : t.checkoutUrl ? (
        <a href={t.checkoutUrl} className="small-link">
          Continue payment
        </a>
      ) : null,
    'Receipt',
  );

  return (
    <>
      <PageHeader title="Billing" description="Prepaid credit: top up, and every request is paid from your balance." />
      {returnedTopup && <TopupReturn topupId={returnedTopup} cancelled={params.get('cancelled') === '1'} onSettled={reloadMoney} onDismiss={dismissReturn} />}
      <section className="stats single" aria-label="Balance">
        <Stat
          label="Balance"
          value={account.status === 'ready' ? usd(account.data.account.balanceMicros) : '…'}
          hint={account.status === 'ready' ? `${usd(account.data.account.availableMicros)} available now` : undefined}
        />
      </section>
      {account.status === 'error' && <ErrorNote message={account.message} onRetry={account.reload} />}

      {/* Paying, redeeming and auto-recharge are admin work; everyone may read the money. */}
      {admin ? (
        <>
          <div className="grid-2">
            <section className="card">
              <h2>Add credit</h2>
              {billing.status === 'loading' && !billing.data && <Loading />}
              {billing.status === 'error' && <ErrorNote message={billing.message} onRetry={billing.reload} />}
              {billing.data && <TopupForm billing={billing.data} />}
            </section>
            <section className="card">
              <h2>Redeem a code</h2>
              <RedeemForm onRedeemed={reloadMoney} />
            </section>
          </div>

          <section className="card">
            <h2>Auto-recharge</h2>
            {billing.data && (
              <AutoRecharge
                key={JSON.stringify(billing.data.autoRecharge)}
                settings={billing.data.autoRecharge}
                cardAvailable={billing.data.methods.card.available}
                saved={autoRechargeSaved}
                onSaving={() => setAutoRechargeSaved(false)}
                onSaved={() => {
                  setAutoRechargeSaved(true);
                  billing.reload();
                }}
              />
            )}
            {billing.status === 'loading' && !billing.data && <Loading />}
          </section>
        </>
      ) : (
        <Notice tone="info">Admins and owners add credit, redeem codes and set up auto-recharge; you can read the balance and the history.</Notice>
      )}

      <section className="card flush">
        <DataTable
          title="Top-ups and receipts"
          columns={[...TOPUP_COLUMNS, receiptColumn]}
          rows={topups.data?.topups}
          rowKey={(t) => t.id}
          {...resourceState(topups)}
          loadingText="Loading top-ups…"
          empty="No top-ups yet."
          csvName="topups"
        />
      </section>

      <section className="card flush">
        <DataTable
          title="Transactions"
          columns={TRANSACTION_COLUMNS}
          rows={transactions.data?.transactions}
          rowKey={(t, i) => `${t.date}-${t.type}-${i}`}
          {...resourceState(transactions)}
          loadingText="Loading transactions…"
          empty="No transactions yet. Payments and usage show up here a few seconds after they happen."
          actions={
            <DownloadButton path={`/api/account/transactions?format=csv&tz=${encodeURIComponent(timeZone)}`} fileName="transactions.csv" label="Export CSV" />
          }
        />
      </section>
      <ReceiptDialog topupId={receiptFor} onClose={() => setReceiptFor(null)} />
    </>
  );
}

/** Amount + "Pay by card" / "Pay with Bitcoin": goes to the provider's payment page. */
function TopupForm({ billing }: { billing: BillingView }) {
  const { minCents, maxCents } = billing.topupBounds;
  const [amount, setAmount] = useState('25');
  const [saveCard, setSaveCard] = useState(false);
  const [busy, setBusy] = useState<null | 'card' | 'bitcoin'>(null);
  const [error, setError] = useState<string | null>(null);

  async function pay(method: 'card' | 'bitcoin') {
    if (busy) return;
    setError(null);
    const amountCents = parseUsdToCents(amount);
    if (amountCents === null || amountCents < minCents || amountCents > maxCents) {
      setError(`Amount: between ${usdFromCents(minCents)} and ${usdFromCents(maxCents)}, to the cent.`);
      return;
    }
    setBusy(method);
    try {
      const result = await api<{ checkoutUrl: string | null }>('/api/account/topups', {
        method: 'POST',
        body: { method, amountCents, ...(method === 'card' ? { saveCard } : {}) },
      });
      if (!result.checkoutUrl) throw new Error('The payment page could not be opened. Try again.');
      window.location.assign(result.checkoutUrl);
    } catch (e) {
      setError(e instanceof Error && !('status' in e) ? e.message : errorText(e));
      setBusy(null);
    }
  }

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void pay(billing.methods.card.available ? 'card' : 'bitcoin');
  };

  return (
    <form className="form" onSubmit={submit}>
      <div className="field">
        <label htmlFor="topup-amount">Amount (USD)</label>
        <input id="topup-amount" inputMode="decimal" required value={amount} onChange={(e) => setAmount(e.target.value)} aria-describedby="topup-amount-hint" />
        <p className="hint" id="topup-amount-hint">
          From {usdFromCents(minCents)} to {usdFromCents(maxCents)}.
        </p>
      </div>
      <label className="check">
        <input type="checkbox" checked={saveCard} onChange={(e) => setSaveCard(e.target.checked)} disabled={!billing.methods.card.available} /> Save this card
        for auto-recharge
      </label>
      {error && <ErrorNote message={error} />}
      <div className="actions start">
        <button type="button" className="primary" disabled={busy !== null || !billing.methods.card.available} onClick={() => void pay('card')}>
          {busy === 'card' ? 'Opening…' : 'Pay by card'}
        </button>
        <button type="button" className="secondary" disabled={busy !== null || !billing.methods.bitcoin.available} onClick={() => void pay('bitcoin')}>
          {busy === 'bitcoin' ? 'Opening…' : 'Pay with Bitcoin'}
        </button>
      </div>
      {!billing.methods.card.available && <p className="hint">{billing.methods.card.message}</p>}
      {!billing.methods.bitcoin.available && <p className="hint">{billing.methods.bitcoin.message}</p>}
    </form>
  );
}

/** "Promotion code" + "Redeem". */
function RedeemForm({ onRedeemed }: { onRedeemed(): void }) {
  const [code, setCode] = useState('');
  const { busy, error, run } = useAction();
  const [done, setDone] = useState<string | null>(null);

  function submit(event: FormEvent) {
    event.preventDefault();
    void run(async () => {
      setDone(null);
      const result = await api<{ code: string; amountMicros: number }>('/api/account/promotions/redeem', { method: 'POST', body: { code: code.trim() } });
      setDone(`Code ${result.code} redeemed: ${usd(result.amountMicros)} added to your balance.`);
      setCode('');
      onRedeemed();
    });
  }

  return (
    <form className="form" onSubmit={submit}>
      <div className="field">
        <label htmlFor="promo-code">Promotion code</label>
        <input id="promo-code" required autoCapitalize="characters" value={code} onChange={(e) => setCode(e.target.value)} />
      </div>
      {error && <ErrorNote message={error} />}
      {done && <Notice>{done}</Notice>}
      <div className="actions start">
        <button type="submit" className="secondary" disabled={busy}>
          {busy ? 'Redeeming…' : 'Redeem'}
        </button>
      </div>
    </form>
  );
}
