// @ts-check
/**
 * The fake Stripe's /v1 endpoints. Each handler gets the decoded params and returns
 * `{status, body}`; the dispatcher (./stripe.mjs) does auth, idempotency, expand and rendering.
 * Events that real Stripe sends after an API call are emitted without waiting for delivery.
 */
import { StripeError, invalidRequest, missingParam } from './stripe-errors.mjs';
import { booleanParam, metadataParam, optionalInteger, optionalString, requiredInteger, requiredString } from './stripe-params.mjs';

/** @typedef {import('./stripe-model.mjs').StripeModel} StripeModel */
/** @typedef {ReturnType<typeof import('./stripe-checkout.mjs').createCheckout>} Checkout */
/** @typedef {{ id: string, idempotency_key: string | null }} RequestInfo */
/** @typedef {(type: string, object: object, request?: RequestInfo) => Promise<unknown>} Emit */
/** @typedef {{ status: number, body: unknown }} ApiResult */
/**
 * @typedef {object} ApiContext
 * @property {Record<string, string>} ids path params
 * @property {string} publicUrl
 * @property {RequestInfo} request
 */
/** @typedef {(params: Record<string, unknown>, context: ApiContext) => ApiResult} ApiHandler */

/** Stripe's minimum charge in cents for USD (and most currencies). */
const MINIMUM_AMOUNT = 50;

/**
 * @param {{ model: StripeModel, checkout: Checkout, emit: Emit }} deps
 * @returns {Array<[string, string, ApiHandler]>}
 */
export function stripeApiRoutes({ model, checkout, emit }) {
  const { state } = model;
  const ok = (/** @type {unknown} */ body) => ({ status: 200, body });
  /** Fire and forget: Stripe answers the API call first and delivers the webhook afterwards. */
  const emitLater = (/** @type {string} */ type, /** @type {object} */ object, /** @type {RequestInfo} */ request) => {
    emit(type, object, request).catch(() => undefined);
  };

  return [
    [
      'POST',
      '/v1/customers',
      (params) =>
        ok(
          model.createCustomer({
            email: optionalString(params.email, 'email') ?? null,
            name: optionalString(params.name, 'name') ?? null,
            description: optionalString(params.description, 'description') ?? null,
            metadata: metadataParam(params.metadata),
          }),
        ),
    ],
    ['GET', '/v1/customers/:id', (_, { ids }) => ok(model.get(state.customers, ids.id, 'customer'))],
    [
      'POST',
      '/v1/customers/:id',
      (params, { ids }) => {
        const customer = model.get(state.customers, ids.id, 'customer');
        for (const field of /** @type {const} */ (['email', 'name', 'description'])) {
          if (params[field] !== undefined) customer[field] = optionalString(params[field], field) ?? null;
        }
        if (params.metadata !== undefined) mergeMetadata(customer.metadata, params.metadata);
        const settings = params.invoice_settings;
        if (settings && typeof settings === 'object' && 'default_payment_method' in settings) {
          const method = optionalString(settings.default_payment_method, 'invoice_settings[default_payment_method]') ?? null;
          if (method) model.paymentMethod(method);
          customer.invoice_settings.default_payment_method = method;
        }
        return ok(customer);
      },
    ],
    ['GET', '/v1/payment_methods/:id', (_, { ids }) => ok(model.get(state.paymentMethods, ids.id, 'payment_method'))],

    ['POST', '/v1/checkout/sessions', (params, { publicUrl }) => ok(checkout.create(params, publicUrl))],
    ['GET', '/v1/checkout/sessions/:id', (_, { ids }) => ok(model.get(state.sessions, ids.id, 'checkout.session'))],

    [
      'POST',
      '/v1/payment_intents',
      (params, { request }) => {
        const amount = requiredInteger(params.amount, 'amount');
        if (amount < MINIMUM_AMOUNT) {
          throw invalidRequest(`Amount must be at least ${MINIMUM_AMOUNT} cents`, { code: 'amount_too_small', param: 'amount' });
        }
        const customer = optionalString(params.customer, 'customer') ?? null;
        if (customer) model.get(state.customers, customer, 'customer', 'customer');
        const intent = model.createPaymentIntent({
          amount,
          currency: requiredString(params.currency, 'currency').toLowerCase(),
          customer,
          payment_method: optionalString(params.payment_method, 'payment_method') ?? null,
          metadata: metadataParam(params.metadata),
          setup_future_usage: optionalString(params.setup_future_usage, 'setup_future_usage') ?? null,
          description: optionalString(params.description, 'description') ?? null,
        });
        if (!booleanParam(params.confirm)) return ok(intent);
        if (!intent.payment_method) throw missingParam('payment_method');
        // off_session is true, or "one_off"/"recurring" in older integrations.
        const offSession = params.off_session !== undefined && params.off_session !== 'false' && params.off_session !== '';
        const outcome = model.confirmPaymentIntent(intent, { offSession });
        if (outcome.ok) {
          emitLater('payment_intent.succeeded', intent, request);
          return ok(intent);
        }
        emitLater('payment_intent.payment_failed', intent, request);
        return { status: 402, body: { error: { ...outcome.error, payment_intent: intent } } };
      },
    ],
    ['GET', '/v1/payment_intents/:id', (_, { ids }) => ok(model.get(state.paymentIntents, ids.id, 'payment_intent'))],
    ['GET', '/v1/charges/:id', (_, { ids }) => ok(model.get(state.charges, ids.id, 'charge'))],

    [
      'POST',
      '/v1/refunds',
      (params, { request }) => {
        const chargeId = optionalString(params.charge, 'charge');
        const intentId = optionalString(params.payment_intent, 'payment_intent');
        if (!chargeId && !intentId) throw missingParam('charge');
        let charge;
        if (chargeId) {
          charge = model.get(state.charges, chargeId, 'charge', 'charge');
        } else {
          const intent = model.get(state.paymentIntents, /** @type {string} */ (intentId), 'payment_intent', 'payment_intent');
          if (!intent.latest_charge)
            throw invalidRequest(`PaymentIntent ${intent.id} does not have a successful charge to refund.`, { param: 'payment_intent' });
          charge = model.get(state.charges, intent.latest_charge, 'charge');
        }
        const refund = model.refundCharge(charge, {
          amount: optionalInteger(params.amount, 'amount'),
          reason: optionalString(params.reason, 'reason') ?? null,
          metadata: metadataParam(params.metadata),
        });
        emitLater('charge.refunded', charge, request);
        return ok(refund);
      },
    ],
    ['GET', '/v1/refunds/:id', (_, { ids }) => ok(model.get(state.refunds, ids.id, 'refund'))],
    ['GET', '/v1/disputes/:id', (_, { ids }) => ok(model.get(state.disputes, ids.id, 'dispute'))],

    [
      'GET',
      '/v1/events/:id',
      (_, { ids }) => {
        const event = state.events.find((e) => e.id === ids.id);
        if (!event) throw invalidRequest(`No such event: '${ids.id}'`, { code: 'resource_missing', param: 'id', status: 404 });
        return ok(event);
      },
    ],
    ['GET', '/v1/events', (params) => ok(listEvents(state.events, params))],
  ];
}

/**
 * GET /v1/events: newest first; filters type, types[], created[gt|gte|lt|lte]; limit; starting_after.
 * @param {ReadonlyArray<import('./stripe.d.mts').StripeEvent>} events
 * @param {Record<string, unknown>} params
 */
function listEvents(events, params) {
  const limit = optionalInteger(params.limit, 'limit') ?? 10;
  if (limit < 1 || limit > 100) throw invalidRequest('limit must be between 1 and 100.', { param: 'limit' });
  const types = Array.isArray(params.types) ? params.types : params.type !== undefined ? [params.type] : null;
  const created = params.created;
  /** @type {(t: number) => boolean} */
  let inRange = () => true;
  if (typeof created === 'string') {
    const exact = requiredInteger(created, 'created');
    inRange = (t) => t === exact;
  } else if (created && typeof created === 'object') {
    const c = /** @type {Record<string, unknown>} */ (created);
    const [gt, gte, lt, lte] = ['gt', 'gte', 'lt', 'lte'].map((op) => optionalInteger(c[op], `created[${op}]`));
    inRange = (t) => (gt === undefined || t > gt) && (gte === undefined || t >= gte) && (lt === undefined || t < lt) && (lte === undefined || t <= lte);
  }
  let matching = events.filter((e) => (!types || types.includes(e.type)) && inRange(e.created)).reverse();
  const after = optionalString(params.starting_after, 'starting_after');
  if (after) {
    const index = matching.findIndex((e) => e.id === after);
    if (index < 0) throw invalidRequest(`No such event: '${after}'`, { code: 'resource_missing', param: 'starting_after' });
    matching = matching.slice(index + 1);
  }
  return { object: 'list', data: matching.slice(0, limit), has_more: matching.length > limit, url: '/v1/events' };
}

/**
 * Stripe merges metadata updates key by key; an empty value deletes the key.
 * @param {Record<string, string>} target
 * @param {unknown} update
 */
function mergeMetadata(target, update) {
  if (update === '') {
    for (const key of Object.keys(target)) delete target[key];
    return;
  }
  if (!update || typeof update !== 'object')
    throw new StripeError(400, { type: 'invalid_request_error', param: 'metadata', message: 'Invalid object: metadata' });
  for (const [key, value] of Object.entries(update)) {
    if (value === '') delete target[key];
    else if (typeof value === 'string') target[key] = value;
  }
}
