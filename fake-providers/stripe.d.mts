/** Types for ./stripe.mjs, the stateful fake of the Stripe API used by `npm start` and tests. */

export const STRIPE_API_VERSION: '2026-10-28.endive';

/** The checkout page's card choices and the payment method each pays with (and saves). */
export const CHECKOUT_CARDS: Readonly<{
  /** pm_card_visa: always succeeds. */
  ok: 'pm_card_visa';
  /** pm_card_authenticationRequired: succeeds at checkout; off-session charges fail (authentication_required). */
  authentication_required: 'pm_card_authenticationRequired';
  /** pm_card_chargeCustomerFail: succeeds at checkout; off-session charges are declined (card_declined). */
  decline_later: 'pm_card_chargeCustomerFail';
  /** pm_card_chargeDeclined: the checkout payment itself is declined (402 card_error). */
  declined: 'pm_card_chargeDeclined';
}>;
export type CheckoutCard = keyof typeof CHECKOUT_CARDS;

export interface FakeStripeOptions {
  /** `whsec_…`: every webhook is signed with it (Stripe-Signature t=…,v1=…). */
  webhookSecret: string;
  /**
   * Called once per delivery, in event order, with the exact payload string and its
   * Stripe-Signature header value. In Node it POSTs to the gateway; in tests it can call the
   * worker directly. Whatever it returns (e.g. `{status}`) is reported by the controls and kept
   * in `state.deliveries`; a throw is recorded as the delivery's error.
   */
  deliver(event: StripeEvent, signed: { payload: string; signature: string }): unknown;
  /** Base URL of the checkout pages (session.url = `${publicUrl}/checkout/${id}`). Default: the request's origin. */
  publicUrl?: string;
  /** When set, the API accepts only `Authorization: Bearer <secretKey>`; otherwise any `sk_test_…` key. */
  secretKey?: string;
  /** Clock in milliseconds (Date.now by default): `created`, `expires_at` and signature timestamps. */
  now?: () => number;
  /**
   * Also send payment_intent.succeeded / payment_intent.payment_failed for checkout payments, as
   * real Stripe does alongside checkout.session.*. Default false (only the checkout.session events).
   */
  paymentIntentEvents?: boolean;
}

export type Metadata = Record<string, string>;

export interface StripeCustomer {
  id: string;
  object: 'customer';
  created: number;
  description: string | null;
  email: string | null;
  invoice_settings: { default_payment_method: string | null };
  livemode: false;
  metadata: Metadata;
  name: string | null;
}

export interface StripePaymentMethod {
  id: string;
  object: 'payment_method';
  created: number;
  /** The customer it is saved on (set by a checkout with setup_future_usage). */
  customer: string | null;
  livemode: false;
  metadata: Metadata;
  type: 'card' | 'us_bank_account';
  card?: { brand: string; last4: string; exp_month: number; exp_year: number; funding: string; country: string };
  us_bank_account?: { bank_name: string; last4: string };
}

export interface StripeCheckoutSession {
  id: string;
  object: 'checkout.session';
  amount_subtotal: number;
  amount_total: number;
  cancel_url: string | null;
  client_reference_id: string | null;
  created: number;
  currency: string;
  customer: string | null;
  customer_email: string | null;
  expires_at: number;
  livemode: false;
  metadata: Metadata;
  mode: 'payment';
  payment_intent: string | null;
  payment_status: 'paid' | 'unpaid';
  status: 'open' | 'complete' | 'expired';
  success_url: string | null;
  /** The checkout page while open; null afterwards (as in Stripe). */
  url: string | null;
}

export interface StripeErrorBody {
  type: 'card_error' | 'invalid_request_error' | 'idempotency_error' | (string & {});
  code?: string;
  decline_code?: string;
  param?: string;
  message: string;
  payment_method?: StripePaymentMethod;
  payment_intent?: StripePaymentIntent;
}

export interface StripePaymentIntent {
  id: string;
  object: 'payment_intent';
  amount: number;
  amount_received: number;
  capture_method: 'automatic_async';
  created: number;
  currency: string;
  customer: string | null;
  description: string | null;
  last_payment_error: StripeErrorBody | null;
  latest_charge: string | null;
  livemode: false;
  metadata: Metadata;
  /** null again after a failed confirmation (the failed one is in last_payment_error). */
  payment_method: string | null;
  payment_method_types: string[];
  setup_future_usage: string | null;
  status: 'requires_payment_method' | 'requires_confirmation' | 'processing' | 'succeeded';
}

export interface StripeCharge {
  id: string;
  object: 'charge';
  amount: number;
  amount_captured: number;
  /** Cumulative over all refunds. */
  amount_refunded: number;
  balance_transaction: string;
  captured: true;
  created: number;
  currency: string;
  customer: string | null;
  disputed: boolean;
  livemode: false;
  /** Always {}: Stripe keeps the metadata on the payment intent. */
  metadata: Metadata;
  paid: true;
  payment_intent: string;
  payment_method: string | null;
  refunded: boolean;
  status: 'succeeded';
}

export interface StripeRefund {
  id: string;
  object: 'refund';
  amount: number;
  charge: string;
  created: number;
  currency: string;
  metadata: Metadata;
  payment_intent: string;
  reason: string | null;
  status: 'succeeded';
}

export interface StripeBalanceTransaction {
  id: string;
  object: 'balance_transaction';
  /** -amount when funds are withdrawn, +amount when reinstated. */
  amount: number;
  created: number;
  currency: string;
  /** 1500 on the withdrawal (Stripe's dispute fee), 0 on the reinstatement. */
  fee: number;
  net: number;
  reporting_category: 'dispute' | 'dispute_reversal';
  type: 'adjustment';
}

export interface StripeDispute {
  id: string;
  object: 'dispute';
  amount: number;
  balance_transactions: StripeBalanceTransaction[];
  charge: string;
  created: number;
  currency: string;
  is_charge_refundable: false;
  livemode: false;
  metadata: Metadata;
  payment_intent: string;
  reason: 'fraudulent';
  status: 'needs_response' | 'won' | 'lost';
}

export interface StripeEvent<T = unknown> {
  id: string;
  object: 'event';
  api_version: '2026-10-28.endive';
  created: number;
  /** A snapshot of the object when the event happened. */
  data: { object: T };
  livemode: false;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  type: string;
}

/** One handing of an event to `deliver` (resends add more for the same event). */
export interface FakeStripeDelivery {
  eventId: string;
  type: string;
  /** The exact body sent. */
  payload: string;
  /** The Stripe-Signature header value. */
  signature: string;
  /** What `deliver` returned. */
  result: unknown;
  /** The message when `deliver` threw. */
  error: string | undefined;
}

export interface FakeStripeState {
  customers: Map<string, StripeCustomer>;
  paymentMethods: Map<string, StripePaymentMethod>;
  sessions: Map<string, StripeCheckoutSession>;
  paymentIntents: Map<string, StripePaymentIntent>;
  charges: Map<string, StripeCharge>;
  refunds: Map<string, StripeRefund>;
  disputes: Map<string, StripeDispute>;
  /** Every event in the order it was created. */
  events: StripeEvent[];
  /** Every delivery in the order it was handed to `deliver`. */
  deliveries: FakeStripeDelivery[];
}

export interface FakeStripe {
  (request: Request): Promise<Response>;
  readonly state: FakeStripeState;
  /** Resolves once every queued webhook delivery has finished (API calls deliver in the background). */
  idle(): Promise<void>;
}

/** Create a fake Stripe; `handler.state` holds everything it made and sent. */
export function createFakeStripe(options: FakeStripeOptions): FakeStripe;
