import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { centsToDecimal, decimalToCents, verifyBtcpaySignature } from './btcpay';
import { methodStatus } from './config';
import type { Env } from '../env';

async function sign(secret: string, body: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(body)));
  return `sha256=${[...mac].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

describe('BTCPay amounts', () => {
  it('converts cents to decimal strings and back exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e11 }), (cents) => {
        expect(decimalToCents(centsToDecimal(cents))).toBe(cents);
      }),
    );
    expect(decimalToCents('25')).toBe(2500);
    expect(decimalToCents('25.5')).toBe(2550);
    expect(decimalToCents('25.00000000')).toBe(2500);
    expect(decimalToCents('25.001')).toBeNull();
    expect(decimalToCents('-1.00')).toBeNull();
    expect(decimalToCents('1e3')).toBeNull();
  });
});

describe('BTCPay-Sig', () => {
  it('accepts the HMAC of the raw body and nothing else', async () => {
    const body = '{"deliveryId":"d1","type":"InvoiceSettled"}';
    const raw = new TextEncoder().encode(body).buffer as ArrayBuffer;
    const good = await sign('s3cret', body);
    expect(await verifyBtcpaySignature(raw, good, 's3cret')).toBe(true);
    expect(await verifyBtcpaySignature(raw, good.toUpperCase().replace('SHA256=', 'sha256='), 's3cret')).toBe(true);
    expect(await verifyBtcpaySignature(raw, await sign('other', body), 's3cret')).toBe(false);
    expect(await verifyBtcpaySignature(new TextEncoder().encode(`${body} `).buffer as ArrayBuffer, good, 's3cret')).toBe(false);
    expect(await verifyBtcpaySignature(raw, undefined, 's3cret')).toBe(false);
    expect(await verifyBtcpaySignature(raw, 'sha256=abc', 's3cret')).toBe(false);
    expect(await verifyBtcpaySignature(raw, good, null)).toBe(false);
  });
});

describe('payment method configuration', () => {
  it('reports a method whose secrets are absent or blank as unavailable, naming them', () => {
    const env = { STRIPE_SECRET_KEY: 'sk_test_x', STRIPE_WEBHOOK_SECRET: '  ' } as unknown as Env;
    const card = methodStatus(env, 'card');
    expect(card.available).toBe(false);
    expect(card.message).toContain('STRIPE_WEBHOOK_SECRET');
    expect(methodStatus(env, 'bitcoin').message).toContain('BTCPAY_URL, BTCPAY_API_KEY, BTCPAY_STORE_ID, BTCPAY_WEBHOOK_SECRET');
    expect(methodStatus({ ...env, STRIPE_WEBHOOK_SECRET: 'whsec_x' } as unknown as Env, 'card').available).toBe(true);
  });
});
