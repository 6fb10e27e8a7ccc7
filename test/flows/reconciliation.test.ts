/**
 * The scheduled reconciliation (issue 10, item 7): every check can fail. Each test injects
 * exactly one discrepancy (a D1 row edited, or the fake provider's answer changed) and sees that
 * check's alert for that account; a clean account raises none. Other tests in this file leave
 * their own accounts behind, so every assertion looks at the account under test only.
 */
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Env } from '../../worker/env';
import worker from '../../worker/index';
import { reconcile } from '../../worker/payments/reconcile';
import { ADMIN, accountStub, callJson, createWorld, drainAlarms, type World } from '../helpers';
import { control, deliverBtcpay, deliverStripe, installProviders, startTopup, type Providers } from '../payments';

afterEach(() => vi.restoreAllMocks());

const balance = async (accountId: string) => (await accountStub(accountId).summary()).balanceMicros;
/** Later than every top-up's settle window, so the clearing check covers everything just written. */
const later = () => Date.now() + 10 * 60_000;

/** An account with a paid card top-up (partly refunded), a paid Bitcoin top-up and some usage, all mirrored to D1. */
async function busyWorld(p: Providers) {
  const w = await createWorld({ balanceMicros: 0 });
  const card = await startTopup(w.managementKey, { method: 'card', amountCents: 2500 });
  const sessionId = new URL(card.checkoutUrl).pathname.split('/').pop()!;
  let from = p.stripeEvents.length;
  await control(p.stripe, `/checkout/${sessionId}/pay`, { card: 'ok' });
  const intentId = p.stripe.state.sessions.get(sessionId)!.payment_intent!;
  await control(p.stripe, `/__fake/charges/${p.stripe.state.paymentIntents.get(intentId)!.latest_charge}/refund`, { amount: 300 });
  for (const e of p.stripeEvents.slice(from)) expect((await deliverStripe(e)).status).toBe(200);
  const bitcoin = await startTopup(w.managementKey, { method: 'bitcoin', amountCents: 1500 });
  from = p.btcpayDeliveries.length;
  await control(p.btcpay, `/__fake/invoices/${bitcoin.topup.providerRef}/pay`, { method: 'BTC-LN' });
  for (const d of p.btcpayDeliveries.slice(from)) expect((await deliverBtcpay(d)).status).toBe(200);
  for (let i = 0; i < 3; i++) await w.client.chat.completions.create({ model: w.model, messages: [{ role: 'user', content: `hi ${i}` }], max_tokens: 5 });
  await drainAlarms(w.accountId);
  expect(await balance(w.accountId)).toBeGreaterThan(36_000_000);
  return { w, intentId, invoiceId: bitcoin.topup.providerRef as string, cardTopupId: card.topup.id as string };
}

async function alertsFor(w: World) {
  const report = await reconcile(env as unknown as Env, { now: later() });
  return report.alerts.filter((a) => a.accountId === w.accountId);
}

describe('reconciliation checks', () => {
  it('raises nothing for an account whose journal, D1 and providers agree', async () => {
    const p = installProviders();
    const { w } = await busyWorld(p);
    expect(await alertsFor(w)).toEqual([]);
  });

  it("(a) alerts when D1 usage events disagree with the journal's usage entries", async () => {
    const p = installProviders();
    const { w } = await busyWorld(p);
    await env.DB.prepare('UPDATE usage_events SET cost_micros = cost_micros + 7 WHERE id = (SELECT id FROM usage_events WHERE account_id = ? LIMIT 1)')
      .bind(w.accountId)
      .run();
    expect((await alertsFor(w)).map((a) => a.check)).toEqual(['usage']);
  });

  it('(b) alerts when Stripe received a different amount than the journal credited', async () => {
    const p = installProviders();
    const { w, intentId } = await busyWorld(p);
    p.stripe.state.paymentIntents.get(intentId)!.amount_received = 2400;
    const alerts = await alertsFor(w);
    expect(alerts.map((a) => a.check)).toEqual(['provider']);
    expect(alerts[0].message).toContain(intentId);
  });

  it('(b) alerts when BTCPay says an invoice the journal credited is Invalid', async () => {
    const p = installProviders();
    const { w, invoiceId } = await busyWorld(p);
    p.btcpay.state.invoices.get(invoiceId)!.status = 'Invalid';
    const alerts = await alertsFor(w);
    expect(alerts.map((a) => a.check)).toEqual(['provider']);
    expect(alerts[0].message).toContain(invoiceId);
  });

  it('(d) alerts when the D1 ledger balance of the account differs from its journal (a transfer filed under another account)', async () => {
    const p = installProviders();
    const { w } = await busyWorld(p);
    await env.DB.prepare(
      "INSERT INTO ledger_transfers (idempotency_key, debit_account, credit_account, amount_micros, code, account_id, journal_seq, created_at) VALUES (?, 'sys:adjustments', ?, 5, 'credit', 'acct_elsewhere', 1, 0)",
    )
      .bind(`forged:${w.accountId}`, `acct:${w.accountId}`)
      .run();
    expect((await alertsFor(w)).map((a) => a.check)).toEqual(['ledger_balance']);
  });

  it('(d) alerts when a clearing account moved more than the top-ups table accounts for', async () => {
    const p = installProviders();
    const { w, cardTopupId } = await busyWorld(p);
    await env.DB.prepare('UPDATE topups SET refunded_micros = refunded_micros + 1000000 WHERE id = ?').bind(cardTopupId).run();
    const alerts = await alertsFor(w);
    expect(alerts.map((a) => a.check)).toEqual(['clearing']);
    expect(alerts[0].message).toContain('sys:card_clearing');
  });

  it('puts every alert on the admin review list', async () => {
    const p = installProviders();
    const { w } = await busyWorld(p);
    await env.DB.prepare('UPDATE usage_events SET cost_micros = 0 WHERE account_id = ?').bind(w.accountId).run();
    await reconcile(env as unknown as Env, { now: later() });
    const { reviews } = await callJson('/api/admin/reviews', { auth: ADMIN, expect: 200 });
    expect(reviews.some((r: any) => r.kind === 'reconciliation' && r.accountId === w.accountId && r.message.includes('usage'))).toBe(true);
  });
});

/** Runs the worker's cron handler as the runtime would, and waits for its work. */
async function scheduledRun(): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled!(createScheduledController({ scheduledTime: Date.now(), cron: '0 * * * *' }), env as unknown as Env, ctx);
  await waitOnExecutionContext(ctx);
}

describe('(c) pending top-ups whose webhook was lost', () => {
  it('credits a paid card top-up once from the scheduled run, and a late webhook adds nothing', async () => {
    const p = installProviders();
    const w = await createWorld({ balanceMicros: 0 });
    const { topup, checkoutUrl } = await startTopup(w.managementKey, { method: 'card', amountCents: 2500 });
    const from = p.stripeEvents.length;
    await control(p.stripe, `/checkout/${new URL(checkoutUrl).pathname.split('/').pop()}/pay`, { card: 'ok' });
    const lost = p.stripeEvents.slice(from);
    expect(lost.length).toBeGreaterThan(0);
    await env.DB.prepare('UPDATE topups SET created_at = created_at - 3600000 WHERE id = ?').bind(topup.id).run();
    await scheduledRun();
    expect(await balance(w.accountId)).toBe(25_000_000);
    for (const e of lost) expect((await deliverStripe(e)).status).toBe(200);
    await scheduledRun();
    expect(await balance(w.accountId)).toBe(25_000_000);
    const credits = (await accountStub(w.accountId).journal()).filter((e) => e.kind === 'topup');
    expect(credits).toHaveLength(1);
    expect((await callJson(`/api/account/topups/${topup.id}`, { auth: `Bearer ${w.managementKey}`, expect: 200 })).topup.status).toBe('paid');
  });

  it('credits a settled Bitcoin top-up once from the scheduled run, and late deliveries add nothing', async () => {
    const p = installProviders();
    const w = await createWorld({ balanceMicros: 0 });
    const { topup } = await startTopup(w.managementKey, { method: 'bitcoin', amountCents: 1500 });
    const from = p.btcpayDeliveries.length;
    await control(p.btcpay, `/__fake/invoices/${topup.providerRef}/pay`, { method: 'BTC-LN' });
    await env.DB.prepare('UPDATE topups SET created_at = created_at - 3600000 WHERE id = ?').bind(topup.id).run();
    await scheduledRun();
    expect(await balance(w.accountId)).toBe(15_000_000);
    for (const d of p.btcpayDeliveries.slice(from)) expect((await deliverBtcpay(d)).status).toBe(200);
    expect(await balance(w.accountId)).toBe(15_000_000);
  });

  it('leaves a top-up younger than the grace period to its webhook', async () => {
    const p = installProviders();
    const w = await createWorld({ balanceMicros: 0 });
    const { checkoutUrl } = await startTopup(w.managementKey, { method: 'card', amountCents: 2500 });
    await control(p.stripe, `/checkout/${new URL(checkoutUrl).pathname.split('/').pop()}/pay`, { card: 'ok' });
    await scheduledRun();
    expect(await balance(w.accountId)).toBe(0);
  });
});
