import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ADMIN, accountStub, call, callJson, createWorld, drainAlarms, type World } from '../helpers';
import { prng } from '../../demo-origin/generation.mjs';
import type { Env } from '../../worker/env';
import { reconcile } from '../../worker/payments/reconcile';
import { control, deliverBtcpay, deliverStripe, installProviders, startTopup, type Signed } from '../payments';

afterEach(() => vi.restoreAllMocks());

async function checkInvariants(worlds: World[]) {
  for (const w of worlds) await drainAlarms(w.accountId);
  for (const w of worlds) {
    const snap = await accountStub(w.accountId).reconciliationSnapshot();
    expect(snap.chainOk, `journal chain of ${w.accountId}`).toBe(true);
    expect(snap.balanceMicros).toBe(snap.journalSumMicros);
    expect(snap.mirroredThroughSeq).toBe(snap.lastSeq);
    const mirror = await env.DB.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(amount_micros), 0) AS total FROM journal_entries WHERE account_id = ?')
      .bind(w.accountId)
      .first<{ n: number; total: number }>();
    expect(mirror).toEqual({ n: snap.lastSeq, total: snap.balanceMicros });
    const entries = await fullJournal(w.accountId);
    const credits = entries.filter((e) => e.kind === 'topup').map((e) => e.ref);
    expect(new Set(credits).size, 'no top-up credited twice').toBe(credits.length);
  }
  const perAccount = await env.DB.prepare(
    `SELECT account, SUM(balance) AS balance FROM (
       SELECT credit_account AS account, amount_micros AS balance FROM ledger_transfers
       UNION ALL SELECT debit_account, -amount_micros FROM ledger_transfers) GROUP BY account`,
  ).all<{ account: string; balance: number }>();
  // Each system account's D1 balance must be the other side of what the account objects'
  // journals posted against it (not a sum that is zero by construction of the transfers).
  const fromJournals = new Map<string, number>();
  for (const w of worlds) {
    for (const e of await fullJournal(w.accountId)) fromJournals.set(e.counterAccount, (fromJournals.get(e.counterAccount) ?? 0) - e.amountMicros);
  }
  const systemInD1 = Object.fromEntries(perAccount.results.filter((r) => r.account.startsWith('sys:')).map((r) => [r.account, r.balance]));
  expect(systemInD1, "system accounts in D1 = the journals' counter side").toEqual(Object.fromEntries(fromJournals));
  for (const w of worlds) {
    const row = perAccount.results.find((r) => r.account === `acct:${w.accountId}`);
    expect(row?.balance ?? 0).toBe((await accountStub(w.accountId).summary()).balanceMicros);
  }
  // Every check of the scheduled reconciliation, with every top-up past its settle window.
  const report = await reconcile(env as unknown as Env, { now: Date.now() + 10 * 60_000 });
  expect(report.problems).toEqual([]);
}

/** Every journal entry of an account (paged, oldest last). */
async function fullJournal(accountId: string) {
  const all = [];
  for (let before: number | undefined; ; ) {
    const page = await accountStub(accountId).journal({ before, limit: 500 });
    all.push(...page);
    if (page.length < 500) return all;
    before = page[page.length - 1].seq;
  }
}

describe('ledger invariants under a randomized run', () => {
  it('keeps every invariant over 1,000 operations of top-ups, usage, refunds, disputes, promotions and adjustments', async () => {
    // Random but repeatable from its seed (the demo origin's mulberry32).
    const random = prng(20261122);
    const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)];
    const p = installProviders();
    const worlds = [await createWorld({ balanceMicros: 0 }), await createWorld({ balanceMicros: 0 }), await createWorld({ balanceMicros: 0 })];
    const charges: Array<{ world: World; chargeId: string; amount: number; refunded: number }> = [];
    const delivered: Signed[] = [];
    const counts: Record<string, number> = {};
    let promos = 0;
    const deliverNewStripe = async (from: number) => {
      for (const e of p.stripeEvents.slice(from)) {
        expect((await deliverStripe(e)).status).toBe(200);
        delivered.push(e);
      }
    };

    const OPS = Number((env as unknown as Record<string, string>).LEDGER_OPS ?? 1000);
    const timing: Record<string, number> = {};
    for (let op = 0; op < OPS; op++) {
      const t0 = Date.now();
      const w = pick(worlds);
      const r = random();
      const kind =
        r < 0.45
          ? 'usage'
          : r < 0.55
            ? 'card'
            : r < 0.62
              ? 'bitcoin'
              : r < 0.7
                ? 'refund'
                : r < 0.75
                  ? 'dispute'
                  : r < 0.8
                    ? 'promotion'
                    : r < 0.88
                      ? 'adjustment'
                      : 'replay';
      counts[kind] = (counts[kind] ?? 0) + 1;
      if (kind === 'usage') {
        const res = await call('/v1/chat/completions', {
          method: 'POST',
          auth: `Bearer ${w.apiKey}`,
          json: { model: w.model, messages: [{ role: 'user', content: `op ${op}` }], max_tokens: 1 + Math.floor(random() * 8), stream: random() < 0.3 },
        });
        expect([200, 402]).toContain(res.status);
        await res.text();
      } else if (kind === 'card') {
        const amount = 500 + Math.floor(random() * 4500);
        const { checkoutUrl } = await startTopup(w.managementKey, { method: 'card', amountCents: amount });
        const sessionId = new URL(checkoutUrl).pathname.split('/').pop()!;
        const from = p.stripeEvents.length;
        await control(p.stripe, `/checkout/${sessionId}/pay`, { card: 'ok' });
        await deliverNewStripe(from);
        const intent = p.stripe.state.paymentIntents.get(p.stripe.state.sessions.get(sessionId)!.payment_intent!)!;
        charges.push({ world: w, chargeId: intent.latest_charge!, amount, refunded: 0 });
      } else if (kind === 'bitcoin') {
        const { topup } = await startTopup(w.managementKey, { method: 'bitcoin', amountCents: 500 + Math.floor(random() * 2000) });
        const from = p.btcpayDeliveries.length;
        await control(p.btcpay, `/__fake/invoices/${topup.providerRef}/pay`, { method: 'BTC-LN' });
        for (const d of p.btcpayDeliveries.slice(from)) expect((await deliverBtcpay(d)).status).toBe(200);
      } else if (kind === 'refund' && charges.length) {
        const charge = pick(charges);
        if (charge.refunded < charge.amount) {
          const amount = 1 + Math.floor(random() * (charge.amount - charge.refunded));
          charge.refunded += amount;
          const from = p.stripeEvents.length;
          await control(p.stripe, `/__fake/charges/${charge.chargeId}/refund`, { amount });
          await deliverNewStripe(from);
        }
      } else if (kind === 'dispute' && charges.length) {
        const charge = charges.splice(Math.floor(random() * charges.length), 1)[0];
        const from = p.stripeEvents.length;
        const { dispute } = await control(p.stripe, `/__fake/charges/${charge.chargeId}/dispute`, { amount: charge.amount - charge.refunded });
        if (random() < 0.5) await control(p.stripe, `/__fake/disputes/${dispute.id}/reinstate`);
        await deliverNewStripe(from);
      } else if (kind === 'promotion') {
        const code = `RUN${promos++}`;
        await callJson('/api/admin/promotions', {
          method: 'POST',
          auth: ADMIN,
          json: { code, amountMicros: 1 + Math.floor(random() * 1_000_000), maxUses: 2 },
          expect: 201,
        });
        for (const other of worlds) await call('/api/account/promotions/redeem', { method: 'POST', auth: `Bearer ${other.managementKey}`, json: { code } });
      } else if (kind === 'adjustment') {
        const amount = Math.floor(random() * 2_000_000) - 500_000 || 1;
        await callJson(`/api/admin/accounts/${w.accountId}/adjustments`, {
          method: 'POST',
          auth: ADMIN,
          json: { amountMicros: amount, reason: `randomized adjustment ${op}` },
          expect: 201,
        });
      } else if (kind === 'replay' && delivered.length) {
        expect((await deliverStripe(pick(delivered))).status).toBe(200);
      }
      timing[kind] = (timing[kind] ?? 0) + Date.now() - t0;
      if (op % 250 === 249) await checkInvariants(worlds);
    }
    console.log(JSON.stringify({ counts, timing }));
    expect(counts.usage).toBeGreaterThan(OPS * 0.3);
    expect(Object.keys(counts)).toHaveLength(8);
  }, 300_000);
});
