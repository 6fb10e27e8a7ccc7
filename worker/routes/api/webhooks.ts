/**
 * @module routes/api/webhooks
 * Provider webhooks. Each verifies its signature on the raw body first (bad → 400, nothing
 * written), records the delivery in the inbox, acts on the re-read payment object, and answers
 * 2xx only after every durable write; a transient failure answers 5xx so the provider retries.
 */
import { Hono } from 'hono';
import type Stripe from 'stripe';
import type { AppEnv, Env } from '../../env';
import { ApiError } from '../../errors';
import { verifyBtcpaySignature } from '../../payments/btcpay';
import { applyInvoice, BtcpayMismatch, confirmInvoice, type BtcpayDelivery } from '../../payments/btcpay-webhook';
import { methodStatus, secret } from '../../payments/config';
import { verifyStripeEvent } from '../../payments/stripe';
import { handleStripeEvent } from '../../payments/stripe-webhook';

/** Records a delivery; returns false if it was already processed. */
async function record(env: Env, provider: string, eventId: string, type: string, objectId: string | null, payload: string): Promise<boolean> {
  await env.DB.prepare('INSERT OR IGNORE INTO webhook_events (provider, event_id, type, object_id, payload, status, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
    .bind(provider, eventId, type, objectId, payload, 'received', Date.now())
    .run();
  const row = await env.DB.prepare('SELECT status FROM webhook_events WHERE provider = ? AND event_id = ?').bind(provider, eventId).first<{ status: string }>();
  return row?.status !== 'processed';
}

async function finish(env: Env, provider: string, eventId: string, status: string, error: string | null = null): Promise<void> {
  await env.DB.prepare('UPDATE webhook_events SET status = ?, error = ?, processed_at = ? WHERE provider = ? AND event_id = ?')
    .bind(status, error, Date.now(), provider, eventId)
    .run();
}

const unavailable = (message: string) => new ApiError({ code: 'payment_method_unavailable', message });

export const webhookRoutes = new Hono<AppEnv>()
  .post('/stripe', async (c) => {
    const card = methodStatus(c.env, 'card');
    if (!card.available) throw unavailable(card.message);
    const raw = await c.req.text();
    let event: Stripe.Event;
    try {
      event = await verifyStripeEvent(c.env, raw, c.req.header('stripe-signature'));
    } catch (error) {
      throw new ApiError({ code: 'invalid_signature', message: 'The Stripe-Signature header does not verify.', internal: error });
    }
    const objectId = (event.data.object as { id?: string }).id ?? null;
    if (!(await record(c.env, 'stripe', event.id, event.type, objectId, raw))) return c.json({ received: true, duplicate: true });
    try {
      const outcome = await handleStripeEvent(c.env, event);
      await finish(c.env, 'stripe', event.id, outcome);
      return c.json({ received: true, outcome });
    } catch (error) {
      await finish(c.env, 'stripe', event.id, 'failed', String(error)).catch(() => {});
      throw new ApiError({ code: 'service_unavailable', message: 'The event could not be processed yet; retry.', internal: error });
    }
  })
  .post('/btcpay', async (c) => {
    const bitcoin = methodStatus(c.env, 'bitcoin');
    if (!bitcoin.available) throw unavailable(bitcoin.message);
    const raw = await c.req.arrayBuffer();
    if (!(await verifyBtcpaySignature(raw, c.req.header('btcpay-sig'), secret(c.env, 'BTCPAY_WEBHOOK_SECRET')))) {
      throw new ApiError({ code: 'invalid_signature', message: 'The BTCPay-Sig header does not verify.' });
    }
    const text = new TextDecoder().decode(raw);
    let delivery: BtcpayDelivery & { manuallyMarked?: boolean };
    try {
      delivery = JSON.parse(text);
    } catch {
      throw new ApiError({ code: 'invalid_json', message: 'The delivery is not JSON.' });
    }
    if (typeof delivery.deliveryId !== 'string' || typeof delivery.type !== 'string')
      throw new ApiError({ code: 'invalid_request', message: 'Not a BTCPay webhook delivery.' });
    if (!delivery.type.startsWith('Invoice') || typeof delivery.invoiceId !== 'string') return c.json({ received: true, outcome: 'ignored' });
    let confirmed: Awaited<ReturnType<typeof confirmInvoice>>;
    try {
      confirmed = await confirmInvoice(c.env, delivery);
    } catch (error) {
      if (error instanceof BtcpayMismatch)
        throw new ApiError({ code: 'invalid_request', message: 'The delivery does not match a top-up of this store.', internal: error.message });
      throw new ApiError({ code: 'service_unavailable', message: 'The invoice could not be confirmed yet; retry.', internal: error });
    }
    if (!(await record(c.env, 'btcpay', delivery.deliveryId, delivery.type, delivery.invoiceId, text))) return c.json({ received: true, duplicate: true });
    try {
      await applyInvoice(c.env, confirmed, delivery);
      await finish(c.env, 'btcpay', delivery.deliveryId, 'processed');
      return c.json({ received: true, outcome: 'processed' });
    } catch (error) {
      await finish(c.env, 'btcpay', delivery.deliveryId, 'failed', String(error)).catch(() => {});
      throw new ApiError({ code: 'service_unavailable', message: 'The delivery could not be processed yet; retry.', internal: error });
    }
  });
