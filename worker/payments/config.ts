/**
 * @module payments/config
 * Which payment methods are configured. A method whose secrets are absent is reported as
 * unavailable with the names of the missing secrets, never half-used.
 */
import type { Env } from '../env';

export type PaymentMethod = 'card' | 'bitcoin';

const REQUIRED: Record<PaymentMethod, string[]> = {
  card: ['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET'],
  bitcoin: ['BTCPAY_URL', 'BTCPAY_API_KEY', 'BTCPAY_STORE_ID', 'BTCPAY_WEBHOOK_SECRET'],
};

export interface MethodStatus {
  available: boolean;
  message: string;
}

/** A secret's value when it is set and not blank. */
export function secret(env: Env, name: string): string | null {
  const value = env[name];
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

/** Availability of one method. */
export function methodStatus(env: Env, method: PaymentMethod): MethodStatus {
  const missing = REQUIRED[method].filter((name) => secret(env, name) === null);
  if (missing.length === 0)
    return { available: true, message: method === 'card' ? 'Card payments through Stripe.' : 'Bitcoin on-chain and Lightning through BTCPay Server.' };
  return { available: false, message: `${method === 'card' ? 'Card' : 'Bitcoin'} top-ups are not configured on this gateway (missing ${missing.join(', ')}).` };
}

/** Top-up bounds in cents, from vars (defaults $5 – $10,000). */
export function topupBounds(env: Env): { minCents: number; maxCents: number } {
  const min = Number(env.TOPUP_MIN_CENTS);
  const max = Number(env.TOPUP_MAX_CENTS);
  return { minCents: Number.isSafeInteger(min) && min > 0 ? min : 500, maxCents: Number.isSafeInteger(max) && max > 0 ? max : 1_000_000 };
}

/**
 * Why an auto-recharge setting is outside the top-up bounds, or null: the amount is one top-up
 * (min–max cents) and the threshold is held to the same range in µUSD, so a stored setting can
 * never charge more than a manual top-up could.
 */
export function rechargeOutOfBounds(
  env: Env,
  s: { amountCents: number; thresholdMicros: number },
): { param: 'amountCents' | 'thresholdMicros'; message: string } | null {
  const { minCents, maxCents } = topupBounds(env);
  if (!Number.isSafeInteger(s.amountCents) || s.amountCents < minCents || s.amountCents > maxCents) {
    return { param: 'amountCents', message: `amountCents: between ${minCents} and ${maxCents} cents, like a top-up.` };
  }
  if (!Number.isSafeInteger(s.thresholdMicros) || s.thresholdMicros < centsToMicros(minCents) || s.thresholdMicros > centsToMicros(maxCents)) {
    return {
      param: 'thresholdMicros',
      message: `thresholdMicros: between ${centsToMicros(minCents)} and ${centsToMicros(maxCents)} µUSD (the top-up bounds).`,
    };
  }
  return null;
}

/** The dashboard URL payment pages return to. */
export function dashboardUrl(env: Env): string {
  const url = secret(env, 'DASHBOARD_URL');
  return (url ?? 'http://127.0.0.1:8788').replace(/\/+$/, '');
}

/** Cents → µUSD, exactly. */
export const centsToMicros = (cents: number): number => cents * 10_000;
