// @ts-check
/**
 * A stateful fake of BTCPay Server's Greenfield API (invoices and their webhooks) as a
 * web-standard handler `(Request) => Promise<Response>`, for Node (./server.mjs) and workerd
 * tests alike: web APIs only. One store, one webhook. Test controls (./btcpay-controls.mjs) play
 * the buyer's wallet, the chain and the merchant. Every delivery body is built once, signed
 * once (BTCPay-Sig) and handed to `deliver`; every delivery, redeliveries included, has its own
 * deliveryId.
 */
import { btcpayControlRoutes } from './btcpay-controls.mjs';
import { BtcpayError, createInvoices } from './btcpay-invoices.mjs';
import { createDeliveryQueue } from './delivery-queue.mjs';
import { createRouter, json, readFields } from './http.mjs';
import { BASE58, randomString } from './ids.mjs';
import { btcpaySignature } from './signing.mjs';

/** @typedef {import('./btcpay.d.mts').FakeBtcpayOptions} FakeBtcpayOptions */
/** @typedef {import('./btcpay.d.mts').FakeBtcpay} FakeBtcpay */
/** @typedef {import('./btcpay.d.mts').FakeBtcpayState} FakeBtcpayState */
/** @typedef {import('./btcpay.d.mts').FakeBtcpayDelivery} FakeBtcpayDelivery */
/** @typedef {import('./btcpay.d.mts').BtcpayWebhookEvent} BtcpayWebhookEvent */
/** @typedef {import('./btcpay.d.mts').BtcpayInvoice} BtcpayInvoice */
/** @typedef {import('./btcpay-invoices.mjs').PendingEvents} PendingEvents */
/** @typedef {(context: { request: Request, url: URL, ids: Record<string, string>, publicUrl: string }) => Promise<Response>} ApiHandler */

/**
 * Create a fake BTCPay Server; `handler.state` holds its invoices, payments and deliveries.
 * @param {FakeBtcpayOptions} options
 * @returns {FakeBtcpay}
 */
export function createFakeBtcpay({ apiKey, storeId, webhookSecret, deliver, publicUrl, webhookId, now = Date.now }) {
  for (const [name, value] of Object.entries({ apiKey, storeId, webhookSecret })) {
    if (typeof value !== 'string' || value.trim() === '') throw new TypeError(`${name} must be a non-blank string`);
  }
  if (typeof deliver !== 'function') throw new TypeError('deliver must be a function (event, { payload, signature }) => …');
  const base = publicUrl?.replace(/\/+$/, '');
  const hookId = webhookId ?? randomString(22, BASE58);
  const invoices = createInvoices({ storeId, now });
  /** @type {FakeBtcpayState} */
  const state = { ...invoices.state, deliveries: new Map() };
  const queue = createDeliveryQueue();

  /**
   * Queue one delivery of `event` (the body, already final) after the earlier ones.
   * @param {BtcpayWebhookEvent} event
   * @returns {Promise<FakeBtcpayDelivery>}
   */
  function deliverOnce(event) {
    const payload = JSON.stringify(event, null, 2); // BTCPay sends indented JSON
    /** @type {FakeBtcpayDelivery} */
    const delivery = {
      deliveryId: event.deliveryId,
      type: event.type,
      invoiceId: event.invoiceId,
      body: event,
      payload,
      signature: '',
      result: undefined,
      error: undefined,
    };
    state.deliveries.set(delivery.deliveryId, delivery); // known at once, so it can be redelivered
    return queue.run(async () => {
      delivery.signature = await btcpaySignature(webhookSecret, payload);
      try {
        delivery.result = await deliver(event, { payload, signature: delivery.signature });
      } catch (error) {
        delivery.error = error instanceof Error ? error.message : String(error);
      }
      return delivery;
    });
  }

  /**
   * Build and deliver an invoice's events in order (bodies fixed now) and wait for all of them.
   * @param {BtcpayInvoice} invoice
   * @param {PendingEvents} events
   */
  function send(invoice, events) {
    return Promise.all(
      events.map(([type, fields]) => {
        const deliveryId = randomString(22, BASE58);
        return deliverOnce({
          deliveryId,
          webhookId: hookId,
          originalDeliveryId: deliveryId,
          isRedelivery: false,
          type,
          timestamp: Math.floor(now() / 1000),
          storeId,
          invoiceId: invoice.id,
          metadata: structuredClone(invoice.metadata),
          ...fields,
        });
      }),
    );
  }

  /**
   * The same body again with a new deliveryId; originalDeliveryId keeps naming the first one.
   * @param {string} deliveryId
   */
  function redeliver(deliveryId) {
    const earlier = /** @type {FakeBtcpayDelivery} */ (state.deliveries.get(deliveryId));
    return deliverOnce({
      ...structuredClone(earlier.body),
      deliveryId: randomString(22, BASE58),
      originalDeliveryId: earlier.body.originalDeliveryId ?? earlier.deliveryId,
      isRedelivery: true,
    });
  }

  /**
   * @param {string} id
   * @returns {BtcpayInvoice}
   */
  function findInvoice(id) {
    const invoice = state.invoices.get(id);
    if (!invoice) throw new BtcpayError(404, { code: 'invoice-not-found', message: 'The invoice was not found' });
    return invoice;
  }

  /** @param {string} id */
  function requireStore(id) {
    if (id !== storeId) throw new BtcpayError(404, { code: 'store-not-found', message: 'The store was not found' });
  }

  /** @type {Array<[string, string, ApiHandler]>} */
  const apiRoutes = [
    [
      'POST',
      '/api/v1/stores/:storeId/invoices',
      async ({ request, ids, publicUrl: origin }) => {
        requireStore(ids.storeId);
        let body;
        try {
          body = JSON.parse(await request.text());
        } catch {
          throw new BtcpayError(400, { code: 'invalid-json', message: 'The request body is not valid JSON' });
        }
        return json(200, invoices.create(body, origin));
      },
    ],
    [
      'GET',
      '/api/v1/stores/:storeId/invoices',
      async ({ ids, url }) => {
        requireStore(ids.storeId);
        const orderIds = url.searchParams.getAll('orderId');
        const statuses = url.searchParams.getAll('status');
        const skip = Number(url.searchParams.get('skip') ?? 0) || 0;
        const take = Number(url.searchParams.get('take') ?? 0) || Infinity;
        const list = [...state.invoices.values()]
          .reverse() // newest first
          .filter((inv) => orderIds.length === 0 || orderIds.includes(String(inv.metadata.orderId)))
          .filter((inv) => statuses.length === 0 || statuses.includes(inv.status));
        return json(200, list.slice(skip, skip + take));
      },
    ],
    [
      'GET',
      '/api/v1/stores/:storeId/invoices/:invoiceId',
      async ({ ids }) => {
        requireStore(ids.storeId);
        return json(200, findInvoice(ids.invoiceId));
      },
    ],
    ['GET', '/api/v1/invoices/:invoiceId', async ({ ids }) => json(200, findInvoice(ids.invoiceId))],
    [
      'POST',
      '/api/v1/stores/:storeId/webhooks/:webhookId/deliveries/:deliveryId/redeliver',
      async ({ ids }) => {
        requireStore(ids.storeId);
        if (ids.webhookId !== hookId) throw new BtcpayError(404, { code: 'webhook-not-found', message: 'The webhook was not found' });
        if (!state.deliveries.has(ids.deliveryId))
          throw new BtcpayError(404, { code: 'webhookdelivery-not-found', message: 'The webhook delivery was not found' });
        const delivery = await redeliver(ids.deliveryId);
        return json(200, delivery.deliveryId);
      },
    ],
  ];
  const api = createRouter(apiRoutes);
  const controls = createRouter(btcpayControlRoutes({ invoices, state, send, redeliver }));

  /** @param {Request} request */
  async function fakeBtcpay(request) {
    const url = new URL(request.url);
    const origin = base ?? url.origin;
    try {
      if (url.pathname.startsWith('/api/')) {
        if (!authorized(request.headers.get('authorization'), apiKey)) {
          return json(401, { code: 'unauthenticated', message: 'Authentication is required for accessing this endpoint' });
        }
        const route = api(request.method, url.pathname);
        if (!route) return json(404, { code: 'not-found', message: `The fake BTCPay has no ${request.method} ${url.pathname}` });
        return await route.handler({ request, url, ids: route.params, publicUrl: origin });
      }
      const route = controls(request.method, url.pathname);
      if (!route) return json(404, { code: 'not-found', message: `No fake BTCPay control at ${request.method} ${url.pathname}` });
      const fields = request.method === 'GET' ? {} : await readFields(request);
      if (!fields) return json(400, { code: 'invalid-body', message: 'The body must be a JSON object or a form' });
      return await route.handler({ request, url, ids: route.params, fields, publicUrl: origin });
    } catch (error) {
      if (error instanceof BtcpayError) return json(error.status, error.body);
      throw error;
    }
  }

  return Object.assign(fakeBtcpay, { state, webhookId: hookId, idle: queue.idle });
}

/**
 * Greenfield API keys go in `Authorization: token <apiKey>`.
 * @param {string | null} header
 * @param {string} apiKey
 */
function authorized(header, apiKey) {
  const match = /^token\s+(\S+)\s*$/i.exec(header ?? '');
  return match !== null && match[1] === apiKey;
}
