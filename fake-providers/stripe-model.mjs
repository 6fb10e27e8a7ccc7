// @ts-check
/**
 * The fake Stripe's objects and the state changes that its API and its test controls share.
 * Objects live in `state` maps in Stripe's wire shape (what GET returns); webhook events carry
 * snapshots of them. Invalid requests throw StripeError, which the caller renders.
 */
import { stripeId } from './ids.mjs';
import { invalidRequest } from './stripe-errors.mjs';

/** @typedef {import('./stripe.d.mts').FakeStripeState} FakeStripeState */
/** @typedef {import('./stripe.d.mts').StripeCustomer} StripeCustomer */
/** @typedef {import('./stripe.d.mts').StripePaymentMethod} StripePaymentMethod */
/** @typedef {import('./stripe.d.mts').StripePaymentIntent} StripePaymentIntent */
/** @typedef {import('./stripe.d.mts').StripeCharge} StripeCharge */
/** @typedef {import('./stripe.d.mts').StripeRefund} StripeRefund */
/** @typedef {import('./stripe.d.mts').StripeDispute} StripeDispute */
/** @typedef {import('./stripe.d.mts').StripeErrorBody} StripeErrorBody */

export const STRIPE_API_VERSION = '2026-10-28.endive';

/** Stripe's own test payment methods, each with the card's last four digits. */
const TEST_PAYMENT_METHODS = /** @type {const} */ ({
  pm_card_visa: '4242',
  pm_card_authenticationRequired: '3184', // on-session (checkout) works; off-session needs SCA
  pm_card_chargeCustomerFail: '0341', // can be saved; every later charge is declined
  pm_card_chargeDeclined: '0002', // declined at once
});
/** The payment method of a delayed (bank debit) checkout payment. */
export const ASYNC_PAYMENT_METHOD = 'pm_usBankAccount';
/** A dispute's fee, as Stripe charges it (US, 2026): shows in the withdrawal's `fee`, not in `amount`. */
const DISPUTE_FEE = 1500;

/**
 * Why charging `paymentMethod` fails, or null when it succeeds. Off-session nobody is present to
 * authenticate, so cards that need SCA fail there and only there.
 * @param {string} paymentMethod
 * @param {boolean} offSession
 * @returns {{ code: string, decline_code: string, message: string } | null}
 */
export function chargeFailure(paymentMethod, offSession) {
  if (paymentMethod === 'pm_card_authenticationRequired' && offSession) {
    const message = 'Your card was declined. This transaction requires authentication.';
    return { code: 'authentication_required', decline_code: 'authentication_required', message };
  }
  if (paymentMethod === 'pm_card_chargeDeclined' || (paymentMethod === 'pm_card_chargeCustomerFail' && offSession)) {
    return { code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' };
  }
  return null;
}

/**
 * The fake's state and the operations on it.
 * @param {{ now: () => number }} options now: milliseconds, like Date.now
 */
export function createStripeModel({ now }) {
  /** @type {FakeStripeState} */
  const state = {
    customers: new Map(),
    paymentMethods: new Map(),
    sessions: new Map(),
    paymentIntents: new Map(),
    charges: new Map(),
    refunds: new Map(),
    disputes: new Map(),
    events: [],
    deliveries: [],
  };
  const seconds = () => Math.floor(now() / 1000);

  /**
   * Look an object up by id, or throw Stripe's 404.
   * @template T
   * @param {Map<string, T>} map
   * @param {string} id
   * @param {string} kind e.g. "checkout.session"
   * @param {string} [param]
   * @returns {T}
   */
  function get(map, id, kind, param) {
    const found = map.get(id);
    if (found) return found;
    throw invalidRequest(`No such ${kind}: '${id}'`, { code: 'resource_missing', status: param ? 400 : 404, param: param ?? 'id' });
  }

  /**
   * Any object by id (for `expand`), or undefined.
   * @param {string} id
   * @returns {object | undefined}
   */
  function find(id) {
    for (const map of [state.customers, state.paymentMethods, state.sessions, state.paymentIntents, state.charges, state.refunds, state.disputes]) {
      const found = map.get(id);
      if (found) return found;
    }
    return undefined;
  }

  /**
   * @param {{ email?: string | null, name?: string | null, description?: string | null, metadata?: Record<string, string> }} fields
   * @returns {StripeCustomer}
   */
  function createCustomer({ email = null, name = null, description = null, metadata = {} }) {
    /** @type {StripeCustomer} */
    const customer = {
      id: stripeId('cus_'),
      object: 'customer',
      created: seconds(),
      description,
      email,
      invoice_settings: { default_payment_method: null },
      livemode: false,
      metadata,
      name,
    };
    state.customers.set(customer.id, customer);
    return customer;
  }

  /**
   * The payment method object for an id (Stripe's test ids are used as they are), made on first use.
   * @param {string} id
   * @returns {StripePaymentMethod}
   */
  function paymentMethod(id) {
    let method = state.paymentMethods.get(id);
    if (!method) {
      const bank = id === ASYNC_PAYMENT_METHOD;
      method = {
        id,
        object: 'payment_method',
        created: seconds(),
        customer: null,
        livemode: false,
        metadata: {},
        type: bank ? 'us_bank_account' : 'card',
        ...(bank
          ? { us_bank_account: { bank_name: 'STRIPE TEST BANK', last4: '6789' } }
          : {
              card: {
                brand: 'visa',
                last4: Object.hasOwn(TEST_PAYMENT_METHODS, id) ? TEST_PAYMENT_METHODS[/** @type {keyof typeof TEST_PAYMENT_METHODS} */ (id)] : '4242',
                exp_month: 12,
                exp_year: 2034,
                funding: 'credit',
                country: 'US',
              },
            }),
      };
      state.paymentMethods.set(id, method);
    }
    return method;
  }

  /**
   * @param {{ amount: number, currency: string, customer: string | null, payment_method: string | null,
   *   metadata: Record<string, string>, setup_future_usage: string | null, description?: string | null }} fields
   * @returns {StripePaymentIntent}
   */
  function createPaymentIntent({ amount, currency, customer, payment_method, metadata, setup_future_usage, description = null }) {
    /** @type {StripePaymentIntent} */
    const intent = {
      id: stripeId('pi_'),
      object: 'payment_intent',
      amount,
      amount_received: 0,
      capture_method: 'automatic_async',
      created: seconds(),
      currency,
      customer,
      description,
      last_payment_error: null,
      latest_charge: null,
      livemode: false,
      metadata,
      payment_method,
      payment_method_types: [payment_method === ASYNC_PAYMENT_METHOD ? 'us_bank_account' : 'card'],
      setup_future_usage,
      status: payment_method ? 'requires_confirmation' : 'requires_payment_method',
    };
    state.paymentIntents.set(intent.id, intent);
    return intent;
  }

  /**
   * Confirm a payment intent with its payment method: it succeeds (with a new charge) or is left
   * in requires_payment_method with last_payment_error, as Stripe does.
   * @param {StripePaymentIntent} intent
   * @param {{ offSession: boolean }} options
   * @returns {{ ok: true, charge: StripeCharge } | { ok: false, error: StripeErrorBody }}
   */
  function confirmPaymentIntent(intent, { offSession }) {
    const method = intent.payment_method;
    if (!method)
      throw invalidRequest("You cannot confirm this PaymentIntent because it's missing a payment method.", {
        code: 'payment_intent_unexpected_state',
        param: 'payment_method',
      });
    const failure = chargeFailure(method, offSession);
    if (failure) {
      /** @type {StripeErrorBody} */
      const error = { type: 'card_error', ...failure, payment_method: paymentMethod(method) };
      Object.assign(intent, { status: 'requires_payment_method', payment_method: null, last_payment_error: error });
      return { ok: false, error };
    }
    return { ok: true, charge: succeedPaymentIntent(intent) };
  }

  /**
   * Mark a payment intent paid and create its charge.
   * @param {StripePaymentIntent} intent
   * @returns {StripeCharge}
   */
  function succeedPaymentIntent(intent) {
    /** @type {StripeCharge} */
    const charge = {
      id: stripeId('ch_'),
      object: 'charge',
      amount: intent.amount,
      amount_captured: intent.amount,
      amount_refunded: 0,
      balance_transaction: stripeId('txn_'),
      captured: true,
      created: seconds(),
      currency: intent.currency,
      customer: intent.customer,
      disputed: false,
      livemode: false,
      metadata: {}, // Stripe keeps the payment intent's metadata on the payment intent
      paid: true,
      payment_intent: intent.id,
      payment_method: intent.payment_method,
      refunded: false,
      status: 'succeeded',
    };
    state.charges.set(charge.id, charge);
    Object.assign(intent, { status: 'succeeded', amount_received: intent.amount, latest_charge: charge.id, last_payment_error: null });
    return charge;
  }

  /**
   * Attach a payment method to a customer (what setup_future_usage does at checkout).
   * @param {string} methodId
   * @param {string} customerId
   */
  function attachPaymentMethod(methodId, customerId) {
    paymentMethod(methodId).customer = customerId;
  }

  /**
   * Refund part or all of what is left on a charge; amount_refunded accumulates.
   * @param {StripeCharge} charge
   * @param {{ amount?: number, reason?: string | null, metadata?: Record<string, string> }} [options]
   * @returns {StripeRefund}
   */
  function refundCharge(charge, { amount, reason = null, metadata = {} } = {}) {
    const left = charge.amount - charge.amount_refunded;
    if (left === 0) throw invalidRequest(`Charge ${charge.id} has already been refunded.`, { code: 'charge_already_refunded' });
    const value = amount ?? left;
    if (!Number.isInteger(value) || value < 1)
      throw invalidRequest('Refund amount must be a positive integer (cents).', { code: 'parameter_invalid_integer', param: 'amount' });
    if (value > left) {
      throw invalidRequest(`Refund amount (${value}) is greater than unrefunded amount on charge (${left})`, { code: 'amount_too_large', param: 'amount' });
    }
    charge.amount_refunded += value;
    charge.refunded = charge.amount_refunded === charge.amount;
    /** @type {StripeRefund} */
    const refund = {
      id: stripeId('re_'),
      object: 'refund',
      amount: value,
      charge: charge.id,
      created: seconds(),
      currency: charge.currency,
      metadata,
      payment_intent: charge.payment_intent,
      reason,
      status: 'succeeded',
    };
    state.refunds.set(refund.id, refund);
    return refund;
  }

  /**
   * Open a dispute on a charge; Stripe withdraws the amount (plus its fee) at once.
   * @param {StripeCharge} charge
   * @param {number} [amount] cents; default the whole charge
   * @returns {StripeDispute}
   */
  function createDispute(charge, amount = charge.amount) {
    if (!Number.isInteger(amount) || amount < 1 || amount > charge.amount) {
      throw invalidRequest(`Dispute amount must be an integer between 1 and ${charge.amount}.`, { param: 'amount' });
    }
    charge.disputed = true;
    /** @type {StripeDispute} */
    const dispute = {
      id: stripeId('dp_'),
      object: 'dispute',
      amount,
      balance_transactions: [balanceTransaction(-amount, DISPUTE_FEE, charge.currency, 'dispute')],
      charge: charge.id,
      created: seconds(),
      currency: charge.currency,
      is_charge_refundable: false,
      livemode: false,
      metadata: {},
      payment_intent: charge.payment_intent,
      reason: 'fraudulent',
      status: 'needs_response',
    };
    state.disputes.set(dispute.id, dispute);
    return dispute;
  }

  /**
   * Give a dispute's funds back (Stripe does this when the merchant wins).
   * @param {StripeDispute} dispute
   */
  function reinstateDispute(dispute) {
    if (dispute.balance_transactions.some((txn) => txn.reporting_category === 'dispute_reversal')) {
      throw invalidRequest(`Dispute ${dispute.id} has already been reinstated.`);
    }
    dispute.balance_transactions.push(balanceTransaction(dispute.amount, 0, dispute.currency, 'dispute_reversal'));
  }

  /**
   * @param {StripeDispute} dispute
   * @param {unknown} status
   */
  function closeDispute(dispute, status) {
    if (status !== 'won' && status !== 'lost') throw invalidRequest("status must be 'won' or 'lost'.", { param: 'status' });
    if (dispute.status === 'won' || dispute.status === 'lost') throw invalidRequest(`Dispute ${dispute.id} is already closed (${dispute.status}).`);
    dispute.status = status;
  }

  /**
   * @param {number} amount
   * @param {number} fee
   * @param {string} currency
   * @param {'dispute' | 'dispute_reversal'} category
   */
  function balanceTransaction(amount, fee, currency, category) {
    return {
      id: stripeId('txn_'),
      object: /** @type {const} */ ('balance_transaction'),
      amount,
      created: seconds(),
      currency,
      fee,
      net: amount - fee,
      reporting_category: category,
      type: /** @type {const} */ ('adjustment'),
    };
  }

  return {
    state,
    seconds,
    get,
    find,
    createCustomer,
    paymentMethod,
    createPaymentIntent,
    confirmPaymentIntent,
    succeedPaymentIntent,
    attachPaymentMethod,
    refundCharge,
    createDispute,
    reinstateDispute,
    closeDispute,
  };
}

/** @typedef {ReturnType<typeof createStripeModel>} StripeModel */
