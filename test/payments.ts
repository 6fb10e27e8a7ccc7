/**
 * Payment test harness: the fake Stripe and fake BTCPay (fake-providers/) answer the worker's
 * API calls at the network boundary; their webhooks are collected, signed exactly as the
 * providers sign them, so tests can deliver them once, ten times, concurrently or reordered.
 */
import { env } from 'cloudflare:workers';
import { createFakeStripe, type FakeStripe } from '../fake-providers/stripe.mjs';
import { createFakeBtcpay, type FakeBtcpay } from '../fake-providers/btcpay.mjs';
import { call, callJson, installOrigin } from './helpers';

export interface Signed {
  type: string;
  payload: string;
  signature: string;
}

export interface Providers {
  stripe: FakeStripe;
  btcpay: FakeBtcpay;
  stripeEvents: Signed[];
  btcpayDeliveries: Signed[];
}

/** Installs the demo origin plus both fake providers. */
export function installProviders(originOptions: Parameters<typeof installOrigin>[0] = {}): Providers {
  const stripeEvents: Signed[] = [];
  const btcpayDeliveries: Signed[] = [];
  const stripe = createFakeStripe({
    webhookSecret: env.STRIPE_WEBHOOK_SECRET ?? '',
    publicUrl: 'http://stripe.test',
    deliver: (event, signed) => void stripeEvents.push({ type: event.type, ...signed }),
  });
  const btcpay = createFakeBtcpay({
    apiKey: env.BTCPAY_API_KEY ?? '',
    storeId: env.BTCPAY_STORE_ID ?? '',
    webhookSecret: env.BTCPAY_WEBHOOK_SECRET ?? '',
    publicUrl: 'http://btcpay.test',
    deliver: (delivery, signed) => void btcpayDeliveries.push({ type: delivery.type, ...signed }),
  });
  installOrigin(originOptions, { 'stripe.test': stripe, 'btcpay.test': btcpay });
  return { stripe, btcpay, stripeEvents, btcpayDeliveries };
}

/** Posts a Stripe delivery to the worker's webhook. */
export function deliverStripe(event: Pick<Signed, 'payload' | 'signature'>): Promise<Response> {
  return call('/api/webhooks/stripe', {
    method: 'POST',
    body: event.payload,
    headers: { 'stripe-signature': event.signature, 'content-type': 'application/json' },
  });
}

/** Posts a BTCPay delivery to the worker's webhook. */
export function deliverBtcpay(delivery: Pick<Signed, 'payload' | 'signature'>): Promise<Response> {
  return call('/api/webhooks/btcpay', {
    method: 'POST',
    body: delivery.payload,
    headers: { 'btcpay-sig': delivery.signature, 'content-type': 'application/json' },
  });
}

/** Calls a fake provider's control endpoint (pay, refund, dispute…). */
export async function control(provider: FakeStripe | FakeBtcpay, path: string, body: unknown = {}): Promise<any> {
  const res = await provider(
    new Request(`http://fake${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
    }),
  );
  const text = await res.text();
  if (!res.ok) throw new Error(`${path}: ${res.status} ${text}`);
  await provider.idle?.();
  return text ? JSON.parse(text) : {};
}

/** Starts a top-up through the account API. */
export async function startTopup(managementKey: string, body: { method: 'card' | 'bitcoin'; amountCents: number; saveCard?: boolean }) {
  return callJson('/api/account/topups', { method: 'POST', auth: `Bearer ${managementKey}`, json: body, expect: 201 });
}
