// @ts-check
/**
 * Invoices in the fake BTCPay Server: creation from a Greenfield CreateInvoiceRequest, and what
 * payments, confirmations, expiry and manual marking do to them. Each change returns the webhook
 * events BTCPay would send, in order, as `[type, type-specific fields]`; the caller sends them.
 * Amounts are kept in integer cents; BTC values use a fixed fake rate.
 */
import { centsToDecimal, parseCents } from './money.mjs';
import { BASE58, randomString } from './ids.mjs';

/** @typedef {import('./btcpay.d.mts').BtcpayInvoice} BtcpayInvoice */
/** @typedef {import('./btcpay.d.mts').FakeBtcpayPayment} FakeBtcpayPayment */
/** @typedef {import('./btcpay.d.mts').FakeBtcpayState} FakeBtcpayState */
/** @typedef {import('./btcpay.d.mts').BtcpayPaymentMethod} BtcpayPaymentMethod */
/** @typedef {Array<[type: string, fields: Record<string, unknown>]>} PendingEvents */

/** Fake exchange rate: 1 cent = 10 sats (1 BTC = 100,000 USD). */
const SATS_PER_CENT = 10;
const DEFAULT_PAYMENT_METHODS = ['BTC-CHAIN', 'BTC-LN'];
/** Greenfield's ids for a method, including the legacy names it still parses. */
const METHOD_ALIASES = /** @type {Record<string, BtcpayPaymentMethod>} */ ({
  'BTC-CHAIN': 'BTC-CHAIN',
  BTC: 'BTC-CHAIN',
  'BTC-OnChain': 'BTC-CHAIN',
  'BTC-LN': 'BTC-LN',
  'BTC-LightningNetwork': 'BTC-LN',
  'BTC-LNURL': 'BTC-LN',
  'BTC-LNURLPAY': 'BTC-LN',
});

/**
 * The payment method a Greenfield id (or legacy name) stands for, or undefined.
 * @param {string} id
 * @returns {BtcpayPaymentMethod | undefined}
 */
function methodAlias(id) {
  return Object.hasOwn(METHOD_ALIASES, id) ? METHOD_ALIASES[id] : undefined;
}

/** A Greenfield error: `{code, message}`, or for validation (422) `[{path, message}]`. */
export class BtcpayError extends Error {
  /**
   * @param {number} status
   * @param {{ code: string, message: string } | Array<{ path: string, message: string }>} body
   */
  constructor(status, body) {
    super(Array.isArray(body) ? body.map((e) => `${e.path}: ${e.message}`).join('; ') : body.message);
    this.name = 'BtcpayError';
    this.status = status;
    this.body = body;
  }
}

/**
 * @param {string} path
 * @param {string} message
 */
const invalid = (path, message) => new BtcpayError(422, [{ path, message }]);
/** @param {string} message */
const badState = (message) => new BtcpayError(400, { code: 'invalid-state', message });

/**
 * @param {{ storeId: string, now: () => number }} options
 */
export function createInvoices({ storeId, now }) {
  /** @type {Pick<FakeBtcpayState, 'invoices' | 'payments'>} */
  const state = { invoices: new Map(), payments: new Map() };
  /** Invoice amount in cents. @type {Map<string, number>} */
  const cents = new Map();
  const seconds = () => Math.floor(now() / 1000);

  /**
   * POST /api/v1/stores/{storeId}/invoices. Fixed-amount invoices only.
   * @param {unknown} body
   * @param {string} publicUrl
   * @returns {BtcpayInvoice}
   */
  function create(body, publicUrl) {
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw invalid('', 'The request body must be a JSON object');
    const request = /** @type {Record<string, unknown>} */ (body);
    if (request.amount === undefined || request.amount === null) throw invalid('amount', 'The fake supports fixed-amount invoices only; amount is required');
    const amount = parseCents(request.amount);
    if (amount === null || amount <= 0) throw invalid('amount', 'amount must be a positive decimal with at most 2 decimals, e.g. "25.00"');
    const currency = request.currency ?? 'USD';
    if (typeof currency !== 'string' || !/^[A-Za-z]{3}$/.test(currency)) throw invalid('currency', 'currency must be a currency code such as "USD"');
    const metadata = request.metadata ?? {};
    if (!metadata || typeof metadata !== 'object' || Array.isArray(metadata)) throw invalid('metadata', 'metadata must be a JSON object');
    const checkout = checkoutOptions(request.checkout);
    const created = seconds();
    const expiration = created + checkout.expirationMinutes * 60;
    const id = randomString(22, BASE58);
    /** @type {BtcpayInvoice} */
    const invoice = {
      id,
      storeId,
      amount: centsToDecimal(amount),
      paidAmount: '0.00',
      currency: currency.toUpperCase(),
      type: 'Standard',
      checkoutLink: `${publicUrl}/i/${id}`,
      createdTime: created,
      expirationTime: expiration,
      monitoringExpiration: expiration + checkout.monitoringMinutes * 60,
      status: 'New',
      additionalStatus: 'None',
      availableStatusesForManualMarking: [],
      archived: false,
      metadata: structuredClone(/** @type {Record<string, unknown>} */ (metadata)),
      checkout,
      receipt: { enabled: true, showQR: true, showPayments: true },
    };
    state.invoices.set(id, invoice);
    state.payments.set(id, []);
    cents.set(id, amount);
    refresh(invoice);
    return invoice;
  }

  /**
   * A payment arrives before expiry. Lightning settles at once; on-chain waits for confirm().
   * @param {BtcpayInvoice} invoice
   * @param {{ method?: unknown, fraction?: unknown, amount?: unknown }} [options]
   */
  function pay(invoice, options = {}) {
    if (invoice.status !== 'New') throw badState(`Invoice ${invoice.id} is ${invoice.status}; only New invoices take payments (use pay-late after expiry).`);
    const payment = receive(invoice, options);
    /** @type {PendingEvents} */
    const events = [['InvoiceReceivedPayment', receivedFields(invoice, payment)]];
    const due = invoiceCents(invoice);
    if (paidCents(invoice) < due) {
      invoice.additionalStatus = 'PaidPartial';
    } else {
      const overPaid = paidCents(invoice) > due;
      invoice.additionalStatus = overPaid ? 'PaidOver' : 'None';
      if (accounted(invoice).every((p) => p.payment.status === 'Settled')) {
        invoice.status = 'Settled';
        events.push(['InvoiceSettled', { manuallyMarked: false, overPaid }]);
      } else {
        invoice.status = 'Processing';
        events.push(['InvoiceProcessing', { overPaid }]);
      }
    }
    refresh(invoice);
    return { payment, events };
  }

  /**
   * A block confirms every on-chain payment still processing.
   * @param {BtcpayInvoice} invoice
   */
  function confirm(invoice) {
    const pending = accounted(invoice).filter((p) => p.payment.status === 'Processing');
    if (pending.length === 0) throw badState(`Invoice ${invoice.id} has no on-chain payment waiting for confirmation.`);
    /** @type {PendingEvents} */
    const events = [];
    for (const p of pending) {
      p.payment.status = 'Settled';
      events.push(['InvoicePaymentSettled', receivedFields(invoice, p)]);
    }
    if (invoice.status === 'Processing') {
      invoice.status = 'Settled';
      events.push(['InvoiceSettled', { manuallyMarked: false, overPaid: invoice.additionalStatus === 'PaidOver' }]);
    }
    refresh(invoice);
    return { events };
  }

  /**
   * The invoice times out unpaid (or partly paid).
   * @param {BtcpayInvoice} invoice
   * @returns {{ events: PendingEvents }}
   */
  function expire(invoice) {
    if (invoice.status !== 'New') throw badState(`Invoice ${invoice.id} is ${invoice.status}; only New invoices expire.`);
    const partiallyPaid = paidCents(invoice) > 0;
    invoice.status = 'Expired';
    invoice.additionalStatus = partiallyPaid ? 'PaidPartial' : 'None';
    refresh(invoice);
    return { events: [['InvoiceExpired', { partiallyPaid }]] };
  }

  /**
   * A payment arrives after expiry (a New invoice is expired first).
   * @param {BtcpayInvoice} invoice
   * @param {{ method?: unknown, fraction?: unknown, amount?: unknown }} [options]
   */
  function payLate(invoice, options = {}) {
    /** @type {PendingEvents} */
    const events = invoice.status === 'New' ? expire(invoice).events : [];
    if (invoice.status !== 'Expired') throw badState(`Invoice ${invoice.id} is ${invoice.status}; late payments go to expired invoices.`);
    const payment = receive(invoice, options);
    invoice.additionalStatus = 'PaidLate';
    events.push(['InvoiceReceivedPayment', receivedFields(invoice, payment)]);
    refresh(invoice);
    return { payment, events };
  }

  /**
   * The invoice becomes Invalid: marked by the merchant, or a payment failed to confirm.
   * @param {BtcpayInvoice} invoice
   * @param {boolean} manuallyMarked
   * @returns {{ events: PendingEvents }}
   */
  function invalidate(invoice, manuallyMarked) {
    if (invoice.status === 'Invalid') throw badState(`Invoice ${invoice.id} is already Invalid.`);
    invoice.status = 'Invalid';
    invoice.additionalStatus = manuallyMarked ? 'Marked' : 'Invalid';
    if (!manuallyMarked) for (const p of accounted(invoice)) if (p.payment.status === 'Processing') p.payment.status = 'Invalid';
    refresh(invoice);
    return { events: [['InvoiceInvalid', { manuallyMarked }]] };
  }

  /**
   * The merchant marks the invoice settled by hand.
   * @param {BtcpayInvoice} invoice
   * @returns {{ events: PendingEvents }}
   */
  function markSettled(invoice) {
    if (invoice.status === 'Settled') throw badState(`Invoice ${invoice.id} is already Settled.`);
    invoice.status = 'Settled';
    invoice.additionalStatus = 'Marked';
    refresh(invoice);
    return { events: [['InvoiceSettled', { manuallyMarked: true, overPaid: false }]] };
  }

  /**
   * Record one payment of `amount` (decimal) or `fraction` of the invoice (default 1).
   * @param {BtcpayInvoice} invoice
   * @param {{ method?: unknown, fraction?: unknown, amount?: unknown }} options
   * @returns {FakeBtcpayPayment}
   */
  function receive(invoice, { method = 'BTC-CHAIN', fraction, amount }) {
    const methodId = typeof method === 'string' ? methodAlias(method) : undefined;
    if (!methodId) throw badState(`method must be BTC-CHAIN or BTC-LN, not ${JSON.stringify(method)}.`);
    const enabled = (invoice.checkout.paymentMethods ?? DEFAULT_PAYMENT_METHODS).map(methodAlias);
    if (!enabled.includes(methodId)) throw badState(`Invoice ${invoice.id} does not accept ${methodId}.`);
    let value;
    if (amount !== undefined && amount !== '') {
      value = parseCents(amount);
      if (value === null || value <= 0) throw badState('amount must be a positive decimal such as "12.50".');
    } else {
      const share = fraction === undefined || fraction === '' ? 1 : Number(fraction);
      if (!Number.isFinite(share) || share <= 0) throw badState('fraction must be a positive number (1 = exact, 0.5 = half, 1.2 = overpay).');
      value = Math.round(invoiceCents(invoice) * share);
    }
    const lightning = methodId === 'BTC-LN';
    const sats = value * SATS_PER_CENT;
    /** @type {FakeBtcpayPayment} */
    const record = {
      paymentMethodId: methodId,
      cents: value,
      payment: {
        id: lightning ? randomString(64, '0123456789abcdef') : `${randomString(64, '0123456789abcdef')}-0`,
        receivedDate: seconds(),
        value: `${Math.floor(sats / 1e8)}.${String(sats % 1e8).padStart(8, '0')}`,
        fee: '0.00000000',
        status: lightning ? 'Settled' : 'Processing',
        destination: lightning
          ? `lnbcrt${sats * 10}n1p${randomString(40, 'qpzry9x8gf2tvdw0s3jn54khce6mua7l')}`
          : `bcrt1q${randomString(38, 'qpzry9x8gf2tvdw0s3jn54khce6mua7l')}`,
      },
    };
    /** @type {FakeBtcpayPayment[]} */ (state.payments.get(invoice.id)).push(record);
    return record;
  }

  /**
   * @param {BtcpayInvoice} invoice
   * @param {FakeBtcpayPayment} record
   */
  function receivedFields(invoice, record) {
    return {
      afterExpiration: invoice.status === 'Expired' || invoice.status === 'Invalid',
      paymentMethodId: record.paymentMethodId,
      payment: structuredClone(record.payment),
    };
  }

  /** @param {BtcpayInvoice} invoice */
  function accounted(invoice) {
    return (state.payments.get(invoice.id) ?? []).filter((p) => p.payment.status !== 'Invalid');
  }

  /** @param {BtcpayInvoice} invoice */
  function paidCents(invoice) {
    return accounted(invoice).reduce((sum, p) => sum + p.cents, 0);
  }

  /** @param {BtcpayInvoice} invoice */
  function invoiceCents(invoice) {
    return /** @type {number} */ (cents.get(invoice.id));
  }

  /**
   * Derived fields: paidAmount and which statuses the merchant may still mark.
   * @param {BtcpayInvoice} invoice
   */
  function refresh(invoice) {
    invoice.paidAmount = centsToDecimal(paidCents(invoice));
    invoice.availableStatusesForManualMarking =
      invoice.status === 'Settled' ? ['Invalid'] : invoice.status === 'Invalid' ? ['Settled'] : ['Settled', 'Invalid'];
  }

  return { state, create, pay, confirm, expire, payLate, invalidate, markSettled };
}

/**
 * The invoice's checkout options with BTCPay's defaults filled in.
 * @param {unknown} value
 * @returns {BtcpayInvoice['checkout']}
 */
function checkoutOptions(value) {
  if (value !== undefined && value !== null && (typeof value !== 'object' || Array.isArray(value))) throw invalid('checkout', 'checkout must be a JSON object');
  const options = /** @type {Record<string, unknown>} */ (value ?? {});
  /** @param {string} name @param {number} fallback */
  const minutes = (name, fallback) => {
    const v = options[name] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw invalid(`checkout.${name}`, `${name} must be a positive whole number of minutes`);
    return v;
  };
  const methods = options.paymentMethods ?? DEFAULT_PAYMENT_METHODS;
  if (!Array.isArray(methods) || methods.length === 0 || !methods.every((m) => typeof m === 'string' && methodAlias(m))) {
    throw invalid('checkout.paymentMethods', `paymentMethods must list some of ${Object.keys(METHOD_ALIASES).join(', ')}`);
  }
  const redirect = options.redirectURL ?? null;
  if (redirect !== null && typeof redirect !== 'string') throw invalid('checkout.redirectURL', 'redirectURL must be a string');
  return {
    ...options,
    speedPolicy: typeof options.speedPolicy === 'string' ? options.speedPolicy : 'MediumSpeed',
    paymentMethods: [...methods],
    defaultPaymentMethod: typeof options.defaultPaymentMethod === 'string' ? options.defaultPaymentMethod : null,
    expirationMinutes: minutes('expirationMinutes', 15),
    monitoringMinutes: minutes('monitoringMinutes', 1440),
    paymentTolerance: typeof options.paymentTolerance === 'number' ? options.paymentTolerance : 0,
    redirectURL: redirect,
    redirectAutomatically: options.redirectAutomatically === true,
    defaultLanguage: typeof options.defaultLanguage === 'string' ? options.defaultLanguage : null,
  };
}
