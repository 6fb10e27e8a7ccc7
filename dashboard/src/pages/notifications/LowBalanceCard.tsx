/**
 * @module pages/notifications/LowBalanceCard
 * The low-balance alert: off, or a dollar amount (integer µUSD) the available balance falling
 * under raises `balance.low` once, re-armed when credit lifts it back.
 */
import { useId, useState, type FormEvent } from 'react';
import { api, ApiError } from '../../api/client';
import type { AlertSettings, NotificationChannel } from '../../api/types';
import { useAction } from '../../api/use-action';
import { useResource } from '../../api/use-resource';
import { ErrorNote, Loading, Notice } from '../../components/states';
import { microsToInput, parseUsdToMicros, usd, usdAuto } from '../../lib/money';

/** The API's largest threshold: $1,000,000. */
const MAX_MICROS = 1_000_000_000_000;
const SETTINGS = '/api/account/alert-settings';

/** The card; `channels` (when loaded) says whether any channel will carry the alert. */
export function LowBalanceCard({ channels }: { channels: NotificationChannel[] | undefined }) {
  const settings = useResource<{ settings: AlertSettings }>(SETTINGS);
  // The "saved" notice is kept here, so it outlives the form's remount after the reload.
  const [saved, setSaved] = useState(false);
  const current = settings.data?.settings;
  const carried = channels?.some((c) => c.enabled && c.events.includes('balance.low'));

  return (
    <section className="card" aria-labelledby="low-balance-heading">
      <h2 id="low-balance-heading">Low-balance alert</h2>
      {settings.status === 'error' && <ErrorNote message={settings.message} onRetry={settings.reload} />}
      {!current && settings.status === 'loading' && <Loading what="Loading the low-balance alert…" />}
      {current && current.lowBalanceMicros !== null && channels && !carried && (
        <Notice tone="warn">No enabled channel takes “Low balance” alerts: tick it on a channel to be told.</Notice>
      )}
      {current && (
        <LowBalanceForm
          // Remounted with what was saved, so the fields show the stored value.
          key={String(current.lowBalanceMicros)}
          settings={current}
          saved={saved}
          onSaving={() => setSaved(false)}
          onSaved={() => {
            setSaved(true);
            settings.reload();
          }}
        />
      )}
    </section>
  );
}

function LowBalanceForm({ settings, saved, onSaving, onSaved }: { settings: AlertSettings; saved: boolean; onSaving(): void; onSaved(): void }) {
  const id = useId();
  const [on, setOn] = useState(settings.lowBalanceMicros !== null);
  const [amount, setAmount] = useState(settings.lowBalanceMicros === null ? '10' : microsToInput(settings.lowBalanceMicros));
  const [amountError, setAmountError] = useState<string | null>(null);
  const { busy, error, run } = useAction();

  function submit(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    onSaving();
    setAmountError(null);
    let lowBalanceMicros: number | null = null;
    if (on) {
      lowBalanceMicros = parseUsdToMicros(amount);
      if (lowBalanceMicros === null || lowBalanceMicros <= 0) return fail('An amount in dollars above zero, such as 10 or 12.50.');
      if (lowBalanceMicros > MAX_MICROS) return fail(`At most ${usd(MAX_MICROS)}.`);
    }
    const body: AlertSettings = { lowBalanceMicros };
    void run(async () => {
      try {
        await api<{ settings: AlertSettings }>(SETTINGS, { method: 'PUT', body });
      } catch (e) {
        // The amount at fault is shown beside it; anything else below the form.
        if (e instanceof ApiError && e.param === 'lowBalanceMicros') return fail(e.message.replace(/^lowBalanceMicros:\s*/, ''));
        throw e;
      }
      onSaved();
    });
  }

  function fail(message: string) {
    setAmountError(message);
    document.getElementById(`${id}-amount`)?.focus();
  }

  return (
    <form className="form" onSubmit={submit} noValidate>
      <label className="check">
        <input type="checkbox" checked={on} onChange={(e) => setOn(e.target.checked)} /> Alert me when the balance runs low
      </label>
      <div className="field narrow">
        <label htmlFor={`${id}-amount`}>Balance under (USD)</label>
        <input
          id={`${id}-amount`}
          inputMode="decimal"
          value={amount}
          onChange={(e) => {
            setAmount(e.target.value);
            setAmountError(null);
          }}
          disabled={!on}
          autoComplete="off"
          aria-invalid={amountError ? true : undefined}
          aria-describedby={[`${id}-hint`, amountError ? `${id}-error` : ''].filter(Boolean).join(' ')}
        />
        <p className="hint" id={`${id}-hint`}>
          The balance less what is held for requests in flight. Alerted once each time it drops under; topping up re-arms it.
        </p>
        {amountError && (
          <p className="field-error" id={`${id}-error`}>
            {amountError}
          </p>
        )}
      </div>
      {error && <ErrorNote message={error} />}
      {saved && (
        <Notice>
          {settings.lowBalanceMicros === null
            ? 'Low-balance alert off.'
            : `Saved: you are alerted when the balance falls under ${usdAuto(settings.lowBalanceMicros)}.`}
        </Notice>
      )}
      <div className="actions start">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save alert'}
        </button>
      </div>
    </form>
  );
}
