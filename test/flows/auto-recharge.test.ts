/**
 * Auto-recharge: off-session charges of a saved card when the balance falls under a threshold,
 * within the top-up bounds and a monthly cap. Only a signed-in member (session + CSRF) may
 * change it; a management key may read it.
 */
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ADMIN, accountStub, call, callJson, createWorld, drainAlarms, eventually, sdk } from '../helpers';
import { control, deliverStripe, installProviders, startTopup, type Providers } from '../payments';
import { signedInUser, type Browser } from '../session';

afterEach(() => vi.restoreAllMocks());

const balance = async (accountId: string) => (await accountStub(accountId).summary()).balanceMicros;
const SETTINGS = { enabled: true, thresholdMicros: 30_000_000, amountCents: 1000, monthlyCapCents: 2000 };

/** A service (from createWorld) and a signed-in member's own account with a management key and an inference key. */
async function memberWorld() {
  const base = await createWorld({ balanceMicros: 0 });
  const { browser, me } = await signedInUser('recharge');
  const accountId = me.account.id as string;
  const { managementKey } = await callJson(`/api/admin/accounts/${accountId}/management-keys`, { method: 'POST', auth: ADMIN, expect: 201 });
  const { secret } = await browser.json('/api/account/keys', { method: 'POST', json: { name: 'member key' }, csrf: true, expect: 201 });
  return { ...base, accountId, managementKey: managementKey.secret as string, apiKey: secret as string, client: sdk(secret), browser };
}

/** Saves auto-recharge settings as the dashboard does: the member's session with its CSRF token. */
function enable(w: { browser: Browser }, body: Record<string, unknown>) {
  return w.browser.fetch('/api/account/billing/auto-recharge', { method: 'PUT', json: { ...SETTINGS, ...body }, csrf: true });
}

/** A paid $25 card top-up that saves the card. */
async function savedCard(p: Providers, managementKey: string, card = 'ok') {
  const { checkoutUrl } = await startTopup(managementKey, { method: 'card', amountCents: 2500, saveCard: true });
  const from = p.stripeEvents.length;
  await control(p.stripe, `/checkout/${new URL(checkoutUrl).pathname.split('/').pop()}/pay`, { card });
  for (const e of p.stripeEvents.slice(from)) await deliverStripe(e);
}

describe('auto-recharge', () => {
  it('charges the saved card off-session once when the balance falls under the threshold, within the monthly cap', async () => {
    const p = installProviders();
    const w = await memberWorld();
    expect((await enable(w, {})).status).toBe(409); // no saved card yet
    await savedCard(p, w.managementKey);
    expect((await enable(w, {})).status).toBe(200);
    // $25 is under the $30 threshold: the next settled request triggers one recharge.
    await Promise.all(
      Array.from({ length: 5 }, () => w.client.chat.completions.create({ model: w.model, messages: [{ role: 'user', content: 'x' }], max_tokens: 3 })),
    );
    // The alarm runs the recharge (workerd may fire it on its own before we do).
    const recharges = () => [...p.stripe.state.paymentIntents.values()].filter((pi) => pi.metadata.kind === 'auto_recharge');
    const settledRecharge = async (n: number) => {
      await drainAlarms(w.accountId);
      await eventually(async () => recharges().length === n && !(await accountStub(w.accountId).autoRecharge()).inflightTopupId);
    };
    await settledRecharge(1);
    const afterFirst = await balance(w.accountId);
    expect(afterFirst).toBeGreaterThan(34_000_000);
    // $35 is over the threshold, so nothing more is due; lower the balance and go again.
    await call(`/api/admin/accounts/${w.accountId}/adjustments`, { method: 'POST', auth: ADMIN, json: { amountMicros: -20_000_000, reason: 'test spend' } });
    await w.client.chat.completions.create({ model: w.model, messages: [{ role: 'user', content: 'x' }], max_tokens: 3 });
    await settledRecharge(2);
    await call(`/api/admin/accounts/${w.accountId}/adjustments`, { method: 'POST', auth: ADMIN, json: { amountMicros: -20_000_000, reason: 'test spend' } });
    await w.client.chat.completions.create({ model: w.model, messages: [{ role: 'user', content: 'x' }], max_tokens: 3 });
    await drainAlarms(w.accountId);
    // The $20 monthly cap allows two $10 recharges.
    expect(recharges()).toHaveLength(2);
    const billing = await callJson('/api/account/billing', { auth: `Bearer ${w.managementKey}`, expect: 200 });
    expect(billing.autoRecharge).toMatchObject({ enabled: true, monthChargedCents: 2000, inFlight: false });
    const { topups } = await callJson('/api/account/topups', { auth: `Bearer ${w.managementKey}`, expect: 200 });
    expect(topups.filter((t: any) => t.kind === 'auto_recharge' && t.status === 'paid')).toHaveLength(2);
    // The webhook for the same PaymentIntent credits nothing more.
    const before = await balance(w.accountId);
    for (const e of p.stripeEvents.filter((e) => e.type === 'payment_intent.succeeded')) await deliverStripe(e);
    expect(await balance(w.accountId)).toBe(before);
  });

  it('switches itself off and says why when the card needs authentication', async () => {
    const p = installProviders();
    const w = await memberWorld();
    await savedCard(p, w.managementKey, 'authentication_required');
    expect((await enable(w, {})).status).toBe(200);
    await w.client.chat.completions.create({ model: w.model, messages: [{ role: 'user', content: 'x' }], max_tokens: 3 });
    await drainAlarms(w.accountId);
    await eventually(async () => !(await accountStub(w.accountId).autoRecharge()).enabled);
    const billing = await callJson('/api/account/billing', { auth: `Bearer ${w.managementKey}`, expect: 200 });
    expect(billing.autoRecharge.enabled).toBe(false);
    expect(billing.autoRecharge.notice).toMatch(/authentication/);
    expect(await balance(w.accountId)).toBeLessThan(25_000_000);
  });
});

describe('auto-recharge bounds and who may change it', () => {
  it("refuses a management key on the write with 403 (reading stays allowed), and accepts the member's session", async () => {
    const p = installProviders();
    const w = await memberWorld();
    await savedCard(p, w.managementKey);
    const res = await call('/api/account/billing/auto-recharge', { method: 'PUT', auth: `Bearer ${w.managementKey}`, json: SETTINGS });
    expect(res.status).toBe(403);
    expect(((await res.json()) as any).error.code).toBe('forbidden');
    expect((await accountStub(w.accountId).autoRecharge()).enabled).toBe(false);
    expect((await callJson('/api/account/billing', { auth: `Bearer ${w.managementKey}`, expect: 200 })).autoRecharge.enabled).toBe(false);
    expect((await enable(w, {})).status).toBe(200);
    expect((await callJson('/api/account/billing', { auth: `Bearer ${w.managementKey}`, expect: 200 })).autoRecharge.enabled).toBe(true);
  });

  it('refuses an amount or threshold outside the top-up bounds with 400 naming the field', async () => {
    const p = installProviders();
    const w = await memberWorld();
    await savedCard(p, w.managementKey);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ amountCents: 100_000_000, monthlyCapCents: 100_000_000 }, 'amountCents'],
      [{ amountCents: 499 }, 'amountCents'],
      [{ thresholdMicros: 1_000_000 * 1_000_000 }, 'thresholdMicros'],
      [{ thresholdMicros: 4_999_999 }, 'thresholdMicros'],
    ];
    for (const [body, param] of cases) {
      const res = await enable(w, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(((await res.json()) as any).error.param).toBe(param);
    }
    expect((await accountStub(w.accountId).autoRecharge()).enabled).toBe(false);
    expect((await enable(w, { amountCents: 500, thresholdMicros: 5_000_000, monthlyCapCents: 500 })).status).toBe(200);
  });

  it('never charges a stored out-of-bounds setting: switches it off with a notice and a review item', async () => {
    const p = installProviders();
    const w = await memberWorld();
    await savedCard(p, w.managementKey);
    // As if written before the bounds were enforced (or the bounds were lowered since).
    await accountStub(w.accountId).setAutoRecharge({ enabled: true, thresholdMicros: 30_000_000, amountCents: 100_000_000, monthlyCapCents: 100_000_000 });
    await w.client.chat.completions.create({ model: w.model, messages: [{ role: 'user', content: 'x' }], max_tokens: 3 });
    await drainAlarms(w.accountId);
    await eventually(async () => !(await accountStub(w.accountId).autoRecharge()).enabled);
    expect([...p.stripe.state.paymentIntents.values()].filter((pi) => pi.metadata.kind === 'auto_recharge')).toEqual([]);
    const state = await accountStub(w.accountId).autoRecharge();
    expect(state).toMatchObject({ enabled: false, inflightTopupId: null });
    expect(state.notice).toMatch(/between/);
    const { reviews } = await callJson('/api/admin/reviews', { auth: ADMIN, expect: 200 });
    expect(reviews.some((r: any) => r.accountId === w.accountId && r.kind === 'auto_recharge_out_of_bounds')).toBe(true);
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM topups WHERE account_id = ? AND kind = 'auto_recharge'").bind(w.accountId).first('n')).toBe(0);
  });
});
