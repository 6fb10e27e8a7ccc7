/**
 * @module payments/checkout
 * Starting a top-up: the top-up row is written first, then the provider's payment page is
 * created with deterministic idempotency keys (Stripe) or an order-id lookup before any retry
 * (BTCPay has no idempotency keys), and its URL is returned.
 */
import { eq } from 'drizzle-orm';
import { database } from '../db/client';
import { billingProfiles } from '../db/schema';
import type { Env } from '../env';
import { ApiError } from '../errors';
import { btcpayClient, type Invoice } from './btcpay';
import { dashboardUrl, methodStatus, topupBounds, type PaymentMethod } from './config';
import { makeStripe } from './stripe';
import { createTopup, getTopup, updateTopup, type Topup } from './topups';

/** One Stripe customer per account, created once (idempotency key `customer:<account>`). */
async function stripeCustomer(env: Env, accountId: string): Promise<string> {
  const db = database(env.DB);
  const existing = (await db.select().from(billingProfiles).where(eq(billingProfiles.accountId, accountId)))[0];
  if (existing?.stripeCustomerId) return existing.stripeCustomerId;
  const customer = await makeStripe(env).customers.create({ metadata: { account_id: accountId } }, { idempotencyKey: `customer:${accountId}` });
  await db
    .insert(billingProfiles)
    .values({ accountId, stripeCustomerId: customer.id, updatedAt: Date.now() })
    .onConflictDoUpdate({ target: billingProfiles.accountId, set: { stripeCustomerId: customer.id, updatedAt: Date.now() } });
  return customer.id;
}

/** Validates the method and amount, records the top-up and opens the provider's payment page. */
export async function startTopup(env: Env, input: { accountId: string; method: PaymentMethod; amountCents: number; saveCard: boolean }): Promise<Topup> {
  const status = methodStatus(env, input.method);
  if (!status.available) throw new ApiError({ code: 'payment_method_unavailable', message: status.message });
  const { minCents, maxCents } = topupBounds(env);
  if (input.amountCents < minCents || input.amountCents > maxCents) {
    throw new ApiError({ code: 'invalid_request', param: 'amountCents', message: `amountCents: between ${minCents} and ${maxCents} cents.` });
  }
  const topup = await createTopup(env, { accountId: input.accountId, method: input.method, amountCents: input.amountCents });
  const returnUrl = `${dashboardUrl(env)}/billing?topup=${topup.id}`;
  try {
    if (input.method === 'card') {
      const session = await makeStripe(env).checkout.sessions.create(
        {
          mode: 'payment',
          customer: await stripeCustomer(env, input.accountId),
          client_reference_id: topup.id,
          line_items: [{ quantity: 1, price_data: { currency: 'usd', unit_amount: input.amountCents, product_data: { name: 'API credit' } } }],
          metadata: { topup_id: topup.id, account_id: input.accountId },
          payment_intent_data: {
            metadata: { topup_id: topup.id, account_id: input.accountId },
            ...(input.saveCard ? { setup_future_usage: 'off_session' as const } : {}),
          },
          success_url: `${returnUrl}&session_id={CHECKOUT_SESSION_ID}`,
          cancel_url: `${returnUrl}&cancelled=1`,
        },
        { idempotencyKey: `topup:${topup.id}:checkout` },
      );
      await updateTopup(env, topup.id, { status: 'pending', providerRef: session.id, checkoutUrl: session.url });
    } else {
      const client = btcpayClient(env);
      let invoice: Invoice;
      try {
        invoice = await client.createInvoice({ amountCents: input.amountCents, orderId: topup.id, accountId: input.accountId, redirectUrl: returnUrl });
      } catch (error) {
        // The create may have reached BTCPay before failing: look for it before giving up.
        const found = await client.findByOrderId(topup.id).catch(() => [] as Invoice[]);
        if (!found[0]) throw error;
        invoice = found[0];
      }
      await updateTopup(env, topup.id, { status: 'pending', providerRef: invoice.id, checkoutUrl: invoice.checkoutLink });
    }
  } catch (error) {
    if (error instanceof ApiError) throw error;
    await updateTopup(env, topup.id, { status: 'failed', error: 'The payment provider could not be reached.' });
    throw new ApiError({
      code: 'payment_failed',
      message: 'The payment provider could not start this top-up; nothing was charged. Try again shortly.',
      internal: error,
    });
  }
  return (await getTopup(env, topup.id)) as Topup;
}
