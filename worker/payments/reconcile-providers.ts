/**
 * @module payments/reconcile-providers
 * The reconciliation checks that ask the payment providers:
 *  - lost webhooks: a top-up still pending after PENDING_GRACE_MS is re-read from Stripe (its
 *    Checkout Session) or BTCPay (its invoice) and converged through the webhook's own code, so
 *    it is credited exactly once even if the webhook arrives later too;
 *  - credited amounts: for paid top-ups, what the journal credited for the payment is compared
 *    with what the provider says was paid.
 * Both are bounded per run: top-ups of the last LOOKBACK_MS only, at most PER_RUN of each,
 * newest first (an hourly run covers a week many times over; older ones were checked before).
 */
import type { Env } from '../env';
import { accountObject } from '../services/accounts';
import { btcpayClient, BtcpayError, decimalToCents } from './btcpay';
import { applyInvoice, BtcpayMismatch, confirmInvoice } from './btcpay-webhook';
import { centsToMicros, methodStatus } from './config';
import type { Alerter, ReconciliationReport } from './reconcile-report';
import { makeStripe } from './stripe';
import { convergeCheckoutSession } from './stripe-webhook';

/** Webhooks normally arrive within seconds; a top-up pending this long is re-read. */
export const PENDING_GRACE_MS = 10 * 60_000;
const LOOKBACK_MS = 7 * 24 * 60 * 60_000;
const PER_RUN = 200;

interface TopupRow {
  id: string;
  account_id: string;
  method: 'card' | 'bitcoin';
  provider_ref: string | null;
  payment_ref: string | null;
}

/** A provider read that failed for a reason other than "no such payment": retried next run. */
function transient(error: unknown): boolean {
  if (error instanceof BtcpayError) return error.status !== 404;
  const status = (error as { statusCode?: number })?.statusCode;
  return status !== 404;
}

function skip(report: ReconciliationReport, what: string, error: unknown): void {
  report.skipped += 1;
  console.warn(JSON.stringify({ level: 'warn', msg: 'reconciliation could not read a payment; next run retries', what, error: String(error) }));
}

/** Re-reads pending top-ups older than the grace period and converges them. Returns how many were read. */
export async function convergePending(env: Env, now: number, report: ReconciliationReport): Promise<number> {
  const rows = await env.DB.prepare(
    `SELECT id, account_id, method, provider_ref, payment_ref FROM topups
     WHERE status IN ('created', 'pending', 'processing') AND provider_ref IS NOT NULL AND created_at < ? AND created_at > ?
     ORDER BY created_at DESC LIMIT ?`,
  )
    .bind(now - PENDING_GRACE_MS, now - LOOKBACK_MS, PER_RUN)
    .all<TopupRow>();
  for (const t of rows.results) {
    try {
      if (t.method === 'card' && methodStatus(env, 'card').available) {
        await convergeCheckoutSession(env, t.provider_ref!);
      } else if (t.method === 'bitcoin' && methodStatus(env, 'bitcoin').available) {
        const delivery = { deliveryId: `reconcile:${t.id}`, type: 'Reconcile', storeId: btcpayClient(env).storeId, invoiceId: t.provider_ref! };
        await applyInvoice(env, await confirmInvoice(env, delivery), delivery);
      }
    } catch (error) {
      // A mismatch is what the webhook would refuse too; it stays pending for a person.
      if (!(error instanceof BtcpayMismatch)) skip(report, `pending top-up ${t.id}`, error);
    }
  }
  return rows.results.length;
}

/** Compares what the journal credited for each recently paid top-up with the provider. Returns how many were read. */
export async function checkProviders(env: Env, now: number, alert: Alerter, report: ReconciliationReport): Promise<number> {
  const rows = await env.DB.prepare(
    `SELECT id, account_id, method, provider_ref, payment_ref FROM topups
     WHERE credited_micros > 0 AND paid_at > ? ORDER BY paid_at DESC LIMIT ?`,
  )
    .bind(now - LOOKBACK_MS, PER_RUN)
    .all<TopupRow>();
  let read = 0;
  for (const t of rows.results) {
    const ref = t.method === 'card' ? t.payment_ref : t.provider_ref;
    if (!ref || !methodStatus(env, t.method).available) continue;
    let paidMicros: number;
    let says: string;
    try {
      if (t.method === 'card') {
        const intent = await makeStripe(env).paymentIntents.retrieve(ref);
        paidMicros = intent.status === 'succeeded' && intent.currency === 'usd' ? centsToMicros(intent.amount_received) : 0;
        says = `PaymentIntent ${ref} is ${intent.status} with ${intent.amount_received} ${intent.currency} received`;
      } else {
        const invoice = await btcpayClient(env).getInvoice(ref);
        const cents = decimalToCents(invoice.amount);
        paidMicros = invoice.status === 'Settled' && invoice.currency.toUpperCase() === 'USD' && cents !== null ? centsToMicros(cents) : 0;
        says = `invoice ${ref} is ${invoice.status} for ${invoice.amount} ${invoice.currency}`;
      }
    } catch (error) {
      if (transient(error)) {
        skip(report, `paid top-up ${t.id}`, error);
        continue;
      }
      paidMicros = 0;
      says = `${t.method === 'card' ? 'Stripe' : 'BTCPay'} has no payment ${ref}`;
    }
    read += 1;
    const key = t.method === 'card' ? `stripe:pi:${ref}` : `btcpay:inv:${ref}`;
    const totals = await accountObject(env, t.account_id).paymentTotals(key);
    // Refunds and disputes are separate movements; an Invalid invoice's reversal undoes its credit.
    const credited = totals.creditedMicros - totals.invalidatedMicros;
    if (credited !== paidMicros) {
      await alert(
        'provider',
        t.account_id,
        `${t.id}:${credited}:${paidMicros}`,
        `Top-up ${t.id}: the journal credited ${credited} µUSD for ${key}, but ${says} (${paidMicros} µUSD).`,
      );
    }
  }
  return read;
}
