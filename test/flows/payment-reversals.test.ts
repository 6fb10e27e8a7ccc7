/**
 * Hostile payment flows (issue 10, item 5): reversals never take back more than the journal
 * credited for that payment, and contradictory BTCPay deliveries racing each other converge on
 * one final state whichever order they run in.
 */
import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ADMIN, accountStub, callJson, createWorld } from '../helpers';
import type { Env } from '../../worker/env';
import worker from '../../worker/index';
import { control, deliverBtcpay, deliverStripe, installProviders, startTopup, type Providers, type Signed } from '../payments';

afterEach(() => vi.restoreAllMocks());

const balance = async (accountId: string) => (await accountStub(accountId).summary()).balanceMicros;
const reviewsOf = async (accountId: string) =>
  ((await callJson('/api/admin/reviews', { auth: ADMIN, expect: 200 })).reviews as any[]).filter((r) => r.accountId === accountId);

/** A $25 card top-up paid at the fake; `chargedCents` lets the session's amount differ from the top-up's (a mismatch). */
async function cardPayment(p: Providers, managementKey: string, chargedCents = 2500) {
  const { topup, checkoutUrl } = await startTopup(managementKey, { method: 'card', amountCents: 2500 });
  const sessionId = new URL(checkoutUrl).pathname.split('/').pop()!;
  const session = p.stripe.state.sessions.get(sessionId)!;
  session.amount_subtotal = chargedCents;
  session.amount_total = chargedCents;
  const from = p.stripeEvents.length;
  await control(p.stripe, `/checkout/${sessionId}/pay`, { card: 'ok' });
  for (const e of p.stripeEvents.slice(from)) expect((await deliverStripe(e)).status).toBe(200);
  const chargeId = p.stripe.state.paymentIntents.get(p.stripe.state.sessions.get(sessionId)!.payment_intent!)!.latest_charge!;
  return { topupId: topup.id as string, chargeId };
}

/** Runs a fake-provider control and delivers the Stripe events it produced, twice (replays). */
async function stripeControl(p: Providers, path: string, body: unknown) {
  const from = p.stripeEvents.length;
  const result = await control(p.stripe, path, body);
  const events = p.stripeEvents.slice(from);
  for (const e of [...events, ...events]) expect((await deliverStripe(e)).status).toBe(200);
  return result;
}

describe('card reversals are capped by what the payment credited', () => {
  it('posts nothing for a refund of a never-credited (amount-mismatch) payment and puts it on the review list, updated as refunds grow', async () => {
    const p = installProviders();
    const w = await createWorld({ balanceMicros: 0 });
    const { topupId, chargeId } = await cardPayment(p, w.managementKey, 2400);
    expect(await balance(w.accountId)).toBe(0);
    expect((await reviewsOf(w.accountId)).map((r) => r.kind)).toEqual(['amount_mismatch']);
    await stripeControl(p, `/__fake/charges/${chargeId}/refund`, { amount: 1000 });
    await stripeControl(p, `/__fake/charges/${chargeId}/refund`, { amount: 1400 });
    expect(await balance(w.accountId)).toBe(0);
    const journal = await accountStub(w.accountId).journal();
    expect(journal.filter((e) => e.kind === 'refund')).toEqual([]);
    const review = (await reviewsOf(w.accountId)).find((r) => r.kind === 'refund_uncredited');
    expect(review).toMatchObject({ topupId, status: 'open' });
    expect(review.message).toContain('24.00');
  });

  it('never reverses more than the credit across a partial refund and a full-amount dispute, however often they are replayed', async () => {
    const p = installProviders();
    const w = await createWorld({ balanceMicros: 0 });
    const { chargeId } = await cardPayment(p, w.managementKey);
    expect(await balance(w.accountId)).toBe(25_000_000);
    await stripeControl(p, `/__fake/charges/${chargeId}/refund`, { amount: 1000 });
    await stripeControl(p, `/__fake/charges/${chargeId}/dispute`, { amount: 2500 });
    expect(await balance(w.accountId)).toBe(0);
    const { topups } = await callJson('/api/account/topups', { auth: `Bearer ${w.managementKey}`, expect: 200 });
    expect(topups[0]).toMatchObject({ refundedMicros: 10_000_000, disputedMicros: 15_000_000 });
    expect((await reviewsOf(w.accountId)).some((r) => r.kind === 'reversal_capped')).toBe(true);
  });

  it('applies a refund that arrived before its payment was credited once the credit lands, and only then', async () => {
    const p = installProviders();
    const w = await createWorld({ balanceMicros: 0 });
    const { topup, checkoutUrl } = await startTopup(w.managementKey, { method: 'card', amountCents: 2500 });
    const sessionId = new URL(checkoutUrl).pathname.split('/').pop()!;
    const from = p.stripeEvents.length;
    await control(p.stripe, `/checkout/${sessionId}/pay`, { card: 'ok' });
    const paid = p.stripeEvents.slice(from);
    const chargeId = p.stripe.state.paymentIntents.get(p.stripe.state.sessions.get(sessionId)!.payment_intent!)!.latest_charge!;
    await stripeControl(p, `/__fake/charges/${chargeId}/refund`, { amount: 700 });
    expect(await balance(w.accountId)).toBe(0);
    for (const e of [...paid, ...paid]) expect((await deliverStripe(e)).status).toBe(200);
    expect(await balance(w.accountId)).toBe(18_000_000);
    const { topup: after } = await callJson(`/api/account/topups/${topup.id}`, { auth: `Bearer ${w.managementKey}`, expect: 200 });
    expect(after).toMatchObject({ status: 'partially_refunded', refundedMicros: 7_000_000, creditedMicros: 25_000_000 });
  });
});

/** Answers the `n`-th read of one invoice with `snapshot` (what BTCPay said before the invoice changed). */
function staleInvoiceRead(invoiceId: string, n: number, snapshot: unknown) {
  const spy = globalThis.fetch as unknown as ReturnType<typeof vi.fn>;
  const routed = spy.getMockImplementation() as (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;
  let reads = 0;
  spy.mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    if (request.method !== 'GET' || !new URL(request.url).pathname.endsWith(`/invoices/${invoiceId}`)) return routed(input, init);
    reads += 1;
    return reads === n ? Response.json(snapshot) : routed(input, init);
  });
}

/**
 * A delivery whose worker pauses at its first D1 statement matching `pattern` until `release`
 * resolves (D1 is wrapped for this one request only); `reached` resolves when it pauses.
 */
function deliverPausing(delivery: Signed, pattern: RegExp, release: Promise<void>) {
  let reached!: () => void;
  const paused = new Promise<void>((r) => (reached = r));
  let held = false;
  const wrap = (statement: D1PreparedStatement, sql: string): D1PreparedStatement =>
    new Proxy(statement, {
      get(target, prop) {
        if (prop === 'bind') return (...values: unknown[]) => wrap(target.bind(...values), sql);
        const value = Reflect.get(target, prop);
        if (typeof value !== 'function') return value;
        if (!held && pattern.test(sql) && ['run', 'all', 'first', 'raw'].includes(String(prop))) {
          return async (...args: unknown[]) => {
            held = true;
            reached();
            await release;
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        return (value as (...a: unknown[]) => unknown).bind(target);
      },
    });
  const db = new Proxy(env.DB, {
    get(target, prop) {
      if (prop === 'prepare') return (sql: string) => wrap(target.prepare(sql), sql);
      const value = Reflect.get(target, prop);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  const scoped = new Proxy(env, { get: (target, prop) => (prop === 'DB' ? db : Reflect.get(target, prop)) });
  const request = new Request('http://gateway.test/api/webhooks/btcpay', {
    method: 'POST',
    body: delivery.payload,
    headers: { 'btcpay-sig': delivery.signature, 'content-type': 'application/json' },
  });
  const response = Promise.resolve(worker.fetch(request, scoped as unknown as Env, createExecutionContext()));
  return { paused, response };
}

describe('BTCPay Settled and Invalid racing each other', () => {
  async function invalidatedAfterSettling() {
    const p = installProviders();
    const w = await createWorld({ balanceMicros: 0 });
    const { topup } = await startTopup(w.managementKey, { method: 'bitcoin', amountCents: 1500 });
    const invoiceId = topup.providerRef as string;
    await control(p.btcpay, `/__fake/invoices/${invoiceId}/pay`, { method: 'BTC-LN' });
    const settledSnapshot = structuredClone(p.btcpay.state.invoices.get(invoiceId));
    const settled = p.btcpayDeliveries.find((d) => d.type === 'InvoiceSettled')!;
    await control(p.btcpay, `/__fake/invoices/${invoiceId}/invalid`, {});
    const invalid = p.btcpayDeliveries.find((d) => d.type === 'InvoiceInvalid')!;
    return { p, w, topupId: topup.id as string, invoiceId, settledSnapshot, settled, invalid };
  }

  async function expectNoCreditAndInvalid(s: Awaited<ReturnType<typeof invalidatedAfterSettling>>) {
    expect(await balance(s.w.accountId)).toBe(0);
    expect(await env.DB.prepare('SELECT status FROM topups WHERE id = ?').bind(s.topupId).first('status')).toBe('invalid');
    // Replays of both, in both orders, change nothing.
    for (const d of [s.settled, s.invalid, s.settled]) expect((await deliverBtcpay(d)).status).toBeLessThan(500);
    expect(await balance(s.w.accountId)).toBe(0);
    const entries = (await accountStub(s.w.accountId).journal()).filter((e) => e.ref === s.topupId);
    expect(entries.reduce((sum, e) => sum + e.amountMicros, 0)).toBe(0);
  }

  it('does not keep a credit when the Settled delivery read the top-up before the Invalid one ran, and posts after it', async () => {
    const s = await invalidatedAfterSettling();
    staleInvoiceRead(s.invoiceId, 1, s.settledSnapshot);
    let release!: () => void;
    const settledRun = deliverPausing(s.settled, /INSERT OR IGNORE INTO webhook_events/, new Promise<void>((r) => (release = r)));
    await settledRun.paused;
    const [invalidResponse] = await Promise.all([deliverBtcpay(s.invalid).finally(() => release()), settledRun.response]);
    expect(invalidResponse.status).toBe(200);
    expect((await settledRun.response).status).toBe(200);
    await expectNoCreditAndInvalid(s);
  });

  it('does not keep a credit when the Invalid delivery looked for the credit before the Settled one posted it', async () => {
    const s = await invalidatedAfterSettling();
    staleInvoiceRead(s.invoiceId, 2, s.settledSnapshot);
    let release!: () => void;
    const invalidRun = deliverPausing(s.invalid, /^update "?topups"? set/i, new Promise<void>((r) => (release = r)));
    await invalidRun.paused;
    const [settledResponse] = await Promise.all([deliverBtcpay(s.settled).finally(() => release()), invalidRun.response]);
    expect(settledResponse.status).toBe(200);
    expect((await invalidRun.response).status).toBe(200);
    await expectNoCreditAndInvalid(s);
  });
});
