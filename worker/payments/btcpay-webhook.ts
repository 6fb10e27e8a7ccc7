/**
 * @module payments/btcpay-webhook
 * Acts on a verified BTCPay delivery. The delivery is only a trigger: the invoice is re-read
 * and checked against our top-up (store, order id, currency, amount) before anything moves.
 * Money is keyed by the invoice, never by the delivery (every redelivery has a new id):
 * - Settled → credit `btcpay:inv:<id>` once (overpaid: credit the invoice amount, flag it);
 * - Processing → pending;
 * - Invalid after a credit → reversal `btcpay:inv:<id>:invalid`;
 * - Expired with a partial or late payment → the admin's review list.
 */
import type { Env } from '../env';
import { accountObject } from '../services/accounts';
import { BtcpayError, btcpayClient, decimalToCents, type Invoice } from './btcpay';
import { addReview, creditTopup, getTopup, updateTopup, withFlag } from './topups';

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
    if (error instanceof BtcpayError && error.status === 404) throw new BtcpayMismatch(`invoice ${delivery.invoiceId} does not exist in store ${client.storeId}`);
    throw error;
  });
  const orderId = invoice.metadata?.orderId;
  const topup = typeof orderId === 'string' ? await getTopup(env, orderId) : null;
  if (!topup || topup.method !== 'bitcoin') throw new BtcpayMismatch(`invoice ${invoice.id} has no matching bitcoin top-up (orderId ${String(orderId)})`);
  if (invoice.storeId !== client.storeId) throw new BtcpayMismatch(`invoice ${invoice.id} belongs to store ${invoice.storeId}`);
  if (topup.providerRef !== null && topup.providerRef !== invoice.id) throw new BtcpayMismatch(`top-up ${topup.id} is paid by invoice ${topup.providerRef}, not ${invoice.id}`);
  if (invoice.currency.toUpperCase() !== 'USD' || decimalToCents(invoice.amount) !== topup.amountCents) {
    throw new BtcpayMismatch(`invoice ${invoice.id} is for ${invoice.amount} ${invoice.currency}, top-up ${topup.id} for ${topup.amountCents} cents USD`);
  }
  return { invoice, topup };
}

/** Moves the top-up and the account to match the invoice. */
export async function applyInvoice(env: Env, { invoice, topup }: Awaited<ReturnType<typeof confirmInvoice>>, delivery: BtcpayDelivery & { manuallyMarked?: boolean }): Promise<void> {
  const status: Invoice['status'] = invoice.status;
  if (status === 'Settled') {
    if (topup.status === 'invalid') {
      // Settled again after it was invalid (and any credit reversed): a person decides.
      await addReview(env, { kind: 'bitcoin_review', accountId: topup.accountId, topupId: topup.id, dedupeKey: `btcpay:inv:${invoice.id}:settled-after-invalid`, message: `Invoice ${invoice.id} was settled after being invalid; nothing was credited automatically.` });
      return;
    }
    let flags = topup.flags;
    if (invoice.additionalStatus === 'PaidOver') {
      flags = withFlag({ ...topup, flags }, 'overpaid');
      await addReview(env, { kind: 'bitcoin_overpaid', accountId: topup.accountId, topupId: topup.id, dedupeKey: `btcpay:inv:${invoice.id}:overpaid`, message: `Invoice ${invoice.id} was overpaid; the invoice amount was credited, the excess needs a refund or a decision.` });
    }
    if (invoice.additionalStatus === 'Marked' || delivery.manuallyMarked) flags = withFlag({ ...topup, flags }, 'manually_marked');
    await creditTopup(env, topup, { idempotencyKey: `btcpay:inv:${invoice.id}`, counterAccount: 'sys:bitcoin_clearing', flags });
    return;
  }
  if (status === 'Processing') {
    if (topup.creditedMicros === 0) await updateTopup(env, topup.id, { status: 'processing' });
    return;
  }
  if (status === 'Invalid') {
    const account = accountObject(env, topup.accountId);
    if (await account.hasEntry(`btcpay:inv:${invoice.id}`)) {
      await account.postEntry({ idempotencyKey: `btcpay:inv:${invoice.id}:invalid`, kind: 'reversal', amountMicros: -topup.creditMicros, counterAccount: 'sys:bitcoin_clearing', ref: topup.id, reason: 'bitcoin invoice invalid after credit' });
      await addReview(env, { kind: 'bitcoin_reversed', accountId: topup.accountId, topupId: topup.id, dedupeKey: `btcpay:inv:${invoice.id}:invalid`, message: `Invoice ${invoice.id} became invalid after it was credited; the credit was reversed.` });
    }
    await updateTopup(env, topup.id, { status: 'invalid' });
    return;
  }
  if (status === 'Expired') {
    if (invoice.additionalStatus === 'PaidPartial' || invoice.additionalStatus === 'PaidLate') {
      const what = invoice.additionalStatus === 'PaidPartial' ? 'partly paid' : 'paid after it expired';
      await addReview(env, { kind: 'bitcoin_review', accountId: topup.accountId, topupId: topup.id, dedupeKey: `btcpay:inv:${invoice.id}:${invoice.additionalStatus}`, message: `Invoice ${invoice.id} expired ${what}; nothing was credited automatically.` });
    }
    if (topup.creditedMicros === 0) await updateTopup(env, topup.id, { status: 'expired' });
    return;
  }
  if (invoice.additionalStatus === 'PaidPartial' && topup.creditedMicros === 0) await updateTopup(env, topup.id, { status: 'pending', flags: withFlag(topup, 'partially_paid') });
}
