import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ADMIN, call, callJson, createWorld, drainAlarms } from '../helpers';
import { control, deliverStripe, installProviders, startTopup } from '../payments';

afterEach(() => vi.restoreAllMocks());

describe('what the account sees', () => {
  it("sums usage lines per calendar day in the caller's time zone", async () => {
    const w = await createWorld({ balanceMicros: 0 });
    // Two usage entries an hour apart, either side of midnight UTC (mirror rows, as the outbox writes them).
    const at = [Date.parse('2026-03-07T23:30:00Z'), Date.parse('2026-03-08T00:30:00Z')];
    await env.DB.batch(
      at.map((createdAt, i) =>
        env.DB.prepare(
          `INSERT INTO journal_entries (account_id, seq, idempotency_key, kind, amount_micros, balance_after_micros, ref, reason, created_at)
       VALUES (?, ?, ?, 'usage', ?, ?, ?, NULL, ?)`,
        ).bind(w.accountId, 1001 + i, `usage:tz-${i}`, -(10 + i), 5_000 - i, `req_tz_${i}`, createdAt),
      ),
    );
    const lines = async (tz?: string) => {
      const { transactions } = await callJson(`/api/account/transactions${tz ? `?tz=${encodeURIComponent(tz)}` : ''}`, {
        auth: `Bearer ${w.managementKey}`,
        expect: 200,
      });
      return transactions.filter((t: any) => t.type === 'usage').map((t: any) => [t.date, t.count, t.amountMicros, t.balanceAfterMicros]);
    };
    expect(await lines()).toEqual([
      ['2026-03-08', 1, -11, 4_999],
      ['2026-03-07', 1, -10, 5_000],
    ]);
    expect(await lines('Asia/Kolkata')).toEqual([['2026-03-08', 2, -21, 4_999]]);
    expect(await lines('America/Los_Angeles')).toEqual([['2026-03-07', 2, -21, 4_999]]);
    const bad = await call('/api/account/transactions?tz=Mars/Olympus', { auth: `Bearer ${w.managementKey}` });
    expect(bad.status).toBe(400);
  });

  it('lists transactions with a running balance, usage summed per day, and exports them as CSV', async () => {
    const p = installProviders();
    const w = await createWorld({ balanceMicros: 0 });
    const { checkoutUrl } = await startTopup(w.managementKey, { method: 'card', amountCents: 1000 });
    await control(p.stripe, `/checkout/${new URL(checkoutUrl).pathname.split('/').pop()}/pay`, { card: 'ok' });
    for (const e of p.stripeEvents) await deliverStripe(e);
    for (let i = 0; i < 3; i++) await w.client.chat.completions.create({ model: w.model, messages: [{ role: 'user', content: 'x' }], max_tokens: 2 });
    await drainAlarms(w.accountId);
    const { transactions } = await callJson('/api/account/transactions', { auth: `Bearer ${w.managementKey}`, expect: 200 });
    expect(transactions.map((t: any) => t.type)).toEqual(['usage', 'topup']);
    const [usage, topup] = transactions;
    expect(topup).toMatchObject({ amountMicros: 10_000_000, balanceAfterMicros: 10_000_000, description: 'card top-up' });
    expect(usage.count).toBe(3);
    expect(usage.balanceAfterMicros).toBe(10_000_000 + usage.amountMicros);
    expect(usage.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const csv = await call('/api/account/transactions?format=csv', { auth: `Bearer ${w.managementKey}` });
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const lines = (await csv.text()).trim().split('\r\n');
    expect(lines[0]).toBe('date,type,description,amount_usd,balance_usd,reference,requests');
    expect(lines[2]).toContain(',topup,card top-up,10.000000,10.000000,');
  });

  it('reports which payment methods are available and refuses top-ups outside the bounds', async () => {
    installProviders();
    const w = await createWorld({ balanceMicros: 0 });
    const billing = await callJson('/api/account/billing', { auth: `Bearer ${w.managementKey}`, expect: 200 });
    expect(billing.methods.card.available).toBe(true);
    expect(billing.methods.bitcoin.available).toBe(true);
    expect(billing.topupBounds).toEqual({ minCents: 500, maxCents: 1_000_000 });
    const tooSmall = await call('/api/account/topups', { method: 'POST', auth: `Bearer ${w.managementKey}`, json: { method: 'bitcoin', amountCents: 499 } });
    expect(tooSmall.status).toBe(400);
  });

  it('never shows or lets another account read a top-up or its receipt', async () => {
    const p = installProviders();
    const a = await createWorld({ balanceMicros: 0 });
    const b = await createWorld({ balanceMicros: 0 });
    const { topup, checkoutUrl } = await startTopup(a.managementKey, { method: 'card', amountCents: 1000 });
    await control(p.stripe, `/checkout/${new URL(checkoutUrl).pathname.split('/').pop()}/pay`, { card: 'ok' });
    for (const e of p.stripeEvents) await deliverStripe(e);
    expect((await call(`/api/account/topups/${topup.id}`, { auth: `Bearer ${b.managementKey}` })).status).toBe(404);
    expect((await call(`/api/account/topups/${topup.id}/receipt`, { auth: `Bearer ${b.managementKey}` })).status).toBe(404);
    expect((await callJson('/api/account/topups', { auth: `Bearer ${b.managementKey}`, expect: 200 })).topups).toEqual([]);
    expect((await call(`/api/account/topups/${topup.id}/receipt`, { auth: `Bearer ${a.managementKey}` })).status).toBe(200);
  });
});

describe('reconciliation of top-ups', () => {
  it('raises an alert for a top-up marked paid that was never credited', async () => {
    installProviders();
    const w = await createWorld({ balanceMicros: 0 });
    const { topup } = await startTopup(w.managementKey, { method: 'card', amountCents: 1000 });
    await env.DB.prepare("UPDATE topups SET status = 'paid', payment_ref = 'pi_never_credited' WHERE id = ?").bind(topup.id).run();
    const { report } = await callJson('/api/admin/reconcile', { method: 'POST', auth: ADMIN, expect: 200 });
    expect(report.problems.some((m: string) => m.includes(topup.id) && m.includes('no credit'))).toBe(true);
  });
});
