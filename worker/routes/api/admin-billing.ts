/**
 * @module routes/api/admin-billing
 * `/api/admin/...` billing: promotion codes, the review list (top-ups needing a decision,
 * reconciliation alerts), running reconciliation now, top-ups of every account, the audit log.
 */
import { desc, eq } from 'drizzle-orm';
import { database } from '../../db/client';
import { auditLog, promotionCodes, reviewItems, topups } from '../../db/schema';
import { ApiError } from '../../errors';
import { normaliseCode } from '../../payments/promotions';
import { reconcile } from '../../payments/reconcile';
import { actorOf, audit } from '../../services/audit';
import { TopupView, topupView } from './billing';
import { apiRouter, defineRoute, IdParam, json, jsonBody, z } from './contract';
import { when } from './schemas';

export const CreatePromotionInput = z
  .object({
    code: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9_-]{3,64}$/, '3–64 letters, digits, _ or -'),
    amountMicros: z.number().int().positive().max(1e12),
    maxUses: z.number().int().positive().max(1_000_000),
    expiresAt: when.nullable().optional(),
  })
  .strict();
const ResolveInput = z.object({ note: z.string().trim().min(3).max(1000) }).strict();
const ReviewsQuery = z.object({ status: z.enum(['open', 'resolved']).default('open') });

const int = z.number().int();
const epochMs = int.describe('Epoch ms.');
/** A promotion_codes row. */
const PromotionView = z
  .object({
    code: z.string(),
    amountMicros: int,
    maxUses: int,
    uses: int.describe('Redemptions so far.'),
    expiresAt: int.nullable().describe('Epoch ms, or null: never.'),
    createdAt: epochMs,
  })
  .openapi('Promotion');
/** A review_items row. */
const ReviewItemView = z
  .object({
    id: z.string(),
    kind: z.string(),
    accountId: z.string().nullable(),
    topupId: z.string().nullable(),
    dedupeKey: z.string().describe('Deduplicates the same finding raised twice.'),
    message: z.string(),
    status: z.enum(['open', 'resolved']),
    createdAt: epochMs,
    resolvedAt: int.nullable(),
  })
  .openapi('ReviewItem');
const ReconciliationReport = z
  .object({
    accounts: int,
    topupsChecked: int,
    providerChecked: int.describe('Paid top-ups re-read from their provider this run.'),
    pendingChecked: int.describe('Pending top-ups re-read from their provider this run.'),
    skipped: int.describe('Provider reads that failed transiently (retried next run).'),
    problems: z.array(z.string()),
    alerts: z.array(
      z.object({
        check: z.enum(['journal', 'journal_mirror', 'ledger_transfers', 'usage', 'ledger_balance', 'clearing', 'topup_credit', 'provider']),
        accountId: z.string().nullable(),
        message: z.string(),
      }),
    ),
  })
  .openapi('ReconciliationReport');
/** An audit_log row. */
const AuditEntryView = z
  .object({
    id: z.string(),
    actor: z.string().describe('user:<id> for a signed-in admin, admin for ADMIN_TOKEN.'),
    action: z.string(),
    target: z.string().nullable(),
    details: z.string().nullable().describe('The JSON the action recorded.'),
    createdAt: epochMs,
  })
  .openapi('AuditEntry');

const TAGS = ['Admin: billing'];
const createPromotion = defineRoute('admin', {
  method: 'post',
  path: '/promotions',
  summary: 'Create a promotion code (amount, uses, expiry)',
  tags: TAGS,
  request: { body: jsonBody(CreatePromotionInput) },
  responses: { 201: json(z.object({ promotion: PromotionView }), 'The new promotion code') },
});
const listPromotions = defineRoute('admin', {
  method: 'get',
  path: '/promotions',
  summary: 'List promotion codes with their use counts',
  tags: TAGS,
  responses: { 200: json(z.object({ promotions: z.array(PromotionView) }), 'Every promotion code, newest first') },
});
const reviews = defineRoute('admin', {
  method: 'get',
  path: '/reviews',
  summary: 'Items needing a decision: Bitcoin invoices to review, reconciliation alerts (status=open|resolved)',
  tags: TAGS,
  request: { query: ReviewsQuery },
  responses: { 200: json(z.object({ reviews: z.array(ReviewItemView) }), 'The latest 500 items, newest first') },
});
const resolve = defineRoute('admin', {
  method: 'post',
  path: '/reviews/{id}/resolve',
  summary: 'Resolve a review item with a note (audited)',
  tags: TAGS,
  request: { params: IdParam, body: jsonBody(ResolveInput) },
  responses: { 200: json(z.object({ review: ReviewItemView }), 'The resolved item') },
});
const reconcileNow = defineRoute('admin', {
  method: 'post',
  path: '/reconcile',
  summary: 'Run the reconciliation now (it also runs hourly)',
  tags: TAGS,
  responses: { 200: json(z.object({ report: ReconciliationReport }), 'What the run checked and found') },
});
const allTopups = defineRoute('admin', {
  method: 'get',
  path: '/topups',
  summary: 'Top-ups of every account',
  tags: TAGS,
  responses: { 200: json(z.object({ topups: z.array(TopupView.extend({ accountId: z.string() })) }), 'The latest 500 top-ups, newest first') },
});
const auditEntries = defineRoute('admin', {
  method: 'get',
  path: '/audit',
  summary: 'The admin audit log',
  tags: TAGS,
  responses: { 200: json(z.object({ entries: z.array(AuditEntryView) }), 'The latest 500 actions, newest first') },
});

export const adminBillingRoutes = apiRouter()
  .openapi(createPromotion, async (c) => {
    const input = c.req.valid('json');
    const code = normaliseCode(input.code);
    const expiresAt = input.expiresAt ?? null;
    const db = database(c.env.DB);
    const inserted = await db
      .insert(promotionCodes)
      .values({ code, amountMicros: input.amountMicros, maxUses: input.maxUses, uses: 0, expiresAt, createdAt: Date.now() })
      .onConflictDoNothing()
      .returning();
    if (!inserted.length) throw new ApiError({ code: 'conflict', message: `A promotion code '${code}' exists.` });
    await audit(c.env, actorOf(c), 'promotion.create', code, input);
    return c.json({ promotion: inserted[0] }, 201);
  })
  .openapi(listPromotions, async (c) =>
    c.json({ promotions: await database(c.env.DB).select().from(promotionCodes).orderBy(desc(promotionCodes.createdAt)) }, 200),
  )
  .openapi(reviews, async (c) => {
    const { status } = c.req.valid('query');
    const rows = await database(c.env.DB).select().from(reviewItems).where(eq(reviewItems.status, status)).orderBy(desc(reviewItems.createdAt)).limit(500);
    return c.json({ reviews: rows }, 200);
  })
  .openapi(resolve, async (c) => {
    const { id } = c.req.valid('param');
    const { note } = c.req.valid('json');
    const db = database(c.env.DB);
    const updated = await db.update(reviewItems).set({ status: 'resolved', resolvedAt: Date.now() }).where(eq(reviewItems.id, id)).returning();
    if (!updated.length) throw new ApiError({ code: 'not_found', message: `No review item '${id}'.` });
    await audit(c.env, actorOf(c), 'review.resolve', id, { note });
    return c.json({ review: updated[0] }, 200);
  })
  .openapi(reconcileNow, async (c) => c.json({ report: await reconcile(c.env) }, 200))
  .openapi(allTopups, async (c) => {
    const rows = await database(c.env.DB).select().from(topups).orderBy(desc(topups.createdAt)).limit(500);
    return c.json({ topups: rows.map((t) => ({ ...topupView(t), accountId: t.accountId })) }, 200);
  })
  .openapi(auditEntries, async (c) => c.json({ entries: await database(c.env.DB).select().from(auditLog).orderBy(desc(auditLog.createdAt)).limit(500) }, 200));
