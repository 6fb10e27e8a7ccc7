// @ts-check
/**
 * A stateful fake of the Stripe API as a web-standard handler `(Request) => Promise<Response>`.
 * It runs unchanged in Node (./server.mjs) and inside workerd (tests call it as the Stripe
 * client's fetch), so it uses web APIs only. What it covers: customers, Checkout Sessions
 * (mode=payment, inline price_data), off-session payment intents, charges, refunds, disputes and
 * events, plus test controls (./stripe-controls.mjs) that play the customer, the bank and the
 * card network. Every webhook payload is built once, signed once, and handed to `deliver`.
 */
import { createDeliveryQueue } from './delivery-queue.mjs';
import { createRouter, json, readFields } from './http.mjs';
import { stripeId } from './ids.mjs';
import { stripeSignature } from './signing.mjs';
import { stripeApiRoutes } from './stripe-api.mjs';
import { createCheckout } from './stripe-checkout.mjs';
import { stripeControlRoutes } from './stripe-controls.mjs';
import { StripeError } from './stripe-errors.mjs';
import { STRIPE_API_VERSION, createStripeModel } from './stripe-model.mjs';
import { canonicalJson, parseStripeParams } from './stripe-params.mjs';

export { STRIPE_API_VERSION } from './stripe-model.mjs';
export { CHECKOUT_CARDS } from './stripe-checkout.mjs';

/** @typedef {import('./stripe.d.mts').FakeStripeOptions} FakeStripeOptions */
/** @typedef {import('./stripe.d.mts').FakeStripe} FakeStripe */
/** @typedef {import('./stripe.d.mts').StripeEvent} StripeEvent */
/** @typedef {import('./stripe.d.mts').FakeStripeDelivery} FakeStripeDelivery */
/** @typedef {import('./stripe-api.mjs').ApiResult} ApiResult */
/** @typedef {import('./stripe-api.mjs').RequestInfo} RequestInfo */

/**
 * Create a fake Stripe; `handler.state` holds everything it made and sent.
 * @param {FakeStripeOptions} options
 * @returns {FakeStripe}
 */
export function createFakeStripe({ webhookSecret, deliver, publicUrl, secretKey, now = Date.now, paymentIntentEvents = false }) {
  if (typeof webhookSecret !== 'string' || webhookSecret.trim() === '') throw new TypeError('webhookSecret must be a non-blank string');
  if (typeof deliver !== 'function') throw new TypeError('deliver must be a function (event, { payload, signature }) => …');
  if (secretKey !== undefined && !/^sk_test_\S+$/.test(secretKey)) throw new TypeError('secretKey must look like sk_test_…');
  const base = publicUrl?.replace(/\/+$/, '');

  const model = createStripeModel({ now });
  const { state } = model;
  const checkout = createCheckout(model, { paymentIntentEvents });
  const queue = createDeliveryQueue();
  /** The exact payload string of each event, kept for resends. @type {Map<string, string>} */
  const payloads = new Map();
  /** Idempotency-Key → the first request's fingerprint and answer. @type {Map<string, ApiResult & { fingerprint: string, requestId: string }>} */
  const idempotent = new Map();

  /**
   * Record an event (its data is a snapshot of `object` now) and queue its delivery.
   * @param {string} type
   * @param {object} object
   * @param {RequestInfo | null} [request] the API request that caused it, if any
   */
  function emit(type, object, request = null) {
    /** @type {StripeEvent} */
    const event = {
      id: stripeId('evt_'),
      object: 'event',
      api_version: STRIPE_API_VERSION,
      created: model.seconds(),
      data: { object: structuredClone(object) },
      livemode: false,
      pending_webhooks: 1,
      request: request ?? { id: null, idempotency_key: null },
      type,
    };
    const payload = JSON.stringify(event, null, 2); // Stripe sends pretty-printed JSON
    state.events.push(event);
    payloads.set(event.id, payload);
    return send(event, payload);
  }

  /**
   * Sign the payload with a fresh timestamp and hand it to `deliver`, after earlier deliveries.
   * @param {StripeEvent} event
   * @param {string} payload
   * @returns {Promise<FakeStripeDelivery>}
   */
  function send(event, payload) {
    return queue.run(async () => {
      const signature = await stripeSignature(webhookSecret, payload, model.seconds());
      /** @type {FakeStripeDelivery} */
      const delivery = { eventId: event.id, type: event.type, payload, signature, result: undefined, error: undefined };
      state.deliveries.push(delivery);
      try {
        delivery.result = await deliver(event, { payload, signature });
      } catch (error) {
        delivery.error = error instanceof Error ? error.message : String(error);
      }
      return delivery;
    });
  }

  /** @param {string} eventId */
  function resend(eventId) {
    const event = /** @type {StripeEvent} */ (state.events.find((e) => e.id === eventId));
    return send(event, /** @type {string} */ (payloads.get(eventId)));
  }

  const api = createRouter(stripeApiRoutes({ model, checkout, emit }));
  const controls = createRouter(stripeControlRoutes({ model, checkout, emit, resend }));

  /** @param {Request} request */
  async function fakeStripe(request) {
    const url = new URL(request.url);
    const origin = base ?? url.origin;
    if (url.pathname.startsWith('/v1/')) return handleApi(request, url, origin);
    const route = controls(request.method, url.pathname);
    if (!route) return json(404, { error: { type: 'invalid_request_error', message: `No fake Stripe control at ${request.method} ${url.pathname}.` } });
    const fields = request.method === 'GET' ? {} : await readFields(request);
    if (!fields) return json(400, { error: { type: 'invalid_request_error', message: 'The body must be a JSON object or a form.' } });
    try {
      return await route.handler({ request, url, ids: route.params, fields, publicUrl: origin });
    } catch (error) {
      if (error instanceof StripeError) return json(error.status, { error: error.error });
      throw error;
    }
  }

  /**
   * @param {Request} request
   * @param {URL} url
   * @param {string} origin
   */
  async function handleApi(request, url, origin) {
    const requestId = stripeId('req_');
    const headers = { 'request-id': requestId, 'stripe-version': STRIPE_API_VERSION };
    const reply = (/** @type {ApiResult} */ { status, body }, extra = {}) => json(status, body, { ...headers, ...extra });
    const denied = authError(request.headers.get('authorization'), secretKey);
    if (denied) return reply({ status: 401, body: { error: { type: 'invalid_request_error', message: denied } } });
    const route = api(request.method, url.pathname);
    if (!route) {
      const message = `Unrecognized request URL (${request.method}: ${url.pathname}). The fake Stripe implements only what the gateway uses.`;
      return reply({ status: 404, body: { error: { type: 'invalid_request_error', message } } });
    }
    const params = parseStripeParams(request.method === 'POST' ? await request.text() : url.search.slice(1));
    if (!params) return reply({ status: 400, body: { error: { type: 'invalid_request_error', message: 'Invalid request: malformed parameter key.' } } });

    const key = request.method === 'POST' ? request.headers.get('idempotency-key') : null;
    const fingerprint = `${request.method} ${url.pathname} ${canonicalJson(params)}`;
    const earlier = key === null ? undefined : idempotent.get(key);
    if (earlier) {
      if (earlier.fingerprint === fingerprint) return reply(earlier, { 'idempotent-replayed': 'true', 'original-request': earlier.requestId });
      const message = `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`;
      return reply({ status: 400, body: { error: { type: 'idempotency_error', message } } });
    }

    /** @type {ApiResult} */
    let result;
    try {
      result = route.handler(params, { ids: route.params, publicUrl: origin, request: { id: requestId, idempotency_key: key } });
      if (result.status === 200) result = { status: 200, body: expand(result.body, params.expand) };
    } catch (error) {
      if (!(error instanceof StripeError)) throw error;
      result = { status: error.status, body: { error: error.error } };
    }
    // Like Stripe: a request that ran is saved under its key (card errors too); one rejected
    // before running (validation, missing objects) is not, so a corrected retry may reuse the key.
    if (key !== null && (result.status < 400 || result.status === 402)) {
      idempotent.set(key, { ...structuredClone(result), fingerprint, requestId });
    }
    return reply(result);
  }

  /**
   * Replace id strings with the objects they name along each `expand[]` path (e.g.
   * "payment_intent.latest_charge"; lists expand each of `data`).
   * @param {unknown} body
   * @param {unknown} paths
   */
  function expand(body, paths) {
    const list = Array.isArray(paths) ? paths : typeof paths === 'string' ? [paths] : [];
    if (list.length === 0) return body;
    const copy = structuredClone(body);
    for (const path of list) if (typeof path === 'string') expandPath(copy, path.split('.'));
    return copy;
  }

  /**
   * @param {unknown} node
   * @param {string[]} path
   */
  function expandPath(node, [head, ...rest]) {
    if (Array.isArray(node)) {
      for (const item of node) expandPath(item, [head, ...rest]);
      return;
    }
    if (!node || typeof node !== 'object') return;
    const record = /** @type {Record<string, unknown>} */ (node);
    const value = record[head];
    if (typeof value === 'string') {
      const found = model.find(value);
      if (found) record[head] = structuredClone(found);
    }
    if (rest.length > 0) expandPath(record[head], rest);
  }

  return Object.assign(fakeStripe, { state, idle: queue.idle });
}

/**
 * Why an API request is not authenticated, or null when it is: Bearer auth with a test-mode
 * secret key (exactly `secretKey` when one is configured).
 * @param {string | null} header
 * @param {string | undefined} secretKey
 */
function authError(header, secretKey) {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match) {
    return "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').";
  }
  const key = match[1];
  if (secretKey ? key === secretKey : key.startsWith('sk_test_')) return null;
  const shown = key.length > 12 ? `${key.slice(0, 8)}${'*'.repeat(key.length - 12)}${key.slice(-4)}` : '****';
  return `Invalid API Key provided: ${shown}`;
}
