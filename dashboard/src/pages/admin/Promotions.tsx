/**
 * @module pages/admin/Promotions
 * Promotion codes: create (amount, uses, expiry) and list with use counts.
 */
import { useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import type { Promotion } from '../../api/types';
import { useAction } from '../../api/use-action';
import { useResource } from '../../api/use-resource';
import { DataTable, resourceState, type Column } from '../../components/DataTable';
import { PageHeader } from '../../components/PageHeader';
import { ErrorNote, Notice } from '../../components/states';
import { parseUsdToMicros, usd, usdPlain } from '../../lib/money';
import { formatCount, formatDateTime, isoTime } from '../../lib/time';

/** Used up or expired. */
function spent(p: Promotion, now: number): boolean {
  return p.uses >= p.maxUses || (p.expiresAt !== null && p.expiresAt < now);
}

function promotionColumns(now: number): Column<Promotion>[] {
  return [
    {
      key: 'code',
      header: 'Code',
      sortValue: (p) => p.code,
      csv: { code: (p) => p.code },
      cell: (p) => (
        <>
          <code>{p.code}</code>
          {spent(p, now) && <span className="badge">used up or expired</span>}
        </>
      ),
    },
    {
      key: 'credit',
      header: 'Credit',
      align: 'right',
      cell: (p) => usd(p.amountMicros),
      sortValue: (p) => p.amountMicros,
      csv: { credit_usd: (p) => usdPlain(p.amountMicros) },
    },
    {
      key: 'used',
      header: 'Used',
      align: 'right',
      cell: (p) => `${formatCount(p.uses)} of ${formatCount(p.maxUses)}`,
      sortValue: (p) => p.uses,
      csv: { uses: (p) => p.uses, max_uses: (p) => p.maxUses },
    },
    {
      key: 'expires',
      header: 'Expires',
      cell: (p) => (p.expiresAt ? formatDateTime(p.expiresAt) : 'Never'),
      sortValue: (p) => p.expiresAt,
      csv: { expires_at: (p) => isoTime(p.expiresAt) },
    },
    {
      key: 'created',
      header: 'Created',
      cell: (p) => formatDateTime(p.createdAt),
      sortValue: (p) => p.createdAt,
      csv: { created_at: (p) => isoTime(p.createdAt) },
    },
  ];
}

/** /admin/promotions */
export function AdminPromotionsPage() {
  const promotions = useResource<{ promotions: Promotion[] }>('/api/admin/promotions');
  const now = Date.now();
  return (
    <>
      <PageHeader title="Promotion codes" description="Codes users redeem on the billing page for free credit (once per account)." />
      <section className="card">
        <h2>New code</h2>
        <CreatePromotion onCreated={promotions.reload} />
      </section>
      <section className="card flush">
        <DataTable
          title="Codes"
          columns={promotionColumns(now)}
          rows={promotions.data?.promotions}
          rowKey={(p) => p.code}
          rowClassName={(p) => (spent(p, now) ? 'dim' : '')}
          {...resourceState(promotions)}
          loadingText="Loading codes…"
          empty="No promotion codes yet."
          csvName="promotion-codes"
        />
      </section>
    </>
  );
}

function CreatePromotion({ onCreated }: { onCreated(): void }) {
  const [code, setCode] = useState('');
  const [amount, setAmount] = useState('');
  const [maxUses, setMaxUses] = useState('100');
  const [expires, setExpires] = useState('');
  const { busy, error, setError, run } = useAction();
  const [done, setDone] = useState<string | null>(null);

  function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    setDone(null);
    const amountMicros = parseUsdToMicros(amount);
    if (!amountMicros) return setError('Amount (USD): the credit each redemption gives, e.g. 5.');
    if (!/^\d+$/.test(maxUses.trim()) || Number(maxUses) < 1) return setError('Maximum uses: a whole number, 1 or more.');
    void run(async () => {
      const { promotion } = await api<{ promotion: Promotion }>('/api/admin/promotions', {
        method: 'POST',
        body: { code: code.trim(), amountMicros, maxUses: Number(maxUses), expiresAt: expires ? new Date(expires).getTime() : null },
      });
      setDone(`Code ${promotion.code} created.`);
      setCode('');
      setAmount('');
      onCreated();
    });
  }

  return (
    <form className="form" onSubmit={submit}>
      <div className="field-row">
        <div className="field">
          <label htmlFor="promo-new-code">Code</label>
          <input
            id="promo-new-code"
            required
            pattern="[A-Za-z0-9_\-]{3,64}"
            value={code}
            onChange={(e) => setCode(e.target.value)}
            aria-describedby="promo-new-code-hint"
          />
          <p className="hint" id="promo-new-code-hint">
            3–64 letters, digits, _ or -.
          </p>
        </div>
        <div className="field">
          <label htmlFor="promo-amount">Amount (USD)</label>
          <input id="promo-amount" inputMode="decimal" required value={amount} onChange={(e) => setAmount(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="promo-uses">Maximum uses</label>
          <input id="promo-uses" inputMode="numeric" required value={maxUses} onChange={(e) => setMaxUses(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="promo-expires">Expires</label>
          <input id="promo-expires" type="datetime-local" value={expires} onChange={(e) => setExpires(e.target.value)} />
        </div>
      </div>
      {error && <ErrorNote message={error} />}
      {done && <Notice>{done}</Notice>}
      <div className="actions start">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create code'}
        </button>
      </div>
    </form>
  );
}
