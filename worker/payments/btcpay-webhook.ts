/**
 * @module payments/btcpay-webhook
 * Acts on a verified BTCPay delivery. The delivery is only a trigger: the invoice is re-read
 * and checked against our top-up (store, order id, currency, amount) before anything moves.
 * Money is keyed by the invoice, never by the delivery (every redelivery has a new id):
 * - Settled → credit `btcpay:inv:<id>` once (overpaid: credit the invoice amount, flag it),
 *   unless the invoice was ever seen Invalid;
 * - Processing → pending;
 * - Invalid → never credited from then on; a credit already made is reversed under
 *   `btcpay:inv:<id>:invalid` (both decided atomically in the account object);
 * - Expired with a partial or late payment → the admin's review list.
 */
import type { Env } from '../env';
import { accountObject } from '../services/accounts';
import { BtcpayError, btcpayClient, decimalToCents, type Invoice } from './btcpay';
import { addReview, getTopup, refreshStatus, totalsPatch, updateTopup, withFlag, type Topup } from './topups';

export interface BtcpayDelivery {
  deliveryId: string;
  type: string;
  storeId: string;
  invoiceId: string;
  metadata?: { orderId?: string };
}

/** Raised when the invoice does not match our top-up: answered 4xx, nothing written. */
export class BtcpayMismatch extends Error {}

/** Re-reads and checks the invoice the delivery is about. */
export async function confirmInvoice(env: Env, delivery: BtcpayDelivery) {
  const client = btcpayClient(env);
  if (delivery.storeId !== client.storeId) throw new BtcpayMismatch(`delivery for store ${delivery.storeId}, expected ${client.storeId}`);
  const invoice = await client.getInvoice(delivery.invoiceId).catch((error: unknown) => {
    if (error instanceof BtcpayError && error.status === 404)
      throw new BtcpayMismatch(`invoice ${delivery.invoiceId} does not exist in store ${client.storeId}`);
    throw error;
  });
  const orderId = invoice.metadata?.orderId;
  const topup = typeof orderId === 'string' ? await getTopup(env, orderId) : null;
  if (topup?.method !== 'bitcoin') throw new BtcpayMismatch(`invoice ${invoice.id} has no matching bitcoin top-up (orderId ${String(orderId)})`);
  if (invoice.storeId !== client.storeId) throw new BtcpayMismatch(`invoice ${invoice.id} belongs to store ${invoice.storeId}`);
  if (topup.providerRef !== null && topup.providerRef !== invoice.id)
    throw new BtcpayMismatch(`top-up ${topup.id} is paid by invoice ${topup.providerRef}, not ${invoice.id}`);
  if (invoice.currency.toUpperCase() !== 'USD' || decimalToCents(invoice.amount) !== topup.amountCents) {
    throw new BtcpayMismatch(`invoice ${invoice.id} is for ${invoice.amount} ${invoice.currency}, top-up ${topup.id} for ${topup.amountCents} cents USD`);
  }
  return { invoice, topup };
}

/** Moves the top-up and the account to match the invoice. */
export async function applyInvoice(
  env: Env,
  { invoice, topup }: Awaited<ReturnType<typeof confirmInvoice>>,
  delivery: BtcpayDelivery & { manuallyMarked?: boolean },
): Promise<void> {
  const status: Invoice['status'] = invoice.status;
  if (status === 'Settled' || status === 'Invalid') {
    await decideInvoice(env, invoice, topup, delivery);
    return;
  }
  if (status === 'Processing') {
    if (topup.creditedMicros === 0) await updateTopup(env, topup.id, { status: 'processing' });
    return;
  }
  if (status === 'Expired') {
    if (invoice.additionalStatus === 'PaidPartial' || invoice.additionalStatus === 'PaidLate') {
      const what = invoice.additionalStatus === 'PaidPartial' ? 'partly paid' : 'paid after it expired';
      await addReview(env, {
        kind: 'bitcoin_review',
        accountId: topup.accountId,
        topupId: topup.id,
        dedupeKey: `btcpay:inv:${invoice.id}:${invoice.additionalStatus}`,
        message: `Invoice ${invoice.id} expired ${what}; nothing was credited automatically.`,
      });
    }
    if (topup.creditedMicros === 0) await updateTopup(env, topup.id, { status: 'expired' });
    return;
  }
  if (invoice.additionalStatus === 'PaidPartial' && topup.creditedMicros === 0)
    await updateTopup(env, topup.id, { status: 'pending', flags: withFlag(topup, 'partially_paid') });
}

/**
 * Settled and Invalid are decided by the account object in one step (credit, reversal or
 * nothing, from what its journal holds for `btcpay:inv:<id>`), so two deliveries that read the
 * invoice at different moments converge whichever reaches the object first. D1 follows after.
 */
async function decideInvoice(env: Env, invoice: Invoice, topup: Topup, delivery: BtcpayDelivery & { manuallyMarked?: boolean }): Promise<void> {
  const paymentKey = `btcpay:inv:${invoice.id}`;
  // A top-up D1 already knows as invalid is treated as an Invalid report too: refusing is safe.
  const status = invoice.status === 'Invalid' || topup.status === 'invalid' ? 'Invalid' : 'Settled';
  const { outcome, totals } = await accountObject(env, topup.accountId).applyInvoiceStatus({
    paymentKey,
    status,
    amountMicros: topup.creditMicros,
    counterAccount: 'sys:bitcoin_clearing',
    ref: topup.id,
    reason: topup.kind === 'auto_recharge' ? 'auto-recharge' : 'bitcoin top-up',
  });
  if (outcome === 'refused_invalid' || (status === 'Invalid' && invoice.status === 'Settled')) {
    // Settled after it was invalid (or a stale Settled read losing the race): a person decides.
    await addReview(env, {
      kind: 'bitcoin_review',
      accountId: topup.accountId,
      topupId: topup.id,
      dedupeKey: `${paymentKey}:settled-after-invalid`,
      message: `Invoice ${invoice.id} was reported settled after being invalid; nothing was credited automatically.`,
    });
    return;
  }
  if (status === 'Invalid') {
    await updateTopup(env, topup.id, { status: 'invalid' });
    if (outcome === 'reversed')
      await addReview(env, {
        kind: 'bitcoin_reversed',
        accountId: topup.accountId,
        topupId: topup.id,
        dedupeKey: `${paymentKey}:invalid`,
        message: `Invoice ${invoice.id} became invalid after it was credited; the credit was reversed.`,
      });
    return;
  }
  let flags = topup.flags;
  if (invoice.additionalStatus === 'PaidOver') {
    flags = withFlag({ ...topup, flags }, 'overpaid');
    await addReview(env, {
      kind: 'bitcoin_overpaid',
      accountId: topup.accountId,
      topupId: topup.id,
      dedupeKey: `${paymentKey}:overpaid`,
      message: `Invoice ${invoice.id} was overpaid; the invoice amount was credited, the excess needs a refund or a decision.`,
    });
  }
  if (invoice.additionalStatus === 'Marked' || delivery.manuallyMarked) flags = withFlag({ ...topup, flags }, 'manually_marked');
  await refreshStatus(env, topup.id, { ...totalsPatch(totals), paidAt: topup.paidAt ?? Date.now(), flags });
}
