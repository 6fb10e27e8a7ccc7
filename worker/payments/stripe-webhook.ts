/**
 * @module payments/stripe-webhook
 * Acts on a verified Stripe event. The event is only a trigger: the payment object is re-read
 * from Stripe and the account is moved to match it, so deliveries can arrive in any order,
 * any number of times, and converge on the same state:
 * - a paid Checkout Session or PaymentIntent credits `stripe:pi:<id>` once;
 * - refunds follow the charge's cumulative `amount_refunded`;
 * - a dispute's withdrawn and reinstated funds follow its balance transactions;
 * - no reversal takes back more than the payment credited (the account object caps them, and
 *   posts what waited once a late credit lands); what is not posted goes to the review list.
 */
import type Stripe from 'stripe';
import type { Env } from '../env';
import { accountObject } from '../services/accounts';
import { centsToMicros } from './config';
import { makeStripe } from './stripe';
import type { PaymentTotals } from '../durable-objects/account/payments';
import { microsToUsd } from '../lib/money';
import { addReview, creditTopup, getTopup, refreshStatus, topupByPaymentRef, totalsPatch, updateTopup, type Topup } from './topups';

type Outcome = 'processed' | 'ignored';

const idOf = (value: string | { id: string } | null | undefined): string | null => (typeof value === 'string' ? value : (value?.id ?? null));

/** Handles one event; throws on transient failure so the endpoint answers 5xx and Stripe retries. */
export async function handleStripeEvent(env: Env, event: Stripe.Event): Promise<Outcome> {
  const stripe = makeStripe(env);
  const object = event.data.object as { id: string };
  if (event.type.startsWith('checkout.session.')) return checkoutSession(env, stripe, object.id);
  if (event.type === 'payment_intent.succeeded' || event.type === 'payment_intent.payment_failed') return paymentIntent(env, stripe, object.id);
  if (event.type === 'charge.refunded' || event.type === 'charge.refund.updated') {
    const chargeId = event.type === 'charge.refunded' ? object.id : idOf((event.data.object as Stripe.Refund).charge);
    return chargeId ? refunds(env, stripe, chargeId) : 'ignored';
  }
  if (event.type.startsWith('charge.dispute.')) return dispute(env, stripe, object.id);
  return 'ignored';
}

/** Re-reads a Checkout Session and moves its top-up to match: the webhook's path, also used by reconciliation for lost webhooks. */
export function convergeCheckoutSession(env: Env, sessionId: string): Promise<Outcome> {
  return checkoutSession(env, makeStripe(env), sessionId);
}

async function checkoutSession(env: Env, stripe: Stripe, sessionId: string): Promise<Outcome> {
  const session = await stripe.checkout.sessions.retrieve(sessionId);
  const topupId = session.metadata?.topup_id ?? session.client_reference_id;
  const topup = topupId ? await getTopup(env, topupId) : null;
  if (topup?.method !== 'card' || (topup.providerRef && topup.providerRef !== session.id)) return 'ignored';
  if (session.amount_subtotal !== topup.amountCents || session.currency !== 'usd') {
    await addReview(env, {
      kind: 'amount_mismatch',
      accountId: topup.accountId,
      topupId: topup.id,
      dedupeKey: `stripe:cs:${session.id}:mismatch`,
      message: `Checkout Session ${session.id} is for ${session.amount_subtotal} ${session.currency}, the top-up for ${topup.amountCents} usd; not credited.`,
    });
    return 'ignored';
  }
  const paymentIntentId = idOf(session.payment_intent);
  if (session.payment_status === 'paid' && paymentIntentId) {
    await creditTopup(env, topup, { idempotencyKey: `stripe:pi:${paymentIntentId}`, counterAccount: 'sys:card_clearing', paymentRef: paymentIntentId });
    await rememberCard(env, stripe, topup, paymentIntentId);
    return 'processed';
  }
  if (topup.creditedMicros > 0) return 'processed';
  if (session.status === 'expired') await updateTopup(env, topup.id, { status: 'expired' });
  else if (session.status === 'complete') await updateTopup(env, topup.id, { status: 'pending', ...(paymentIntentId ? { paymentRef: paymentIntentId } : {}) });
  const failed =
    session.status === 'complete' && session.payment_status === 'unpaid' && paymentIntentId
      ? (await stripe.paymentIntents.retrieve(paymentIntentId)).status === 'requires_payment_method'
      : false;
  if (failed) await updateTopup(env, topup.id, { status: 'failed', error: 'The payment failed.' });
  return 'processed';
}

/** Saves the card for auto-recharge when the customer agreed to off-session use. */
async function rememberCard(env: Env, stripe: Stripe, topup: Topup, paymentIntentId: string): Promise<void> {
  const intent = await stripe.paymentIntents.retrieve(paymentIntentId);
  const paymentMethod = idOf(intent.payment_method);
  const customer = idOf(intent.customer);
  if (intent.setup_future_usage === 'off_session' && paymentMethod && customer) {
    await accountObject(env, topup.accountId).savePaymentMethod(customer, paymentMethod);
  }
}

async function paymentIntent(env: Env, stripe: Stripe, intentId: string): Promise<Outcome> {
  const intent = await stripe.paymentIntents.retrieve(intentId);
  const topupId = intent.metadata?.topup_id;
  const topup = topupId ? await getTopup(env, topupId) : await topupByPaymentRef(env, intent.id);
  if (topup?.method !== 'card') return 'ignored';
  if (intent.amount !== topup.amountCents || intent.currency !== 'usd') return 'ignored';
  if (intent.status === 'succeeded') {
    await creditTopup(env, topup, { idempotencyKey: `stripe:pi:${intent.id}`, counterAccount: 'sys:card_clearing', paymentRef: intent.id });
  } else if (topup.creditedMicros === 0 && intent.status === 'requires_payment_method') {
    await updateTopup(env, topup.id, { status: 'failed', paymentRef: intent.id, error: intent.last_payment_error?.message ?? 'The payment failed.' });
  }
  return 'processed';
}

/**
 * The top-up a charge paid. A refund or dispute can arrive before the payment's own event
 * recorded the PaymentIntent on the top-up, so fall back to the intent's metadata.
 */
async function topupForCharge(env: Env, stripe: Stripe, chargeId: string): Promise<{ topup: Topup; charge: Stripe.Charge; paymentIntentId: string } | null> {
  const charge = await stripe.charges.retrieve(chargeId);
  const paymentIntentId = idOf(charge.payment_intent);
  if (!paymentIntentId) return null;
  let topup = await topupByPaymentRef(env, paymentIntentId);
  if (!topup) {
    const topupId = (await stripe.paymentIntents.retrieve(paymentIntentId)).metadata?.topup_id;
    topup = topupId ? await getTopup(env, topupId) : null;
    if (topup && topup.method === 'card') await refreshStatus(env, topup.id, { paymentRef: paymentIntentId });
  }
  return topup && topup.method === 'card' ? { topup, charge, paymentIntentId } : null;
}

async function refunds(env: Env, stripe: Stripe, chargeId: string): Promise<Outcome> {
  const found = await topupForCharge(env, stripe, chargeId);
  if (!found) return 'ignored';
  const { topup, charge, paymentIntentId } = found;
  const totals = await accountObject(env, topup.accountId).applyReversal({
    paymentKey: `stripe:pi:${paymentIntentId}`,
    kind: 'refund',
    stream: `stripe:refund:${charge.id}`,
    targetMicros: centsToMicros(charge.amount_refunded),
  });
  await settleReversal(
    env,
    topup,
    totals,
    `stripe:refund:${charge.id}`,
    `Charge ${charge.id} was refunded $${microsToUsd(centsToMicros(charge.amount_refunded)).slice(0, -4)}`,
  );
  return 'processed';
}

/**
 * Brings the top-up's totals to the journal's, and tells the operator when a reversal the
 * provider reported could not be posted: the payment has not been credited (an amount
 * mismatch, say), or reversals already took back all of its credit.
 */
async function settleReversal(env: Env, topup: Topup, totals: PaymentTotals, dedupeKey: string, what: string): Promise<void> {
  await refreshStatus(env, topup.id, totalsPatch(totals));
  if (totals.unpostedMicros <= 0) return;
  const unposted = microsToUsd(totals.unpostedMicros).slice(0, -4);
  const [kind, message] =
    totals.creditedMicros === 0
      ? [
          'refund_uncredited',
          `${what}, but top-up ${topup.id} has not been credited; ` +
            `nothing was debited ($${unposted} not posted; posted if the credit lands). Decide whether the account owes it.`,
        ]
      : ['reversal_capped', `${what}; reversals of top-up ${topup.id} would exceed its credit, so $${unposted} was not debited.`];
  await addReview(env, { kind, accountId: topup.accountId, topupId: topup.id, dedupeKey: `${dedupeKey}:unposted`, message, update: true });
}

async function dispute(env: Env, stripe: Stripe, disputeId: string): Promise<Outcome> {
  const dp = await stripe.disputes.retrieve(disputeId);
  const chargeId = idOf(dp.charge);
  const found = chargeId ? await topupForCharge(env, stripe, chargeId) : null;
  if (!found) return 'ignored';
  const { topup, paymentIntentId } = found;
  // Stripe records a dispute's money as balance transactions: withdrawn (negative), reinstated (positive).
  let withdrawnCents = 0;
  let reinstatedCents = 0;
  for (const bt of dp.balance_transactions ?? []) {
    if (bt.amount < 0) withdrawnCents += -bt.amount;
    else reinstatedCents += bt.amount;
  }
  const account = accountObject(env, topup.accountId);
  const paymentKey = `stripe:pi:${paymentIntentId}`;
  await account.applyReversal({
    paymentKey,
    kind: 'dispute_withdrawn',
    stream: `stripe:dispute:${dp.id}:withdrawn`,
    targetMicros: centsToMicros(withdrawnCents),
  });
  const totals = await account.applyReversal({
    paymentKey,
    kind: 'dispute_reinstated',
    stream: `stripe:dispute:${dp.id}:reinstated`,
    targetMicros: centsToMicros(reinstatedCents),
  });
  await settleReversal(env, topup, totals, `stripe:dispute:${dp.id}`, `Dispute ${dp.id} withdrew $${microsToUsd(centsToMicros(withdrawnCents)).slice(0, -4)}`);
  if (dp.status === 'lost')
    await addReview(env, {
      kind: 'dispute_lost',
      accountId: topup.accountId,
      topupId: topup.id,
      dedupeKey: `stripe:dispute:${dp.id}:lost`,
      message: `Dispute ${dp.id} on top-up ${topup.id} was lost.`,
    });
  return 'processed';
}
