/**
 * @module payments/auto-recharge-runner
 * Runs in the account object's alarm when a recharge is in flight: one off-session
 * PaymentIntent per recharge (idempotency key `autorecharge:<topupId>`, so a retried alarm
 * charges once), never for an amount or threshold outside the top-up bounds, credited under `stripe:pi:<id>` — the same key the webhook uses. A card that
 * needs authentication or is declined switches auto-recharge off with a notice.
 */
import { completeAutoRecharge, disableAutoRecharge, readAutoRecharge } from '../durable-objects/account/auto-recharge';
import { creditPayment } from '../durable-objects/account/payments';
import type { Env } from '../env';
import { methodStatus, rechargeOutOfBounds } from './config';
import { makeStripe, type Stripe } from './stripe';
import { addReview, createTopup, refreshStatus, updateTopup } from './topups';

/** A recharge that keeps failing for this long (not a card error) is given up. */
const GIVE_UP_AFTER_MS = 60 * 60_000;

/**
 * Returns false when it should be retried later (a transient failure). `afterCredit` runs
 * synchronously right after the credit is written (the object drops its cached account row).
 */
export async function runAutoRecharge(env: Env, storage: DurableObjectStorage, accountId: string, afterCredit: () => void = () => {}): Promise<boolean> {
  const sql = storage.sql;
  const state = readAutoRecharge(sql);
  const topupId = state.inflightTopupId;
  if (!topupId) return true;
  const amountCents = state.inflightAmountCents ?? state.amountCents;
  if (state.inflightSince !== null && Date.now() - state.inflightSince > GIVE_UP_AFTER_MS) {
    storage.transactionSync(() =>
      disableAutoRecharge(sql, 'Auto-recharge was switched off: the payment could not be made for an hour. Top up by card to turn it back on.'),
    );
    await updateTopup(env, topupId, { status: 'failed', error: 'gave up after repeated failures' }).catch(() => {});
    return true;
  }
  const outside = rechargeOutOfBounds(env, { amountCents, thresholdMicros: state.thresholdMicros });
  if (outside) {
    // A setting stored before the bounds were enforced, or bounds lowered since: never charged.
    storage.transactionSync(() => disableAutoRecharge(sql, `Auto-recharge was switched off: its ${outside.message} Save it again to turn it back on.`));
    await addReview(env, {
      kind: 'auto_recharge_out_of_bounds',
      accountId,
      dedupeKey: `autorecharge:${topupId}:bounds`,
      message: `Auto-recharge of account ${accountId} was set outside the top-up bounds (${outside.message}); it was switched off and nothing was charged.`,
    });
    return true;
  }
  if (!methodStatus(env, 'card').available || !state.customerId || !state.paymentMethod) {
    storage.transactionSync(() => disableAutoRecharge(sql, 'Auto-recharge was switched off: card payments are not available.'));
    return true;
  }
  try {
    await createTopup(env, { id: topupId, accountId, method: 'card', kind: 'auto_recharge', amountCents: amountCents });
    const intent = await makeStripe(env).paymentIntents.create(
      {
        amount: amountCents,
        currency: 'usd',
        customer: state.customerId,
        payment_method: state.paymentMethod,
        off_session: true,
        confirm: true,
        metadata: { topup_id: topupId, account_id: accountId, kind: 'auto_recharge' },
      },
      { idempotencyKey: `autorecharge:${topupId}` },
    );
    if (intent.status !== 'succeeded') {
      storage.transactionSync(() =>
        disableAutoRecharge(sql, `Auto-recharge was switched off: the payment needs your action (${intent.status}). Top up by card to turn it back on.`),
      );
      await updateTopup(env, topupId, { status: 'failed', paymentRef: intent.id, error: intent.status });
      return true;
    }
    const now = Date.now();
    storage.transactionSync(() => {
      // The same credit the webhook would post (key `stripe:pi:<id>`), with any reversal that waited for it.
      creditPayment(
        { sql, accountId, row: undefined, now },
        {
          paymentKey: `stripe:pi:${intent.id}`,
          amountMicros: amountCents * 10_000,
          counterAccount: 'sys:card_clearing',
          ref: topupId,
          reason: 'auto-recharge',
        },
      );
      completeAutoRecharge(sql, amountCents, now);
    });
    // The object keeps its account row in memory; it must re-read it before anything else runs.
    afterCredit();
    await updateTopup(env, topupId, { paymentRef: intent.id });
    await refreshStatus(env, topupId, { creditedMicros: amountCents * 10_000, paidAt: now, paymentRef: intent.id });
    return true;
  } catch (error) {
    const card = error as Stripe.errors.StripeError;
    if (card?.type === 'StripeCardError') {
      const why = card.code === 'authentication_required' ? 'the card needs authentication' : 'the card was declined';
      storage.transactionSync(() => disableAutoRecharge(sql, `Auto-recharge was switched off: ${why}. Top up by card to turn it back on.`));
      await updateTopup(env, topupId, { status: 'failed', error: card.code ?? 'card_error' }).catch(() => {});
      return true;
    }
    console.error(JSON.stringify({ level: 'error', msg: 'auto-recharge failed; will retry', accountId, topupId, error: String(error) }));
    return false;
  }
}
