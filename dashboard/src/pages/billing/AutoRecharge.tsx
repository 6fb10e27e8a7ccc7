/**
 * @module pages/billing/AutoRecharge
 * Auto-recharge: charge the saved card when the balance drops below a threshold.
 */
import { useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import type { BillingView } from '../../api/types';
import { useAction } from '../../api/use-action';
import { ErrorNote, Notice } from '../../components/states';
import { microsToInput, parseUsdToCents, parseUsdToMicros, usdFromCents } from '../../lib/money';

type Settings = BillingView['autoRecharge'];

/**
 * The auto-recharge form. The "saved" notice is the parent's state (`saved`, cleared through
 * `onSaving`), so it outlives the remount that follows reloading the saved settings.
 */
export function AutoRecharge({
  settings,
  cardAvailable,
  saved,
  onSaving,
  onSaved,
}: {
  settings: Settings;
  cardAvailable: boolean;
  saved: boolean;
  onSaving(): void;
  onSaved(): void;
}) {
  const [enabled, setEnabled] = useState(settings.enabled);
  // Never configured (amount 0): suggest $5 / $20 / $100 instead of zeros.
  const fresh = settings.amountCents === 0;
  const [threshold, setThreshold] = useState(fresh ? '5' : microsToInput(settings.thresholdMicros));
  const [amount, setAmount] = useState(fresh ? '20' : microsToInput(settings.amountCents * 10_000));
  const [cap, setCap] = useState(fresh ? '100' : microsToInput(settings.monthlyCapCents * 10_000));
  const { busy, error, setError, run } = useAction();

  function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    onSaving();
    const thresholdMicros = parseUsdToMicros(threshold, { maxDecimals: 2 });
    const amountCents = parseUsdToCents(amount);
    const monthlyCapCents = parseUsdToCents(cap);
    if (thresholdMicros === null) return setError('When the balance falls below: an amount in dollars, e.g. 5.');
    if (!amountCents) return setError('Recharge with: an amount in dollars above zero, e.g. 20.');
    if (!monthlyCapCents) return setError('Monthly limit: an amount in dollars above zero, e.g. 100.');
    void run(async () => {
      await api('/api/account/billing/auto-recharge', { method: 'PUT', body: { enabled, thresholdMicros, amountCents, monthlyCapCents } });
      onSaved();
    });
  }

  return (
    <form className="form" onSubmit={submit}>
      {!settings.hasSavedCard && <p className="muted">Auto-recharge charges a saved card. Tick “Save this card for auto-recharge” on a card top-up first.</p>}
      {settings.notice && <Notice tone="warn">{settings.notice}</Notice>}
      <label className="check">
        <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} disabled={!cardAvailable} /> Recharge automatically
      </label>
      <div className="field-row">
        <div className="field">
          <label htmlFor="ar-threshold">When the balance falls below (USD)</label>
          <input id="ar-threshold" inputMode="decimal" value={threshold} onChange={(e) => setThreshold(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="ar-amount">Recharge with (USD)</label>
          <input id="ar-amount" inputMode="decimal" value={amount} onChange={(e) => setAmount(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="ar-cap">Monthly limit (USD)</label>
          <input id="ar-cap" inputMode="decimal" value={cap} onChange={(e) => setCap(e.target.value)} aria-describedby="ar-cap-hint" />
          <p className="hint" id="ar-cap-hint">
            {usdFromCents(settings.monthChargedCents)} recharged this month.
          </p>
        </div>
      </div>
      {error && <ErrorNote message={error} />}
      {saved && <Notice>Auto-recharge settings saved.</Notice>}
      <div className="actions start">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save auto-recharge'}
        </button>
      </div>
    </form>
  );
}
