/**
 * @module payments/btcpay
 * A small BTCPay Server Greenfield client over fetch, the `BTCPay-Sig` check, and exact
 * decimal-string ↔ cents conversion (never parseFloat).
 */
import type { Env } from '../env';
import { secret } from './config';

export type InvoiceStatus = 'New' | 'Processing' | 'Expired' | 'Invalid' | 'Settled';

export interface Invoice {
  id: string;
  storeId: string;
  checkoutLink: string;
  status: InvoiceStatus;
  additionalStatus: string;
  amount: string;
  currency: string;
  metadata: Record<string, unknown> & { orderId?: string };
}

export class BtcpayError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
    this.name = 'BtcpayError';
  }
}

/** Cents → "25.00". */
export function centsToDecimal(cents: number): string {
  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}

/** "25", "25.5", "25.00" → 2500; null for anything else or sub-cent precision. */
export function decimalToCents(value: string): number | null {
  const m = /^(\d{1,12})(?:\.(\d{1,8}))?$/.exec(value.trim());
  if (!m) return null;
  const fraction = (m[2] ?? '').padEnd(2, '0');
  if (/[1-9]/.test(fraction.slice(2))) return null;
  return Number(m[1]) * 100 + Number(fraction.slice(0, 2));
}

/** Greenfield API client for the configured store. */
export function btcpayClient(env: Env) {
  const base = (secret(env, 'BTCPAY_URL') ?? '').replace(/\/+$/, '');
  const storeId = secret(env, 'BTCPAY_STORE_ID') ?? '';
  const apiKey = secret(env, 'BTCPAY_API_KEY') ?? '';
  const request = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `token ${apiKey}`, 'content-type': 'application/json', accept: 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(20_000),
      });
    } catch (error) {
      throw new BtcpayError(`BTCPay unreachable: ${String(error)}`, null);
    }
    if (!res.ok) throw new BtcpayError(`BTCPay ${method} ${path} → ${res.status}: ${(await res.text()).slice(0, 300)}`, res.status);
    return (await res.json()) as T;
  };
  return {
    storeId,
    createInvoice: (input: { amountCents: number; orderId: string; accountId: string; redirectUrl: string }) =>
      request<Invoice>('POST', `/api/v1/stores/${encodeURIComponent(storeId)}/invoices`, {
        amount: centsToDecimal(input.amountCents),
        currency: 'USD',
        metadata: { orderId: input.orderId, accountId: input.accountId },
        checkout: {
          paymentMethods: ['BTC-CHAIN', 'BTC-LN'],
          redirectURL: input.redirectUrl,
          redirectAutomatically: true,
          expirationMinutes: 30,
          speedPolicy: 'MediumSpeed',
        },
      }),
    getInvoice: (invoiceId: string) => request<Invoice>('GET', `/api/v1/stores/${encodeURIComponent(storeId)}/invoices/${encodeURIComponent(invoiceId)}`),
    findByOrderId: (orderId: string) =>
      request<Invoice[]>('GET', `/api/v1/stores/${encodeURIComponent(storeId)}/invoices?orderId=${encodeURIComponent(orderId)}`),
  };
}

const encoder = new TextEncoder();

/** Checks `BTCPay-Sig: sha256=<hex HMAC-SHA256(secret, raw body)>` in constant time. */
export async function verifyBtcpaySignature(raw: ArrayBuffer, header: string | undefined, webhookSecret: string | null): Promise<boolean> {
  if (!webhookSecret) return false;
  const m = /^sha256=([0-9a-f]{64})$/i.exec(header?.trim() ?? '');
  if (!m) return false;
  const signature = new Uint8Array(32);
  for (let i = 0; i < 32; i++) signature[i] = parseInt(m[1].slice(i * 2, i * 2 + 2), 16);
  const key = await crypto.subtle.importKey('raw', encoder.encode(webhookSecret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  return crypto.subtle.verify('HMAC', key, signature, raw);
}
