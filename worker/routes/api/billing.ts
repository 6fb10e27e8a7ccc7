/**
 * @module routes/api/billing
 * `/api/account/...` billing: payment methods, top-ups (card and Bitcoin) with receipts, the
 * transaction history with running balance (usage summed per day) and its CSV export,
 * auto-recharge settings, and promotion codes.
 */
import { and, desc, eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import { database } from '../../db/client';
import { topups } from '../../db/schema';
import type { AppEnv } from '../../env';
import { ApiError } from '../../errors';
import { microsToUsd } from '../../lib/money';
import { startTopup } from '../../payments/checkout';
import { methodStatus, rechargeOutOfBounds, topupBounds } from '../../payments/config';
import { redeemPromotion } from '../../payments/promotions';
import type { Topup } from '../../payments/topups';
import { accountObject } from '../../services/accounts';
import { callerAccount } from './keys';
import { jsonBody, queryParams } from './validate';
import { transactionHistory, transactionsCsv } from './transactions';

export const CreateTopupInput = z.object({
  method: z.enum(['card', 'bitcoin']),
  amountCents: z.number().int().positive().max(100_000_000),
  saveCard: z.boolean().optional().describe('Card only: keep the card for auto-recharge.'),
}).strict();

export const AutoRechargeInput = z.object({
  enabled: z.boolean(),
  thresholdMicros: z.number().int().nonnegative().max(1e12),
  amountCents: z.number().int().positive().max(100_000_000),
  monthlyCapCents: z.number().int().positive().max(1_000_000_000),
}).strict();

export const RedeemInput = z.object({ code: z.string().trim().min(1).max(64) }).strict();
export const TransactionsQuery = z.object({
  from: z.string().max(64).optional(), to: z.string().max(64).optional(), format: z.enum(['json', 'csv']).default('json'),
  /** IANA zone whose calendar days the usage lines sum over (default UTC). */
  tz: z.string().max(64).optional(),
});

/** The public view of a top-up. */
export function topupView(t: Topup) {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: t.id, method: t.method, kind: t.kind, status: t.status, amountCents: t.amountCents, amountUsd: microsToUsd(t.creditMicros).slice(0, -4),
    creditMicros: t.creditMicros, creditedMicros: t.creditedMicros, refundedMicros: t.refundedMicros, disputedMicros: t.disputedMicros,
    flags: t.flags ? t.flags.split(',') : [], checkoutUrl: ['created', 'pending', 'processing'].includes(t.status) ? t.checkoutUrl : null,
    providerRef: t.providerRef, createdAt: iso(t.createdAt), paidAt: iso(t.paidAt), error: t.error,
  };
}

async function ownTopup(c: { env: AppEnv['Bindings'] }, accountId: string, id: string): Promise<Topup> {
  const row = (await database(c.env.DB).select().from(topups).where(and(eq(topups.id, id), eq(topups.accountId, accountId))))[0];
  if (!row) throw new ApiError({ code: 'not_found', message: `No top-up '${id}' in this account.` });
  return row;
}

/**
 * The caller's account when a signed-in member calls (session with its CSRF token, checked by
 * requireAccount). Auto-recharge charges a card without anyone present, so turning it on or
 * raising it needs a person, not a management key that may live in a script.
 */
function signedInMember(c: { get(key: 'principal'): AppEnv['Variables']['principal'] }): string {
  const principal = c.get('principal');
  if (principal.kind !== 'account' || !principal.userId) {
    throw new ApiError({ code: 'forbidden', message: 'Changing auto-recharge needs a signed-in member (the dashboard); a management key can only read it.' });
  }
  return principal.accountId;
}

export const billingRoutes = new Hono<AppEnv>()
  .get('/billing', async (c) => {
    const auto = await accountObject(c.env, callerAccount(c)).autoRecharge();
    return c.json({
      methods: { card: methodStatus(c.env, 'card'), bitcoin: methodStatus(c.env, 'bitcoin') },
      topupBounds: topupBounds(c.env),
      autoRecharge: { enabled: auto.enabled, thresholdMicros: auto.thresholdMicros, amountCents: auto.amountCents, monthlyCapCents: auto.monthlyCapCents, monthChargedCents: auto.monthChargedCents, hasSavedCard: auto.hasSavedCard, inFlight: auto.inflightTopupId !== null, notice: auto.notice },
    });
  })
  .put('/billing/auto-recharge', async (c) => {
    const account = accountObject(c.env, signedInMember(c));
    const input = await jsonBody(c, AutoRechargeInput);
    if (input.enabled) {
      const outside = rechargeOutOfBounds(c.env, input);
      if (outside) throw new ApiError({ code: 'invalid_request', param: outside.param, message: outside.message });
      if (!methodStatus(c.env, 'card').available) throw new ApiError({ code: 'payment_method_unavailable', message: methodStatus(c.env, 'card').message });
      if (!(await account.autoRecharge()).hasSavedCard) throw new ApiError({ code: 'conflict', message: 'Auto-recharge needs a saved card: make a card top-up with "save card" first.' });
      if (input.amountCents > input.monthlyCapCents) throw new ApiError({ code: 'invalid_request', param: 'monthlyCapCents', message: 'monthlyCapCents must be at least amountCents.' });
    }
    const state = await account.setAutoRecharge(input);
    return c.json({ autoRecharge: { ...input, hasSavedCard: state.hasSavedCard, monthChargedCents: state.monthChargedCents, notice: state.notice } });
  })
  .post('/topups', async (c) => {
    const input = await jsonBody(c, CreateTopupInput);
    const topup = await startTopup(c.env, { accountId: callerAccount(c), method: input.method, amountCents: input.amountCents, saveCard: input.saveCard ?? false });
    return c.json({ topup: topupView(topup), checkoutUrl: topup.checkoutUrl }, 201);
  })
  .get('/topups', async (c) => {
    const rows = await database(c.env.DB).select().from(topups).where(eq(topups.accountId, callerAccount(c))).orderBy(desc(topups.createdAt)).limit(200);
    return c.json({ topups: rows.map(topupView) });
  })
  .get('/topups/:id', async (c) => c.json({ topup: topupView(await ownTopup(c, callerAccount(c), c.req.param('id'))) }))
  .get('/topups/:id/receipt', async (c) => {
    const topup = await ownTopup(c, callerAccount(c), c.req.param('id'));
    if (topup.creditedMicros === 0) throw new ApiError({ code: 'conflict', message: 'This top-up has not been paid, so it has no receipt.' });
    const account = await c.env.DB.prepare('SELECT name FROM accounts WHERE id = ?').bind(topup.accountId).first<{ name: string }>();
    return c.json({
      receipt: {
        number: `R-${topup.id}`, issuedTo: account?.name ?? topup.accountId, accountId: topup.accountId,
        paidAt: topup.paidAt === null ? null : new Date(topup.paidAt).toISOString(),
        method: topup.method === 'card' ? 'Card (Stripe)' : 'Bitcoin (BTCPay Server)', kind: topup.kind,
        amountUsd: microsToUsd(topup.creditMicros).slice(0, -4), creditedMicros: topup.creditedMicros,
        refundedUsd: microsToUsd(topup.refundedMicros).slice(0, -4), providerReference: topup.paymentRef ?? topup.providerRef, status: topup.status,
      },
    });
  })
  .get('/transactions', async (c) => {
    const q = queryParams(c, TransactionsQuery);
    const rows = await transactionHistory(c.env, callerAccount(c), q.from, q.to, q.tz);
    if (q.format === 'csv') {
      return c.body(transactionsCsv(rows), 200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="transactions.csv"' });
    }
    return c.json({ transactions: rows });
  })
  .post('/promotions/redeem', async (c) => {
    const { code } = await jsonBody(c, RedeemInput);
    return c.json(await redeemPromotion(c.env, callerAccount(c), code), 201);
  });
