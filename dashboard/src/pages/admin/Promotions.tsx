/**
 * @module pages/admin/Promotions
 * Promotion codes: create (amount, uses, expiry) and list with use counts.
 */
import { useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import type { Promotion } from '../../api/types';
import { useAction } from '../../api/use-action';
import { useResource } from '../../api/use-resource';
import { PageHeader } from '../../components/PageHeader';
import { Empty, ErrorNote, Loading, Notice } from '../../components/states';
import { parseUsdToMicros, usd } from '../../lib/money';
import { formatCount, formatDateTime } from '../../lib/time';

/** /admin/promotions */
export function AdminPromotionsPage() {
  const promotions = useResource<{ promotions: Promotion[] }>('/api/admin/promotions');
  const list = promotions.data?.promotions ?? [];
  const now = Date.now();
  return (
    <>
      <PageHeader title="Promotion codes" description="Codes users redeem on the billing page for free credit (once per account)." />
      <section className="card"><h2>New code</h2><CreatePromotion onCreated={promotions.reload} /></section>
      <section className="card flush">
        <h2 className="card-title">Codes</h2>
        {promotions.status === 'loading' && !promotions.data && <Loading what="Loading codes…" />}
        {promotions.status === 'error' && <ErrorNote message={promotions.message} onRetry={promotions.reload} />}
        {promotions.data && list.length === 0 && <Empty>No promotion codes yet.</Empty>}
        {list.length > 0 && (
          <div className="table-wrap">
            <table>
              <thead><tr><th>Code</th><th className="num">Credit</th><th className="num">Used</th><th>Expires</th><th>Created</th></tr></thead>
              <tbody>
                {list.map((p) => {
                  const over = p.uses >= p.maxUses || (p.expiresAt !== null && p.expiresAt < now);
                  return (
                    <tr key={p.code} className={over ? 'dim' : ''}>
                      <td data-label="Code"><code>{p.code}</code>{over && <span className="badge">used up or expired</span>}</td>
                      <td data-label="Credit" className="num">{usd(p.amountMicros)}</td>
                      <td data-label="Used" className="num">{formatCount(p.uses)} of {formatCount(p.maxUses)}</td>
                      <td data-label="Expires">{p.expiresAt ? formatDateTime(p.expiresAt) : 'Never'}</td>
                      <td data-label="Created">{formatDateTime(p.createdAt)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
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
          <input id="promo-new-code" required pattern="[A-Za-z0-9_\-]{3,64}" value={code} onChange={(e) => setCode(e.target.value)} aria-describedby="promo-new-code-hint" />
          <p className="hint" id="promo-new-code-hint">3–64 letters, digits, _ or -.</p>
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
      <div className="actions start"><button type="submit" className="primary" disabled={busy}>{busy ? 'Creating…' : 'Create code'}</button></div>
    </form>
  );
}
