import { env } from 'cloudflare:workers';
import Stripe from 'stripe';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { accountStub, call, callJson, createWorld } from '../helpers';
import { control, deliverStripe, installProviders, startTopup, type Providers } from '../payments';

afterEach(() => vi.restoreAllMocks());

const inbox = async () => (await env.DB.prepare("SELECT COUNT(*) AS n FROM webhook_events WHERE provider = 'stripe'").first<{ n: number }>())!.n;
const balance = async (accountId: string) => (await accountStub(accountId).summary()).balanceMicros;

/** A paid $25 card top-up; returns its ids and the deliveries it produced. */
async function paidTopup(p: Providers, managementKey: string, options: { saveCard?: boolean; card?: string; async?: boolean } = {}) {
  const { topup, checkoutUrl } = await startTopup(managementKey, { method: 'card', amountCents: 2500, saveCard: options.saveCard });
  const sessionId = new URL(checkoutUrl).pathname.split('/').pop()!;
  const from = p.stripeEvents.length;
  await control(p.stripe, `/checkout/${sessionId}/pay`, { card: options.card ?? 'ok', ...(options.async ? { async: 1 } : {}) });
  const session = p.stripe.state.sessions.get(sessionId)!;
  const intent = session.payment_intent ? p.stripe.state.paymentIntents.get(session.payment_intent) : undefined;
  return {
    topupId: topup.id as string,
    sessionId,
    intentId: session.payment_intent,
    chargeId: intent?.latest_charge ?? null,
    events: p.stripeEvents.slice(from),
  };
}

describe('card top-ups', () => {
  it('creates a Checkout Session for a validated amount with one customer per account and deterministic idempotency keys', async () => {
    const p = installProviders();
    const w = await createWorld({ balanceMicros: 0 });
    for (const amountCents of [100, 2_000_000]) {
      const res = await call('/api/account/topups', { method: 'POST', auth: `Bearer ${w.managementKey}`, json: { method: 'card', amountCents } });
      expect(res.status).toBe(400);
    }
    await startTopup(w.managementKey, { method: 'card', amountCents: 2500 });
    await startTopup(w.managementKey, { method: 'card', amountCents: 1000 });
    expect(p.stripe.state.customers.size).toBe(1);
    const sessions = [...p.stripe.state.sessions.values()];
    expect(sessions.map((s) => s.amount_subtotal).sort()).toEqual([1000, 2500]);
    expect(sessions.every((s) => s.customer === [...p.stripe.state.customers.keys()][0] && s.metadata.account_id === w.accountId)).toBe(true);
    const listed = await callJson('/api/account/topups', { auth: `Bearer ${w.managementKey}`, expect: 200 });
    expect(listed.topups.map((t: any) => t.status)).toEqual(['pending', 'pending']);
  });

  it('credits a paid checkout once, whether the delivery comes once, ten times in a row or ten times at once', async () => {
    const p = installProviders();
    const w = await createWorld({ balanceMicros: 0 });
    const { topupId, events } = await paidTopup(p, w.managementKey);
    const completed = events.find((e) => e.type === 'checkout.session.completed')!;
    for (let i = 0; i < 10; i++) expect((await deliverStripe(completed)).status).toBe(200);
    const concurrent = await Promise.all(Array.from({ length: 10 }, () => deliverStripe(completed)));
    expect(concurrent.every((r) => r.status === 200)).toBe(true);
    expect(await balance(w.accountId)).toBe(25_000_000);
    const { topup } = await callJson(`/api/account/topups/${topupId}`, { auth: `Bearer ${w.managementKey}`, expect: 200 });
    expect(topup).toMatchObject({ status: 'paid', creditedMicros: 25_000_000 });
    const { receipt } = await callJson(`/api/account/topups/${topupId}/receipt`, { auth: `Bearer ${w.managementKey}`, expect: 200 });
    expect(receipt).toMatchObject({ amountUsd: '25.00', method: 'Card (Stripe)', status: 'paid' });
    const journal = await accountStub(w.accountId).journal();
    expect(journal.filter((e) => e.kind === 'topup')).toHaveLength(1);
  });

  it('credits one payment once across checkout.session.completed and async_payment_succeeded', async () => {
    const p = installProviders();
    const w = await createWorld({ balanceMicros: 0 });
    const { sessionId, events } = await paidTopup(p, w.managementKey, { async: true });
    for (const e of events) expect((await deliverStripe(e)).status).toBe(200);
    expect(await balance(w.accountId)).toBe(0); // completed but unpaid: pending
    await control(p.stripe, `/__fake/sessions/${sessionId}/async-succeed`);
    const all = p.stripeEvents.filter((e) => e.type.startsWith('checkout.session.'));
    for (const e of [...all, ...all.reverse()]) expect((await deliverStripe(e)).status).toBe(200);
    expect(await balance(w.accountId)).toBe(25_000_000);
  });

  it('records failed and expired payments without crediting them', async () => {
    const p = installProviders();
    const w = await createWorld({ balanceMicros: 0 });
    const expired = await startTopup(w.managementKey, { method: 'card', amountCents: 700 });
    await control(p.stripe, `/__fake/sessions/${new URL(expired.checkoutUrl).pathname.split('/').pop()}/expire`);
    const failed = await paidTopup(p, w.managementKey, { async: true });
    await control(p.stripe, `/__fake/sessions/${failed.sessionId}/async-fail`);
    for (const e of p.stripeEvents) expect((await deliverStripe(e)).status).toBe(200);
    const { topups } = await callJson('/api/account/topups', { auth: `Bearer ${w.managementKey}`, expect: 200 });
    expect(Object.fromEntries(topups.map((t: any) => [t.id, t.status]))).toEqual({ [expired.topup.id]: 'expired', [failed.topupId]: 'failed' });
    expect(await balance(w.accountId)).toBe(0);
  });

  it('refuses a bad signature, a stale timestamp and a blank secret with 400 and writes nothing', async () => {
    const p = installProviders();
    const w = await createWorld({ balanceMicros: 0 });
    const { events } = await paidTopup(p, w.managementKey);
    const completed = events.find((e) => e.type === 'checkout.session.completed')!;
    const before = await inbox();
    const secret = env.STRIPE_WEBHOOK_SECRET ?? '';
    const stale = await Stripe.webhooks.generateTestHeaderStringAsync({ payload: completed.payload, secret, timestamp: Math.floor(Date.now() / 1000) - 301 });
    const blank = await Stripe.webhooks.generateTestHeaderStringAsync({ payload: completed.payload, secret: ' ' });
    const wrongSecret = await Stripe.webhooks.generateTestHeaderStringAsync({ payload: completed.payload, secret: 'whsec_other' });
    for (const signature of [stale, blank, wrongSecret, '', 't=1,v1=deadbeef']) {
      const res = await deliverStripe({ payload: completed.payload, signature });
      expect(res.status).toBe(400);
      expect(((await res.json()) as any).error.code).toBe('invalid_signature');
    }
    const tampered = completed.payload.replace('{', '{ ');
    expect(tampered).not.toBe(completed.payload);
    expect((await deliverStripe({ payload: tampered, signature: completed.signature })).status).toBe(400);
    expect(await inbox()).toBe(before);
    expect(await balance(w.accountId)).toBe(0);
  });

  it('answers 5xx when Stripe cannot be reached, so Stripe retries, and credits on the retry', async () => {
    const p = installProviders();
    const w = await createWorld({ balanceMicros: 0 });
    const { events } = await paidTopup(p, w.managementKey);
    const completed = events.find((e) => e.type === 'checkout.session.completed')!;
    const fetchSpy = globalThis.fetch as unknown as ReturnType<typeof vi.fn>;
    const routed = fetchSpy.getMockImplementation() as (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;
    fetchSpy.mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
      if (new URL(new Request(input, init).url).hostname === 'stripe.test') throw new TypeError('fetch failed');
      return routed(input, init);
    });
    expect((await deliverStripe(completed)).status).toBeGreaterThanOrEqual(500);
    expect(await balance(w.accountId)).toBe(0);
    fetchSpy.mockImplementation(routed);
    expect((await deliverStripe(completed)).status).toBe(200);
    expect(await balance(w.accountId)).toBe(25_000_000);
  });
});

describe('refunds and disputes', () => {
  it('debits the cumulative refunded amount once, in whatever order the refund events arrive', async () => {
    const p = installProviders();
    const w = await createWorld({ balanceMicros: 0 });
    const { chargeId, events } = await paidTopup(p, w.managementKey);
    for (const e of events) await deliverStripe(e);
    const from = p.stripeEvents.length;
    await control(p.stripe, `/__fake/charges/${chargeId}/refund`, { amount: 1000 });
    await control(p.stripe, `/__fake/charges/${chargeId}/refund`, { amount: 500 });
    const refunds = p.stripeEvents.slice(from);
    for (const e of [...refunds].reverse()) expect((await deliverStripe(e)).status).toBe(200);
    for (const e of refunds) expect((await deliverStripe(e)).status).toBe(200);
    expect(await balance(w.accountId)).toBe(25_000_000 - 15_000_000);
    const { topups } = await callJson('/api/account/topups', { auth: `Bearer ${w.managementKey}`, expect: 200 });
    expect(topups[0]).toMatchObject({ status: 'partially_refunded', refundedMicros: 15_000_000 });
  });

  it('debits a dispute when funds are withdrawn and credits it back when reinstated', async () => {
    const p = installProviders();
    const w = await createWorld({ balanceMicros: 0 });
    const { chargeId, events } = await paidTopup(p, w.managementKey);
    for (const e of events) await deliverStripe(e);
    const from = p.stripeEvents.length;
    const { dispute } = await control(p.stripe, `/__fake/charges/${chargeId}/dispute`, { amount: 2500 });
    for (const e of p.stripeEvents.slice(from)) expect((await deliverStripe(e)).status).toBe(200);
    expect(await balance(w.accountId)).toBe(0);
    const { topups } = await callJson('/api/account/topups', { auth: `Bearer ${w.managementKey}`, expect: 200 });
    expect(topups[0].status).toBe('disputed');
    const mid = p.stripeEvents.length;
    await control(p.stripe, `/__fake/disputes/${dispute?.id ?? [...p.stripe.state.disputes.keys()][0]}/reinstate`);
    for (const e of p.stripeEvents.slice(mid)) expect((await deliverStripe(e)).status).toBe(200);
    expect(await balance(w.accountId)).toBe(25_000_000);
  });

  it('reaches the same final state for any order of one payment’s events', async () => {
    const finals = new Set<string>();
    /** A deterministic shuffle (mulberry32-seeded Fisher–Yates). */
    const shuffled = (seed: number) => (e: any[]) => {
      const out = [...e];
      let a = seed;
      const next = () => {
        a = (a + 0x6d2b79f5) >>> 0;
        return (((a ^ (a >>> 15)) * (a | 1)) >>> 0) / 4294967296;
      };
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [out[i], out[j]] = [out[j], out[i]];
      }
      return out;
    };
    const orders = [(e: any[]) => e, (e: any[]) => [...e].reverse(), shuffled(1), shuffled(2), shuffled(3), shuffled(4)];
    for (const order of orders) {
      const p = installProviders();
      const w = await createWorld({ balanceMicros: 0 });
      const { sessionId, chargeId: _none } = await paidTopup(p, w.managementKey, { async: true });
      await control(p.stripe, `/__fake/sessions/${sessionId}/async-succeed`);
      const chargeId = p.stripe.state.paymentIntents.get(p.stripe.state.sessions.get(sessionId)!.payment_intent!)!.latest_charge!;
      await control(p.stripe, `/__fake/charges/${chargeId}/refund`, { amount: 500 });
      await control(p.stripe, `/__fake/charges/${chargeId}/refund`, { amount: 500 });
      const { dispute } = await control(p.stripe, `/__fake/charges/${chargeId}/dispute`, { amount: 1500 });
      await control(p.stripe, `/__fake/disputes/${dispute?.id ?? [...p.stripe.state.disputes.keys()][0]}/reinstate`);
      const events = p.stripeEvents;
      expect(events.length).toBeGreaterThanOrEqual(6);
      const permuted = order(events);
      expect(new Set(permuted).size).toBe(events.length);
      for (const e of permuted) expect((await deliverStripe(e)).status).toBe(200);
      const { topups } = await callJson('/api/account/topups', { auth: `Bearer ${w.managementKey}`, expect: 200 });
      const t = topups[0];
      finals.add(
        JSON.stringify({
          balance: await balance(w.accountId),
          status: t.status,
          refunded: t.refundedMicros,
          disputed: t.disputedMicros,
          credited: t.creditedMicros,
        }),
      );
      vi.restoreAllMocks();
    }
    expect([...finals]).toEqual([
      JSON.stringify({ balance: 15_000_000, status: 'partially_refunded', refunded: 10_000_000, disputed: 0, credited: 25_000_000 }),
    ]);
  });

  it('blocks usage while a refund leaves the balance negative', async () => {
    const p = installProviders();
    const w = await createWorld({ balanceMicros: 0 });
    const { chargeId, events } = await paidTopup(p, w.managementKey);
    for (const e of events) await deliverStripe(e);
    await call(`/api/admin/accounts/${w.accountId}/adjustments`, {
      method: 'POST',
      auth: (await import('../helpers')).ADMIN,
      json: { amountMicros: -5_000_000, reason: 'usage billed elsewhere' },
    });
    const from = p.stripeEvents.length;
    await control(p.stripe, `/__fake/charges/${chargeId}/refund`, { amount: 2500 });
    for (const e of p.stripeEvents.slice(from)) await deliverStripe(e);
    expect(await balance(w.accountId)).toBe(-5_000_000);
    const res = await call('/v1/chat/completions', {
      method: 'POST',
      auth: `Bearer ${w.apiKey}`,
      json: { model: w.model, messages: [{ role: 'user', content: 'x' }] },
    });
    expect(res.status).toBe(402);
  });
});
