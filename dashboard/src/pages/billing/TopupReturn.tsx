/**
 * @module pages/billing/TopupReturn
 * The banner shown when the payment page sends the user back (`/billing?topup=…`): it follows
 * the top-up until the payment provider's webhook has settled it.
 */
import { useEffect, useRef, useState } from 'react';
import { api, errorText } from '../../api/client';
import type { Topup } from '../../api/types';
import { ErrorNote, Notice } from '../../components/states';
import { usd, usdFromCents } from '../../lib/money';
import { OPEN_STATUSES, statusWords } from './topup-status';

const POLL_MS = 2000;
const POLL_LIMIT = 45;

/** Follows one top-up; `onSettled` runs once it is no longer open (to refresh the balance). */
export function TopupReturn({ topupId, cancelled, onSettled, onDismiss }: { topupId: string; cancelled: boolean; onSettled(): void; onDismiss(): void }) {
  const [topup, setTopup] = useState<Topup | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [gaveUp, setGaveUp] = useState(false);
  // The parent's reload callback, read when the top-up settles; a new one does not restart the polling.
  const settled = useRef(onSettled);
  settled.current = onSettled;

  useEffect(() => {
    let live = true;
    let timer: number | undefined;
    let polls = 0;
    async function poll() {
      try {
        const { topup: t } = await api<{ topup: Topup }>(`/api/account/topups/${encodeURIComponent(topupId)}`);
        if (!live) return;
        setTopup(t);
        if (OPEN_STATUSES.has(t.status) && !cancelled) {
          polls += 1;
          if (polls < POLL_LIMIT) timer = window.setTimeout(poll, POLL_MS);
          else setGaveUp(true);
        } else {
          settled.current();
        }
      } catch (e) {
        if (live) setError(errorText(e));
      }
    }
    void poll();
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [topupId, cancelled]);

  const dismiss = (
    <button type="button" className="link-button" onClick={onDismiss}>
      Dismiss
    </button>
  );
  if (error) return <ErrorNote message={`We could not read this top-up: ${error}`} />;
  if (!topup) return <Notice tone="info">Checking your payment…</Notice>;
  const amount = usdFromCents(topup.amountCents);
  if (cancelled && OPEN_STATUSES.has(topup.status)) {
    return (
      <Notice tone="warn">
        <span data-testid="topup-status">Payment cancelled: the {amount} top-up was not charged.</span> {dismiss}
      </Notice>
    );
  }
  if (topup.creditedMicros > 0) {
    return (
      <Notice>
        <span data-testid="topup-status">Payment received: {usd(topup.creditedMicros)} was added to your balance.</span> {dismiss}
      </Notice>
    );
  }
  if (OPEN_STATUSES.has(topup.status)) {
    return (
      <Notice tone="info">
        <span data-testid="topup-status">
          {statusWords(topup.status)}: {amount} {topup.method === 'bitcoin' ? 'in Bitcoin' : 'by card'}.{' '}
          {gaveUp
            ? 'This is taking longer than usual; the balance updates as soon as the payment is confirmed.'
            : 'Your balance updates as soon as the payment is confirmed…'}
        </span>{' '}
        {topup.checkoutUrl && <a href={topup.checkoutUrl}>Open the payment page</a>}
      </Notice>
    );
  }
  return <ErrorNote message={`Top-up of ${amount}: ${statusWords(topup.status)}.${topup.error ? ` ${topup.error}` : ''} Nothing was added to your balance.`} />;
}
