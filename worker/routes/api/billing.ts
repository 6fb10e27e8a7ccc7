/**
 * @module routes/api/billing
 * `/api/account/...` billing: payment methods, top-ups (card and Bitcoin) with receipts, the
 * transaction history with running balance (usage summed per day) and its CSV export,
 * auto-recharge settings, and promotion codes.
 */
import { and, desc, eq } from 'drizzle-orm';
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
import { apiRouter, defineRoute, IdParam, json, jsonBody, z } from './contract';
import { callerAccount } from './caller';
import { transactionHistory, transactionsCsv } from './transactions';

export const CreateTopupInput = z
  .object({
    method: z.enum(['card', 'bitcoin']),
    amountCents: z.number().int().positive().max(100_000_000),
    saveCard: z.boolean().optional().describe('Card only: keep the card for auto-recharge.'),
  })
  .strict();

export const AutoRechargeInput = z
  .object({
    enabled: z.boolean(),
    thresholdMicros: z.number().int().nonnegative().max(1e12),
    amountCents: z.number().int().positive().max(100_000_000),
    monthlyCapCents: z.number().int().positive().max(1_000_000_000),
  })
  .strict();

export const RedeemInput = z.object({ code: z.string().trim().min(1).max(64) }).strict();
export const TransactionsQuery = z.object({
  from: z.string().max(64).optional(),
  to: z.string().max(64).optional(),
  format: z.enum(['json', 'csv']).default('json'),
  /** IANA zone whose calendar days the usage lines sum over (default UTC). */
  tz: z.string().max(64).optional(),
});

const int = z.number().int();
const usd = z.string().describe('Dollars to two decimals, e.g. "10.00".');

/** A top-up as its owner sees it (topupView). */
export const TopupView = z
  .object({
    id: z.string(),
    method: z.enum(['card', 'bitcoin']),
    kind: z.enum(['manual', 'auto_recharge']),
    status: z.string().describe('created, pending, processing, paid, failed, expired, invalid, partially_refunded, refunded or disputed.'),
    amountCents: int,
    amountUsd: usd,
    creditMicros: int,
    creditedMicros: int,
    refundedMicros: int,
    disputedMicros: int,
    flags: z.array(z.string()),
    checkoutUrl: z.string().nullable().describe('The payment page while the top-up is still open.'),
    providerRef: z.string().nullable().describe('Checkout Session id or BTCPay invoice id.'),
    createdAt: z.string(),
    paidAt: z.string().nullable(),
    error: z.string().nullable(),
  })
  .openapi('Topup');

/** The public view of a top-up. */
export function topupView(t: Topup): z.infer<typeof TopupView> {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: t.id,
    method: t.method,
    kind: t.kind,
    status: t.status,
    amountCents: t.amountCents,
    amountUsd: microsToUsd(t.creditMicros).slice(0, -4),
    creditMicros: t.creditMicros,
    creditedMicros: t.creditedMicros,
    refundedMicros: t.refundedMicros,
    disputedMicros: t.disputedMicros,
    flags: t.flags ? t.flags.split(',') : [],
    checkoutUrl: ['created', 'pending', 'processing'].includes(t.status) ? t.checkoutUrl : null,
    providerRef: t.providerRef,
    createdAt: new Date(t.createdAt).toISOString(),
    paidAt: iso(t.paidAt),
    error: t.error,
  };
}

const MethodStatus = z.object({ available: z.boolean(), message: z.string().describe('What the method is, or which secrets it is missing.') });
const AutoRechargeView = z.object({
  enabled: z.boolean(),
  thresholdMicros: int,
  amountCents: int,
  monthlyCapCents: int,
  hasSavedCard: z.boolean(),
  monthChargedCents: int.describe('Charged this UTC month.'),
  notice: z.string().nullable().describe('Why auto-recharge was switched off.'),
});
const Receipt = z.object({
  number: z.string(),
  issuedTo: z.string(),
  accountId: z.string(),
  paidAt: z.string().nullable(),
  method: z.enum(['Card (Stripe)', 'Bitcoin (BTCPay Server)']),
  kind: z.enum(['manual', 'auto_recharge']),
  amountUsd: usd,
  creditedMicros: int,
  refundedUsd: usd,
  providerReference: z.string().nullable(),
  status: z.string(),
});
const Transaction = z.object({
  date: z.string().describe('ISO instant, or the local date (YYYY-MM-DD) of a daily usage line.'),
  type: z.string().describe('usage, topup, refund, dispute, promotion, adjustment, …'),
  description: z.string(),
  amountMicros: int,
  balanceAfterMicros: int,
  reference: z.string().nullable(),
  count: int.describe('Requests summed into a usage line; 1 otherwise.'),
});
const Transactions = z.object({ transactions: z.array(Transaction) });

const TAGS = ['Billing'];
const OneTopup = z.object({ topup: TopupView });

const billing = defineRoute('management', {
  method: 'get',
  path: '/billing',
  summary: 'Payment methods (available or why not), top-up bounds, auto-recharge settings',
  tags: TAGS,
  responses: {
    200: json(
      z.object({
        methods: z.object({ card: MethodStatus, bitcoin: MethodStatus }),
        topupBounds: z.object({ minCents: int, maxCents: int }),
        autoRecharge: AutoRechargeView.extend({ inFlight: z.boolean().describe('A recharge payment is under way.') }),
      }),
      'Billing settings',
    ),
  },
});
const setAutoRecharge = defineRoute('session', {
  role: 'admin',
  method: 'put',
  path: '/billing/auto-recharge',
  tags: TAGS,
  summary:
    'Auto-recharge settings (a signed-in member only, not a management key; ' +
    'enabling needs a card saved at a top-up; amount and threshold within the top-up bounds)',
  request: { body: jsonBody(AutoRechargeInput) },
  responses: { 200: json(z.object({ autoRecharge: AutoRechargeView }), 'The saved settings') },
});
const createTopup = defineRoute('management', {
  method: 'post',
  path: '/topups',
  summary: 'Start a card (Stripe Checkout) or Bitcoin (BTCPay) top-up; returns the payment page URL',
  tags: TAGS,
  request: { body: jsonBody(CreateTopupInput) },
  responses: { 201: json(OneTopup.extend({ checkoutUrl: z.string().nullable().describe('The payment page to send the payer to.') }), 'The new top-up') },
});
const listTopups = defineRoute('management', {
  method: 'get',
  path: '/topups',
  summary: 'Your top-ups with their status',
  tags: TAGS,
  responses: { 200: json(z.object({ topups: z.array(TopupView) }), 'Your latest 200 top-ups, newest first') },
});
const getTopup = defineRoute('management', {
  method: 'get',
  path: '/topups/{id}',
  summary: 'One top-up',
  tags: TAGS,
  request: { params: IdParam },
  responses: { 200: json(OneTopup, 'The top-up') },
});
const receipt = defineRoute('management', {
  method: 'get',
  path: '/topups/{id}/receipt',
  summary: 'The receipt of a paid top-up',
  tags: TAGS,
  request: { params: IdParam },
  responses: { 200: json(z.object({ receipt: Receipt }), 'The receipt') },
});
const transactions = defineRoute('management', {
  method: 'get',
  path: '/transactions',
  summary: 'Transaction history with running balance (usage summed per day); format=csv exports it',
  tags: TAGS,
  request: { query: TransactionsQuery },
  responses: {
    200: {
      description: 'Newest first; with format=csv, transactions.csv: date,type,description,amount_usd,balance_usd,reference,requests',
      content: { 'application/json': { schema: Transactions }, 'text/csv': { schema: z.string() } },
    },
  },
});
const redeem = defineRoute('management', {
  method: 'post',
  path: '/promotions/redeem',
  summary: 'Redeem a promotion code (once per account)',
  tags: TAGS,
  request: { body: jsonBody(RedeemInput) },
  responses: { 201: json(z.object({ code: z.string(), amountMicros: int, balanceMicros: int.describe('The balance after the credit.') }), 'The credit') },
});

async function ownTopup(c: { env: AppEnv['Bindings'] }, accountId: string, id: string): Promise<Topup> {
  const row = (
    await database(c.env.DB)
      .select()
      .from(topups)
      .where(and(eq(topups.id, id), eq(topups.accountId, accountId)))
  )[0];
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

export const billingRoutes = apiRouter()
  .openapi(billing, async (c) => {
    const auto = await accountObject(c.env, callerAccount(c)).autoRecharge();
    return c.json(
      {
        methods: { card: methodStatus(c.env, 'card'), bitcoin: methodStatus(c.env, 'bitcoin') },
        topupBounds: topupBounds(c.env),
        autoRecharge: {
          enabled: auto.enabled,
          thresholdMicros: auto.thresholdMicros,
          amountCents: auto.amountCents,
          monthlyCapCents: auto.monthlyCapCents,
          monthChargedCents: auto.monthChargedCents,
          hasSavedCard: auto.hasSavedCard,
          inFlight: auto.inflightTopupId !== null,
          notice: auto.notice,
        },
      },
      200,
    );
  })
  .openapi(setAutoRecharge, async (c) => {
    const account = accountObject(c.env, signedInMember(c));
    const input = c.req.valid('json');
    if (input.enabled) {
      const outside = rechargeOutOfBounds(c.env, input);
      if (outside) throw new ApiError({ code: 'invalid_request', param: outside.param, message: outside.message });
      if (!methodStatus(c.env, 'card').available) throw new ApiError({ code: 'payment_method_unavailable', message: methodStatus(c.env, 'card').message });
      if (!(await account.autoRecharge()).hasSavedCard)
        throw new ApiError({ code: 'conflict', message: 'Auto-recharge needs a saved card: make a card top-up with "save card" first.' });
      if (input.amountCents > input.monthlyCapCents)
        throw new ApiError({ code: 'invalid_request', param: 'monthlyCapCents', message: 'monthlyCapCents must be at least amountCents.' });
    }
    const state = await account.setAutoRecharge(input);
    return c.json({ autoRecharge: { ...input, hasSavedCard: state.hasSavedCard, monthChargedCents: state.monthChargedCents, notice: state.notice } }, 200);
  })
  .openapi(createTopup, async (c) => {
    const input = c.req.valid('json');
    const topup = await startTopup(c.env, {
      accountId: callerAccount(c),
      method: input.method,
      amountCents: input.amountCents,
      saveCard: input.saveCard ?? false,
    });
    return c.json({ topup: topupView(topup), checkoutUrl: topup.checkoutUrl }, 201);
  })
  .openapi(listTopups, async (c) => {
    const rows = await database(c.env.DB)
      .select()
      .from(topups)
      .where(eq(topups.accountId, callerAccount(c)))
      .orderBy(desc(topups.createdAt))
      .limit(200);
    return c.json({ topups: rows.map(topupView) }, 200);
  })
  .openapi(getTopup, async (c) => c.json({ topup: topupView(await ownTopup(c, callerAccount(c), c.req.valid('param').id)) }, 200))
  .openapi(receipt, async (c) => {
    const topup = await ownTopup(c, callerAccount(c), c.req.valid('param').id);
    if (topup.creditedMicros === 0) throw new ApiError({ code: 'conflict', message: 'This top-up has not been paid, so it has no receipt.' });
    const account = await c.env.DB.prepare('SELECT name FROM accounts WHERE id = ?').bind(topup.accountId).first<{ name: string }>();
    return c.json(
      {
        receipt: {
          number: `R-${topup.id}`,
          issuedTo: account?.name ?? topup.accountId,
          accountId: topup.accountId,
          paidAt: topup.paidAt === null ? null : new Date(topup.paidAt).toISOString(),
          method: topup.method === 'card' ? ('Card (Stripe)' as const) : ('Bitcoin (BTCPay Server)' as const),
          kind: topup.kind,
          amountUsd: microsToUsd(topup.creditMicros).slice(0, -4),
          creditedMicros: topup.creditedMicros,
          refundedUsd: microsToUsd(topup.refundedMicros).slice(0, -4),
          providerReference: topup.paymentRef ?? topup.providerRef,
          status: topup.status,
        },
      },
      200,
    );
  })
  .openapi(transactions, async (c) => {
    const q = c.req.valid('query');
    const rows = await transactionHistory(c.env, callerAccount(c), q.from, q.to, q.tz);
    if (q.format === 'csv') {
      return c.body(transactionsCsv(rows), 200, {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': 'attachment; filename="transactions.csv"',
      });
    }
    return c.json({ transactions: rows }, 200);
  })
  .openapi(redeem, async (c) => {
    const { code } = c.req.valid('json');
    return c.json(await redeemPromotion(c.env, callerAccount(c), code), 201);
  });
