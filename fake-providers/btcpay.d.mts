/** Types for ./btcpay.mjs, the stateful fake of BTCPay Server's Greenfield API. */

export interface FakeBtcpayOptions {
  /** Required as `Authorization: token <apiKey>` on every /api route (else 401). */
  apiKey: string;
  /** The one store this server has; other store ids get 404 store-not-found. */
  storeId: string;
  /** Every delivery is signed with it: `BTCPay-Sig: sha256=<hex HMAC-SHA256(secret, body)>`. */
  webhookSecret: string;
  /**
   * Called once per delivery, in order, with the exact body string and its BTCPay-Sig header
   * value. In Node it POSTs to the gateway; in tests it can call the worker directly. Whatever it
   * returns (e.g. `{status}`) is reported by the controls and kept in `state.deliveries`; a throw
   * is recorded as the delivery's error.
   */
  deliver(event: BtcpayWebhookEvent, signed: { payload: string; signature: string }): unknown;
  /** Base URL of the checkout pages (checkoutLink = `${publicUrl}/i/${id}`). Default: the request's origin. */
  publicUrl?: string;
  /** The webhook's id in deliveries (default: random). */
  webhookId?: string;
  /** Clock in milliseconds (Date.now by default): createdTime, expirationTime, timestamps. */
  now?: () => number;
}

export type BtcpayInvoiceStatus = 'New' | 'Processing' | 'Expired' | 'Invalid' | 'Settled';
export type BtcpayAdditionalStatus = 'None' | 'PaidLate' | 'PaidPartial' | 'Marked' | 'Invalid' | 'PaidOver';
export type BtcpayPaymentMethod = 'BTC-CHAIN' | 'BTC-LN';

/** Greenfield InvoiceData. */
export interface BtcpayInvoice {
  id: string;
  storeId: string;
  /** Decimal string with 2 decimals, e.g. "25.00". */
  amount: string;
  /** What the accounted payments add up to, in the invoice currency ("0.00" until paid). */
  paidAmount: string;
  currency: string;
  type: 'Standard';
  checkoutLink: string;
  /** Unix seconds. */
  createdTime: number;
  expirationTime: number;
  monitoringExpiration: number;
  status: BtcpayInvoiceStatus;
  additionalStatus: BtcpayAdditionalStatus;
  availableStatusesForManualMarking: BtcpayInvoiceStatus[];
  archived: boolean;
  /** As created (orderId is what `?orderId=` searches). */
  metadata: Record<string, unknown>;
  checkout: {
    speedPolicy: string;
    paymentMethods: string[];
    defaultPaymentMethod: string | null;
    expirationMinutes: number;
    monitoringMinutes: number;
    paymentTolerance: number;
    redirectURL: string | null;
    redirectAutomatically: boolean;
    defaultLanguage: string | null;
    [option: string]: unknown;
  };
  receipt: { enabled: boolean; showQR: boolean; showPayments: boolean };
}

/** A payment as webhooks show it (Greenfield's InvoicePaymentMethodDataModel.Payment). */
export interface BtcpayPayment {
  /** txid-vout on-chain, payment hash over Lightning. */
  id: string;
  receivedDate: number;
  /** BTC, 8 decimals (fake rate: 1 BTC = 100,000 USD). */
  value: string;
  fee: string;
  status: 'Processing' | 'Settled' | 'Invalid';
  destination: string;
}

export interface FakeBtcpayPayment {
  paymentMethodId: BtcpayPaymentMethod;
  /** Value in the invoice currency's cents. */
  cents: number;
  payment: BtcpayPayment;
}

/** A webhook body: the common fields plus the type's own. */
export interface BtcpayWebhookEvent {
  deliveryId: string;
  webhookId: string;
  /** The first delivery's id (equal to deliveryId on a first delivery). */
  originalDeliveryId: string;
  isRedelivery: boolean;
  type: 'InvoiceReceivedPayment' | 'InvoicePaymentSettled' | 'InvoiceProcessing' | 'InvoiceSettled' | 'InvoiceExpired' | 'InvoiceInvalid' | (string & {});
  /** Unix seconds. */
  timestamp: number;
  storeId: string;
  invoiceId: string;
  metadata: Record<string, unknown>;
  /** InvoiceSettled, InvoiceInvalid. */
  manuallyMarked?: boolean;
  /** InvoiceSettled, InvoiceProcessing. */
  overPaid?: boolean;
  /** InvoiceReceivedPayment, InvoicePaymentSettled. */
  afterExpiration?: boolean;
  paymentMethodId?: BtcpayPaymentMethod;
  payment?: BtcpayPayment;
  /** InvoiceExpired. */
  partiallyPaid?: boolean;
}

export interface FakeBtcpayDelivery {
  deliveryId: string;
  type: string;
  invoiceId: string;
  body: BtcpayWebhookEvent;
  /** The exact body sent. */
  payload: string;
  /** The BTCPay-Sig header value ("" until the delivery ran). */
  signature: string;
  /** What `deliver` returned. */
  result: unknown;
  /** The message when `deliver` threw. */
  error: string | undefined;
}

export interface FakeBtcpayState {
  invoices: Map<string, BtcpayInvoice>;
  /** Payments per invoice id, in arrival order. */
  payments: Map<string, FakeBtcpayPayment[]>;
  /** Every delivery by deliveryId, in the order made (redeliveries included). */
  deliveries: Map<string, FakeBtcpayDelivery>;
}

export interface FakeBtcpay {
  (request: Request): Promise<Response>;
  readonly state: FakeBtcpayState;
  readonly webhookId: string;
  /** Resolves once every queued delivery has finished. */
  idle(): Promise<void>;
}

/** Create a fake BTCPay Server; `handler.state` holds its invoices, payments and deliveries. */
export function createFakeBtcpay(options: FakeBtcpayOptions): FakeBtcpay;
