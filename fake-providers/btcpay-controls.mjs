// @ts-check
/**
 * The fake BTCPay's test controls: the checkout page, and what the buyer's wallet, the chain
 * and the merchant would do (pay, confirm, let expire, pay late, mark), each sending BTCPay's
 * webhooks. No auth. Each answers JSON naming what it did and the deliveries it made (after they
 * finished), or, for a browser's form post, redirects where BTCPay would.
 */
import { invoicePage, missingInvoicePage, redirectTarget } from './btcpay-page.mjs';
import { BtcpayError } from './btcpay-invoices.mjs';
import { html, isTrue, json, seeOther, wantsHtml } from './http.mjs';

/** @typedef {ReturnType<typeof import('./btcpay-invoices.mjs').createInvoices>} Invoices */
/** @typedef {import('./btcpay-invoices.mjs').PendingEvents} PendingEvents */
/** @typedef {import('./btcpay.d.mts').BtcpayInvoice} BtcpayInvoice */
/** @typedef {import('./btcpay.d.mts').FakeBtcpayState} FakeBtcpayState */
/** @typedef {import('./btcpay.d.mts').FakeBtcpayDelivery} FakeBtcpayDelivery */
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
 * @param {Invoices} deps.invoices
 * @param {FakeBtcpayState} deps.state
 * @param {(invoice: BtcpayInvoice, events: PendingEvents) => Promise<FakeBtcpayDelivery[]>} deps.send
 *   sends the events in order and resolves once all were delivered
 * @param {(deliveryId: string) => Promise<FakeBtcpayDelivery>} deps.redeliver
 * @returns {Array<[string, string, ControlHandler]>}
 */
export function btcpayControlRoutes({ invoices, state, send, redeliver }) {
  /** @param {string} id */
  const invoice = (id) => {
    const found = state.invoices.get(id);
    if (!found) throw new BtcpayError(404, { code: 'invoice-not-found', message: `No invoice ${id}` });
    return found;
  };

  /**
   * Run a state change on an invoice, send its events, and answer: JSON for scripts; for a
   * browser, the merchant's redirectURL once the invoice is paid (Processing or Settled), as
   * BTCPay's checkout does, else back to the checkout page (with the error, if any).
   * @param {ControlContext} context
   * @param {(inv: BtcpayInvoice) => { events: PendingEvents, payment?: unknown }} change
   */
  async function control({ request, ids, publicUrl }, change) {
    const inv = invoice(ids.id);
    const browser = wantsHtml(request);
    const pageUrl = `${publicUrl}/i/${encodeURIComponent(inv.id)}`;
    let outcome;
    try {
      outcome = change(inv);
    } catch (error) {
      if (!browser || !(error instanceof BtcpayError)) throw error;
      return seeOther(`${pageUrl}?error=${encodeURIComponent(error.message)}`);
    }
    const deliveries = await send(inv, outcome.events);
    if (browser) {
      const paid = inv.status === 'Processing' || inv.status === 'Settled';
      return seeOther(paid && inv.checkout.redirectURL ? redirectTarget(inv) : pageUrl);
    }
    return json(200, { invoice: inv, payments: state.payments.get(inv.id), events: deliveries.map(summary) });
  }

  return [
    [
      'GET',
      '/i/:id',
      async ({ ids, url }) => {
        const inv = state.invoices.get(ids.id);
        if (!inv) return html(404, missingInvoicePage());
        return html(200, invoicePage(inv, state.payments.get(inv.id) ?? [], url.searchParams.get('error')));
      },
    ],
    [
      'POST',
      '/__fake/invoices/:id/pay',
      (context) =>
        control(context, (inv) => {
          const { fields } = context;
          const paid = invoices.pay(inv, { method: fields.method, fraction: fields.fraction, amount: fields.amount });
          // confirm=1: the payment confirms in the same step (the page's "pay and confirm").
          if (!isTrue(fields.confirm) || inv.status !== 'Processing') return paid;
          return { payment: paid.payment, events: [...paid.events, ...invoices.confirm(inv).events] };
        }),
    ],
    ['POST', '/__fake/invoices/:id/confirm', (context) => control(context, (inv) => invoices.confirm(inv))],
    ['POST', '/__fake/invoices/:id/expire', (context) => control(context, (inv) => invoices.expire(inv))],
    [
      'POST',
      '/__fake/invoices/:id/pay-late',
      (context) =>
        control(context, (inv) => invoices.payLate(inv, { method: context.fields.method, fraction: context.fields.fraction, amount: context.fields.amount })),
    ],
    ['POST', '/__fake/invoices/:id/invalid', (context) => control(context, (inv) => invoices.invalidate(inv, isTrue(context.fields.manuallyMarked)))],
    ['POST', '/__fake/invoices/:id/mark-settled', (context) => control(context, (inv) => invoices.markSettled(inv))],
    [
      'POST',
      '/__fake/deliveries/:deliveryId/redeliver',
      async ({ ids }) => {
        if (!state.deliveries.has(ids.deliveryId)) throw new BtcpayError(404, { code: 'webhookdelivery-not-found', message: `No delivery ${ids.deliveryId}` });
        return json(200, { events: [summary(await redeliver(ids.deliveryId))] });
      },
    ],
    ['GET', '/__fake/state', async () => json(200, Object.fromEntries(Object.entries(state).map(([name, map]) => [name, Object.fromEntries(map)])))],
  ];
}

/**
 * What a control reports about one delivery.
 * @param {FakeBtcpayDelivery} delivery
 */
export function summary({ deliveryId, type, body, result, error }) {
  return {
    deliveryId,
    originalDeliveryId: body.originalDeliveryId,
    type,
    delivery: error === undefined ? (result ?? null) : { error },
  };
}
