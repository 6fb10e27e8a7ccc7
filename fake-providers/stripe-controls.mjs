// @ts-check
/**
 * The fake Stripe's test controls: the checkout page and what a customer, a bank or a card
 * network would do (pay, settle a bank debit, refund, dispute), each sending the webhooks Stripe
 * sends. No auth. Each answers JSON naming what it did and the events it sent (after their
 * delivery finished), or, for a browser's form post, redirects where Stripe would.
 */
import { html, isTrue, json, seeOther, wantsHtml } from './http.mjs';
import { StripeError, invalidRequest } from './stripe-errors.mjs';
import { checkoutPage, missingSessionPage } from './stripe-page.mjs';

/** @typedef {import('./stripe-model.mjs').StripeModel} StripeModel */
/** @typedef {import('./stripe-api.mjs').Checkout} Checkout */
/** @typedef {import('./stripe.d.mts').FakeStripeDelivery} FakeStripeDelivery */
/** @typedef {import('./stripe.d.mts').StripeCheckoutSession} StripeCheckoutSession */
/**
 * @typedef {object} ControlContext
 * @property {Request} request
 * @property {URL} url
 * @property {Record<string, string>} ids path params
 * @property {Record<string, unknown>} fields the JSON or form body ({} for GET)
 * @property {string} publicUrl
 */
/** @typedef {(context: ControlContext) => Promise<Response>} ControlHandler */

/**
 * @param {object} deps
 * @param {StripeModel} deps.model
 * @param {Checkout} deps.checkout
 * @param {(type: string, object: object) => Promise<FakeStripeDelivery>} deps.emit
 * @param {(eventId: string) => Promise<FakeStripeDelivery>} deps.resend
 * @returns {Array<[string, string, ControlHandler]>}
 */
export function stripeControlRoutes({ model, checkout, emit, resend }) {
  const { state } = model;
  const session = (/** @type {string} */ id) => model.get(state.sessions, id, 'checkout.session');
  const charge = (/** @type {string} */ id) => model.get(state.charges, id, 'charge');
  const dispute = (/** @type {string} */ id) => model.get(state.disputes, id, 'dispute');

  /**
   * Emit events in order (snapshots taken now) and wait until every delivery finished.
   * @param {Array<[string, object]>} events
   */
  async function send(events) {
    const deliveries = await Promise.all(events.map(([type, object]) => emit(type, object)));
    return deliveries.map(summary);
  }

  /**
   * Where a browser goes after a control on a session: the merchant's success page once the
   * session is complete, else back to the checkout page.
   * @param {StripeCheckoutSession} s
   * @param {string} publicUrl
   */
  function afterSession(s, publicUrl) {
    const page = `${publicUrl}/checkout/${encodeURIComponent(s.id)}`;
    if (s.status === 'expired') return s.cancel_url ?? page;
    if (s.status === 'complete' && s.success_url) return s.success_url.replaceAll('{CHECKOUT_SESSION_ID}', s.id);
    return page;
  }

  return [
    [
      'GET',
      '/checkout/:id',
      async ({ ids, url }) => {
        const s = state.sessions.get(ids.id);
        if (!s) return html(404, missingSessionPage());
        const paymentIntent = s.payment_intent ? state.paymentIntents.get(s.payment_intent) : undefined;
        return html(200, checkoutPage({ session: s, paymentIntent, product: checkout.description(s), error: url.searchParams.get('error') }));
      },
    ],
    [
      'POST',
      '/checkout/:id/pay',
      async ({ request, ids, fields, publicUrl }) => {
        const s = session(ids.id);
        const card = /** @type {import('./stripe.d.mts').CheckoutCard} */ (fields.card ?? 'ok');
        let outcome;
        try {
          outcome = checkout.pay(s, { card, async: isTrue(fields.async) });
        } catch (error) {
          if (!(error instanceof StripeError) || !wantsHtml(request)) throw error;
          return seeOther(`${publicUrl}/checkout/${encodeURIComponent(s.id)}?error=${encodeURIComponent(error.message)}`);
        }
        const events = await send(outcome.events);
        if (wantsHtml(request)) return seeOther(afterSession(s, publicUrl));
        const paid = outcome.paymentIntent.latest_charge;
        return json(200, { session: s, payment_intent: outcome.paymentIntent, charge: paid ? state.charges.get(paid) : null, events });
      },
    ],
    [
      'POST',
      '/__fake/sessions/:id/async-succeed',
      async ({ request, ids, publicUrl }) => {
        const s = session(ids.id);
        const outcome = checkout.asyncSucceed(s);
        const events = await send(outcome.events);
        if (wantsHtml(request)) return seeOther(afterSession(s, publicUrl));
        const paid = /** @type {string} */ (outcome.paymentIntent.latest_charge);
        return json(200, { session: s, payment_intent: outcome.paymentIntent, charge: state.charges.get(paid), events });
      },
    ],
    [
      'POST',
      '/__fake/sessions/:id/async-fail',
      async ({ request, ids, publicUrl }) => {
        const s = session(ids.id);
        const outcome = checkout.asyncFail(s);
        const events = await send(outcome.events);
        if (wantsHtml(request)) return seeOther(`${publicUrl}/checkout/${encodeURIComponent(s.id)}`);
        return json(200, { session: s, payment_intent: outcome.paymentIntent, events });
      },
    ],
    [
      'POST',
      '/__fake/sessions/:id/expire',
      async ({ request, ids, publicUrl }) => {
        const s = session(ids.id);
        const events = await send(checkout.expire(s).events);
        if (wantsHtml(request)) return seeOther(afterSession(s, publicUrl));
        return json(200, { session: s, events });
      },
    ],
    [
      'POST',
      '/__fake/charges/:id/refund',
      async ({ ids, fields }) => {
        const c = charge(ids.id);
        const refund = model.refundCharge(c, { amount: cents(fields.amount, 'amount') });
        const events = await send([['charge.refunded', c]]);
        return json(200, { refund, charge: c, events });
      },
    ],
    [
      'POST',
      '/__fake/charges/:id/dispute',
      async ({ ids, fields }) => {
        const c = charge(ids.id);
        const d = model.createDispute(c, cents(fields.amount, 'amount'));
        const events = await send([
          ['charge.dispute.created', d],
          ['charge.dispute.funds_withdrawn', d],
        ]);
        return json(200, { dispute: d, charge: c, events });
      },
    ],
    [
      'POST',
      '/__fake/disputes/:id/reinstate',
      async ({ ids }) => {
        const d = dispute(ids.id);
        model.reinstateDispute(d);
        return json(200, { dispute: d, events: await send([['charge.dispute.funds_reinstated', d]]) });
      },
    ],
    [
      'POST',
      '/__fake/disputes/:id/close',
      async ({ ids, fields }) => {
        const d = dispute(ids.id);
        model.closeDispute(d, fields.status);
        return json(200, { dispute: d, events: await send([['charge.dispute.closed', d]]) });
      },
    ],
    [
      'POST',
      '/__fake/events/:id/resend',
      async ({ ids }) => {
        if (!state.events.some((e) => e.id === ids.id)) throw invalidRequest(`No such event: '${ids.id}'`, { code: 'resource_missing', status: 404 });
        return json(200, { events: [summary(await resend(ids.id))] });
      },
    ],
    ['GET', '/__fake/state', async () => json(200, snapshot(state))],
  ];
}

/**
 * What a control reports about one delivered event.
 * @param {FakeStripeDelivery} delivery
 */
function summary({ eventId, type, result, error }) {
  return { id: eventId, type, delivery: error === undefined ? (result ?? null) : { error } };
}

/**
 * An optional amount in cents from JSON (number) or a form (digits).
 * @param {unknown} value
 * @param {string} param
 * @returns {number | undefined}
 */
function cents(value, param) {
  if (value === undefined || value === '' || value === null) return undefined;
  const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < 1) {
    throw invalidRequest(`${param} must be a positive integer number of cents.`, { param });
  }
  return number;
}

/**
 * The state as plain JSON (maps become objects keyed by id).
 * @param {import('./stripe.d.mts').FakeStripeState} state
 */
function snapshot(state) {
  return Object.fromEntries(Object.entries(state).map(([name, value]) => [name, value instanceof Map ? Object.fromEntries(value) : value]));
}
