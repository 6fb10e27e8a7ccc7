import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ADMIN, accountStub, callJson, createWorld } from '../helpers';
import { control, deliverBtcpay, installProviders, startTopup, type Providers } from '../payments';

afterEach(() => vi.restoreAllMocks());

const balance = async (accountId: string) => (await accountStub(accountId).summary()).balanceMicros;
const inbox = async () => (await env.DB.prepare("SELECT COUNT(*) AS n FROM webhook_events WHERE provider = 'btcpay'").first<{ n: number }>())!.n;

async function sign(secret: string, body: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(body)));
  return `sha256=${[...mac].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** A $15 Bitcoin top-up; returns its ids. */
async function bitcoinTopup(managementKey: string) {
  const { topup, checkoutUrl } = await startTopup(managementKey, { method: 'bitcoin', amountCents: 1500 });
  const invoiceId = topup.providerRef as string;
  expect(checkoutUrl).toContain(invoiceId);
  return { topupId: topup.id as string, invoiceId };
}

async function deliverAll(p: Providers, from = 0) {
  const statuses = [];
  for (const d of p.btcpayDeliveries.slice(from)) statuses.push((await deliverBtcpay(d)).status);
  return statuses;
}

const topupOf = async (managementKey: string, id: string) =>
  (await callJson(`/api/account/topups/${id}`, { auth: `Bearer ${managementKey}`, expect: 200 })).topup;

describe('Bitcoin top-ups', () => {
  it('creates a USD invoice with the top-up as order id, shows Processing as pending, credits once on Settled', async () => {
    const p = installProviders();
    const w = await createWorld({ balanceMicros: 0 });
    const { topupId, invoiceId } = await bitcoinTopup(w.managementKey);
    const invoice = p.btcpay.state.invoices.get(invoiceId)!;
    expect(invoice).toMatchObject({ amount: '15.00', currency: 'USD', metadata: { orderId: topupId } });
    await control(p.btcpay, `/__fake/invoices/${invoiceId}/pay`, { method: 'BTC-CHAIN' });
    expect(await deliverAll(p)).toEqual(p.btcpayDeliveries.map(() => 200));
    expect((await topupOf(w.managementKey, topupId)).status).toBe('processing');
    expect(await balance(w.accountId)).toBe(0);
    const from = p.btcpayDeliveries.length;
    await control(p.btcpay, `/__fake/invoices/${invoiceId}/confirm`);
    await deliverAll(p, from);
    expect(await balance(w.accountId)).toBe(15_000_000);
    expect((await topupOf(w.managementKey, topupId)).status).toBe('paid');
  });

  it('does not credit again for redeliveries, which carry new delivery ids, nor for concurrent ones', async () => {
    const p = installProviders();
    const w = await createWorld({ balanceMicros: 0 });
    const { invoiceId } = await bitcoinTopup(w.managementKey);
    await control(p.btcpay, `/__fake/invoices/${invoiceId}/pay`, { method: 'BTC-LN' });
    await deliverAll(p);
    const settled = [...p.btcpay.state.deliveries.values()].find((d) => d.type === 'InvoiceSettled')!;
    const from = p.btcpayDeliveries.length;
    for (let i = 0; i < 10; i++) await control(p.btcpay, `/__fake/deliveries/${settled.deliveryId}/redeliver`);
    const redeliveries = p.btcpayDeliveries.slice(from);
    expect(new Set(redeliveries.map((d) => JSON.parse(d.payload).deliveryId)).size).toBe(10);
    for (const d of redeliveries) expect((await deliverBtcpay(d)).status).toBe(200);
    const once = await Promise.all(redeliveries.map((d) => deliverBtcpay(d)));
    expect(once.every((r) => r.status === 200)).toBe(true);
    expect(await balance(w.accountId)).toBe(15_000_000);
  });

  it('refuses a bad signature, a blank secret, another store, order or amount with 4xx and writes nothing', async () => {
    const p = installProviders();
    const w = await createWorld({ balanceMicros: 0 });
    const { invoiceId } = await bitcoinTopup(w.managementKey);
    await control(p.btcpay, `/__fake/invoices/${invoiceId}/pay`, { method: 'BTC-LN' });
    const settled = p.btcpayDeliveries.find((d) => d.type === 'InvoiceSettled')!;
    const before = await inbox();
    const body = JSON.parse(settled.payload);
    const secret = env.BTCPAY_WEBHOOK_SECRET ?? '';
    const signed = async (payload: string, key = secret) => ({ payload, signature: await sign(key, payload) });
    const cases = [
      { payload: settled.payload, signature: settled.signature.replace(/.$/, (c) => (c === '0' ? '1' : '0')) },
      await signed(settled.payload, ' '),
      await signed(settled.payload, 'another-secret'),
      { payload: settled.payload, signature: '' },
      await signed(JSON.stringify({ ...body, storeId: 'store_other' })),
      await signed(JSON.stringify({ ...body, invoiceId: 'inv_unknown' })),
    ];
    for (const c of cases) {
      const res = await deliverBtcpay(c);
      expect(res.status, c.payload.slice(0, 80)).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }
    expect(await inbox()).toBe(before);
    expect(await balance(w.accountId)).toBe(0);
  });

  it('refuses an invoice whose amount or currency does not match the top-up', async () => {
    const p = installProviders();
    const w = await createWorld({ balanceMicros: 0 });
    const { invoiceId } = await bitcoinTopup(w.managementKey);
    await control(p.btcpay, `/__fake/invoices/${invoiceId}/pay`, { method: 'BTC-LN' });
    const invoice = p.btcpay.state.invoices.get(invoiceId)!;
    invoice.amount = '1500.00';
    const settled = p.btcpayDeliveries.find((d) => d.type === 'InvoiceSettled')!;
    expect((await deliverBtcpay(settled)).status).toBe(400);
    invoice.amount = '15.00';
    invoice.currency = 'EUR';
    expect((await deliverBtcpay(settled)).status).toBe(400);
    invoice.currency = 'USD';
    invoice.metadata = { ...invoice.metadata, orderId: 'top_someone_else' };
    expect((await deliverBtcpay(settled)).status).toBe(400);
    expect(await balance(w.accountId)).toBe(0);
  });

  it('reverses a credit when the invoice turns Invalid', async () => {
    const p = installProviders();
    const w = await createWorld({ balanceMicros: 0 });
    const { topupId, invoiceId } = await bitcoinTopup(w.managementKey);
    await control(p.btcpay, `/__fake/invoices/${invoiceId}/pay`, { method: 'BTC-LN' });
    await deliverAll(p);
    expect(await balance(w.accountId)).toBe(15_000_000);
    const from = p.btcpayDeliveries.length;
    await control(p.btcpay, `/__fake/invoices/${invoiceId}/invalid`, { manuallyMarked: true });
    await deliverAll(p, from);
    await deliverAll(p, from);
    expect(await balance(w.accountId)).toBe(0);
    expect((await topupOf(w.managementKey, topupId)).status).toBe('invalid');
  });

  it('sends expired partly-paid and late-paid invoices to the review list without crediting', async () => {
    const p = installProviders();
    const w = await createWorld({ balanceMicros: 0 });
    const partial = await bitcoinTopup(w.managementKey);
    await control(p.btcpay, `/__fake/invoices/${partial.invoiceId}/pay`, { method: 'BTC-CHAIN', fraction: 0.5 });
    await control(p.btcpay, `/__fake/invoices/${partial.invoiceId}/expire`);
    const late = await bitcoinTopup(w.managementKey);
    await control(p.btcpay, `/__fake/invoices/${late.invoiceId}/expire`);
    await control(p.btcpay, `/__fake/invoices/${late.invoiceId}/pay-late`);
    await deliverAll(p);
    expect(await balance(w.accountId)).toBe(0);
    const { reviews } = await callJson('/api/admin/reviews', { auth: ADMIN, expect: 200 });
    const mine = reviews
      .filter((r: any) => r.accountId === w.accountId)
      .map((r: any) => r.topupId)
      .sort();
    expect(mine).toEqual([partial.topupId, late.topupId].sort());
    expect((await topupOf(w.managementKey, partial.topupId)).status).toBe('expired');
  });

  it('credits only the invoice amount of an overpaid invoice and flags it', async () => {
    const p = installProviders();
    const w = await createWorld({ balanceMicros: 0 });
    const { topupId, invoiceId } = await bitcoinTopup(w.managementKey);
    await control(p.btcpay, `/__fake/invoices/${invoiceId}/pay`, { method: 'BTC-LN', fraction: 1.2 });
    await deliverAll(p);
    expect(await balance(w.accountId)).toBe(15_000_000);
    expect((await topupOf(w.managementKey, topupId)).flags).toContain('overpaid');
    const { reviews } = await callJson('/api/admin/reviews', { auth: ADMIN, expect: 200 });
    expect(reviews.some((r: any) => r.topupId === topupId && r.kind === 'bitcoin_overpaid')).toBe(true);
  });
});
