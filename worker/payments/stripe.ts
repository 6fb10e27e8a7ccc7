/**
 * @module payments/stripe
 * The Stripe client for workerd: fetch HTTP client, SubtleCrypto for webhook signatures, and
 * `STRIPE_API_BASE` to point it at the local fake during development.
 */
import Stripe from 'stripe';
import type { Env } from '../env';
import { secret } from './config';

export const stripeCrypto = Stripe.createSubtleCryptoProvider();

/** A client for this environment (STRIPE_SECRET_KEY must be set). */
export function makeStripe(env: Env): Stripe {
  const key = secret(env, 'STRIPE_SECRET_KEY');
  if (!key) throw new Error('STRIPE_SECRET_KEY is not set');
  const base = secret(env, 'STRIPE_API_BASE');
  const target = base ? new URL(base) : null;
  return new Stripe(key, {
    httpClient: Stripe.createFetchHttpClient(),
    maxNetworkRetries: 1,
    timeout: 20_000,
    ...(target
      ? {
          host: target.hostname,
          port: target.port || (target.protocol === 'https:' ? '443' : '80'),
          protocol: target.protocol.replace(':', '') as 'http' | 'https',
        }
      : {}),
  });
}

/** Verifies a webhook on its raw body (300 s tolerance); throws on any mismatch. */
export async function verifyStripeEvent(env: Env, raw: string, signature: string | undefined): Promise<Stripe.Event> {
  const webhookSecret = secret(env, 'STRIPE_WEBHOOK_SECRET');
  if (!webhookSecret || !signature) throw new Error('missing signature or secret');
  return Stripe.webhooks.constructEventAsync(raw, signature, webhookSecret, undefined, stripeCrypto);
}

export type { Stripe };
