// @ts-check
/**
 * Checkout Sessions in the fake Stripe: creation from the API's params, and what paying,
 * delayed (bank debit) payments and expiry do to a session. Each state change returns the
 * events Stripe would send, in order; the caller emits them.
 */
import { ASYNC_PAYMENT_METHOD, chargeFailure } from './stripe-model.mjs';
import { StripeError, invalidRequest, missingParam } from './stripe-errors.mjs';
import { stripeId } from './ids.mjs';
import { metadataParam, objectParam, optionalInteger, optionalString, requiredInteger, requiredString } from './stripe-params.mjs';

/** @typedef {import('./stripe.d.mts').StripeCheckoutSession} StripeCheckoutSession */
/** @typedef {import('./stripe.d.mts').StripePaymentIntent} StripePaymentIntent */
/** @typedef {import('./stripe.d.mts').CheckoutCard} CheckoutCard */
/** @typedef {import('./stripe-model.mjs').StripeModel} StripeModel */
/** @typedef {Array<[type: string, object: object]>} PendingEvents */

/** The payment method each checkout `card` choice pays with (and saves, with setup_future_usage). */
export const CHECKOUT_CARDS = Object.freeze({
  ok: 'pm_card_visa',
  authentication_required: 'pm_card_authenticationRequired',
  decline_later: 'pm_card_chargeCustomerFail',
  declined: 'pm_card_chargeDeclined',
});
/** Stripe's default session lifetime. */
const SESSION_TTL_SECONDS = 24 * 60 * 60;

/**
 * @param {StripeModel} model
 * @param {{ paymentIntentEvents: boolean }} options
 *   paymentIntentEvents: also send payment_intent.succeeded / payment_failed for checkout payments
 */
export function createCheckout(model, { paymentIntentEvents }) {
  /** What a session keeps that its wire shape does not show. */
  /** @type {Map<string, { name: string, setupFutureUsage: string | null, paymentIntentMetadata: Record<string, string>, description: string | null }>} */
  const extras = new Map();

  /**
   * POST /v1/checkout/sessions (mode=payment with inline price_data only).
   * @param {Record<string, unknown>} params
   * @param {string} publicUrl where the checkout pages are served
   * @returns {StripeCheckoutSession}
   */
  function create(params, publicUrl) {
    const mode = requiredString(params.mode, 'mode');
    if (mode !== 'payment') throw invalidRequest(`The fake supports mode=payment only, not '${mode}'.`, { param: 'mode' });
    const items = params.line_items;
    if (!Array.isArray(items) || items.length === 0) throw missingParam('line_items');
    const lines = items.map((item, i) => lineItem(item, `line_items[${i}]`));
    const currency = lines[0].currency;
    if (lines.some((line) => line.currency !== currency)) throw invalidRequest('All line items must use the same currency.', { param: 'line_items' });
    const customer = optionalString(params.customer, 'customer') ?? null;
    if (customer) model.get(model.state.customers, customer, 'customer', 'customer');
    const intentData = objectParam(params.payment_intent_data, 'payment_intent_data');
    const setupFutureUsage = optionalString(intentData.setup_future_usage, 'payment_intent_data[setup_future_usage]') ?? null;
    if (setupFutureUsage && setupFutureUsage !== 'off_session' && setupFutureUsage !== 'on_session') {
      throw invalidRequest(`Invalid payment_intent_data[setup_future_usage]: must be one of on_session or off_session`, {
        param: 'payment_intent_data[setup_future_usage]',
      });
    }
    const amount = lines.reduce((sum, line) => sum + line.unit_amount * line.quantity, 0);
    const created = model.seconds();
    const id = stripeId('cs_test_');
    /** @type {StripeCheckoutSession} */
    const session = {
      id,
      object: 'checkout.session',
      amount_subtotal: amount,
      amount_total: amount,
      cancel_url: optionalString(params.cancel_url, 'cancel_url') ?? null,
      client_reference_id: optionalString(params.client_reference_id, 'client_reference_id') ?? null,
      created,
      currency,
      customer,
      customer_email: optionalString(params.customer_email, 'customer_email') ?? null,
      expires_at: optionalInteger(params.expires_at, 'expires_at') ?? created + SESSION_TTL_SECONDS,
      livemode: false,
      metadata: metadataParam(params.metadata),
      mode: 'payment',
      payment_intent: null,
      payment_status: 'unpaid',
      status: 'open',
      success_url: optionalString(params.success_url, 'success_url') ?? null,
      url: `${publicUrl}/checkout/${id}`,
    };
    model.state.sessions.set(id, session);
    extras.set(id, {
      setupFutureUsage,
      name: lines.map((line) => (line.quantity > 1 ? `${line.quantity} × ${line.name}` : line.name)).join(', '),
      paymentIntentMetadata: metadataParam(intentData.metadata, 'payment_intent_data[metadata]'),
      description: optionalString(intentData.description, 'payment_intent_data[description]') ?? null,
    });
    return session;
  }

  /**
   * The customer pays. A declined card throws a 402 card_error and changes nothing; async pays
   * by bank debit, which completes the session unpaid until asyncSucceed/asyncFail.
   * @param {StripeCheckoutSession} session
   * @param {{ card?: CheckoutCard, async?: boolean }} [options]
   */
  function pay(session, { card = 'ok', async = false } = {}) {
    requireStatus(session, 'open');
    const method = async ? ASYNC_PAYMENT_METHOD : Object.hasOwn(CHECKOUT_CARDS, card) ? CHECKOUT_CARDS[card] : undefined;
    if (!method) throw invalidRequest(`card must be one of ${Object.keys(CHECKOUT_CARDS).join(', ')}.`, { param: 'card' });
    const failure = chargeFailure(method, false);
    if (failure) throw new StripeError(402, { type: 'card_error', ...failure });
    const extra = /** @type {NonNullable<ReturnType<typeof extras.get>>} */ (extras.get(session.id));
    const saveFor = extra.setupFutureUsage;
    if (saveFor && !session.customer) {
      // Checkout creates a customer to save the payment method on.
      session.customer = model.createCustomer({ email: session.customer_email }).id;
    }
    const intent = model.createPaymentIntent({
      amount: session.amount_total,
      currency: session.currency,
      customer: session.customer,
      payment_method: method,
      metadata: { ...extra.paymentIntentMetadata },
      setup_future_usage: saveFor,
      description: extra.description,
    });
    if (saveFor && session.customer) model.attachPaymentMethod(method, session.customer);
    Object.assign(session, { status: 'complete', payment_intent: intent.id, url: null });
    /** @type {PendingEvents} */
    const events = [];
    if (async) {
      intent.status = 'processing';
    } else {
      model.succeedPaymentIntent(intent);
      session.payment_status = 'paid';
      if (paymentIntentEvents) events.push(['payment_intent.succeeded', intent]);
    }
    events.push(['checkout.session.completed', session]);
    return { paymentIntent: intent, events };
  }

  /**
   * The delayed payment of a completed session clears.
   * @param {StripeCheckoutSession} session
   */
  function asyncSucceed(session) {
    const intent = processingIntent(session);
    model.succeedPaymentIntent(intent);
    session.payment_status = 'paid';
    /** @type {PendingEvents} */
    const events = paymentIntentEvents ? [['payment_intent.succeeded', intent]] : [];
    events.push(['checkout.session.async_payment_succeeded', session]);
    return { paymentIntent: intent, events };
  }

  /**
   * The delayed payment of a completed session fails; the session stays unpaid for good.
   * @param {StripeCheckoutSession} session
   */
  function asyncFail(session) {
    const intent = processingIntent(session);
    const error = { type: 'card_error', code: 'payment_method_provider_decline', decline_code: 'insufficient_funds', message: 'The bank debit failed.' };
    Object.assign(intent, { status: 'requires_payment_method', payment_method: null, last_payment_error: error });
    /** @type {PendingEvents} */
    const events = paymentIntentEvents ? [['payment_intent.payment_failed', intent]] : [];
    events.push(['checkout.session.async_payment_failed', session]);
    return { paymentIntent: intent, events };
  }

  /**
   * @param {StripeCheckoutSession} session
   */
  function expire(session) {
    requireStatus(session, 'open');
    Object.assign(session, { status: 'expired', url: null });
    /** @type {PendingEvents} */
    const events = [['checkout.session.expired', session]];
    return { events };
  }

  /**
   * The product line shown on the checkout page.
   * @param {StripeCheckoutSession} session
   */
  function description(session) {
    return extras.get(session.id)?.name ?? '';
  }

  /**
   * @param {StripeCheckoutSession} session
   * @returns {StripePaymentIntent}
   */
  function processingIntent(session) {
    const intent = session.payment_intent ? model.state.paymentIntents.get(session.payment_intent) : undefined;
    if (intent?.status !== 'processing') {
      throw invalidRequest(`Checkout session ${session.id} has no delayed payment in progress (pay it with async=1 first).`);
    }
    return intent;
  }

  return { create, pay, asyncSucceed, asyncFail, expire, description };
}

/**
 * @param {StripeCheckoutSession} session
 * @param {'open'} status
 */
function requireStatus(session, status) {
  if (session.status !== status)
    throw invalidRequest(`Checkout session ${session.id} is ${session.status}, not ${status}.`, { code: 'checkout_session_not_open' });
}

/**
 * One `line_items[i]` with inline price_data.
 * @param {unknown} item
 * @param {string} param
 */
function lineItem(item, param) {
  const fields = objectParam(item, param);
  if (fields.price !== undefined) throw invalidRequest('The fake supports inline price_data only, not price ids.', { param: `${param}[price]` });
  if (fields.price_data === undefined) throw missingParam(`${param}[price_data]`);
  const price = objectParam(fields.price_data, `${param}[price_data]`);
  const product = objectParam(price.product_data, `${param}[price_data][product_data]`);
  const unitAmount = requiredInteger(price.unit_amount, `${param}[price_data][unit_amount]`);
  const quantity = requiredInteger(fields.quantity, `${param}[quantity]`);
  if (unitAmount < 0) throw invalidRequest('unit_amount must be >= 0.', { param: `${param}[price_data][unit_amount]` });
  if (quantity < 1) throw invalidRequest('quantity must be >= 1.', { param: `${param}[quantity]` });
  return {
    currency: requiredString(price.currency, `${param}[price_data][currency]`).toLowerCase(),
    unit_amount: unitAmount,
    quantity,
    name: requiredString(product.name, `${param}[price_data][product_data][name]`),
  };
}
