/**
 * @module routes/api/admin-billing
 * `/api/admin/...` billing: promotion codes, the review list (top-ups needing a decision,
 * reconciliation alerts), running reconciliation now, top-ups of every account, the audit log.
 */
import { desc, eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import { database } from '../../db/client';
import { auditLog, promotionCodes, reviewItems, topups } from '../../db/schema';
import type { AppEnv } from '../../env';
import { ApiError } from '../../errors';
import { normaliseCode } from '../../payments/promotions';
import { reconcile } from '../../payments/reconcile';
import { actorOf, audit } from '../../services/audit';
import { topupView } from './billing';
import { when } from './schemas';
import { jsonBody } from './validate';

export const CreatePromotionInput = z.object({
  code: z.string().trim().regex(/^[A-Za-z0-9_-]{3,64}$/, '3–64 letters, digits, _ or -'),
  amountMicros: z.number().int().positive().max(1e12),
  maxUses: z.number().int().positive().max(1_000_000),
  expiresAt: when.nullable().optional(),
}).strict();

export const adminBillingRoutes = new Hono<AppEnv>()
  .post('/promotions', async (c) => {
    const input = await jsonBody(c, CreatePromotionInput);
    const code = normaliseCode(input.code);
    const expiresAt = input.expiresAt ?? null;
    const db = database(c.env.DB);
    const inserted = await db.insert(promotionCodes).values({ code, amountMicros: input.amountMicros, maxUses: input.maxUses, uses: 0, expiresAt, createdAt: Date.now() }).onConflictDoNothing().returning();
    if (!inserted.length) throw new ApiError({ code: 'conflict', message: `A promotion code '${code}' exists.` });
    await audit(c.env, actorOf(c), 'promotion.create', code, input);
    return c.json({ promotion: inserted[0] }, 201);
  })
  .get('/promotions', async (c) => c.json({ promotions: await database(c.env.DB).select().from(promotionCodes).orderBy(desc(promotionCodes.createdAt)) }))
  .get('/reviews', async (c) => {
    const status = c.req.query('status') === 'resolved' ? 'resolved' : 'open';
    const rows = await database(c.env.DB).select().from(reviewItems).where(eq(reviewItems.status, status)).orderBy(desc(reviewItems.createdAt)).limit(500);
    return c.json({ reviews: rows });
  })
  .post('/reviews/:id/resolve', async (c) => {
    const { note } = await jsonBody(c, z.object({ note: z.string().trim().min(3).max(1000) }).strict());
    const db = database(c.env.DB);
    const updated = await db.update(reviewItems).set({ status: 'resolved', resolvedAt: Date.now() }).where(eq(reviewItems.id, c.req.param('id'))).returning();
    if (!updated.length) throw new ApiError({ code: 'not_found', message: `No review item '${c.req.param('id')}'.` });
    await audit(c.env, actorOf(c), 'review.resolve', c.req.param('id'), { note });
    return c.json({ review: updated[0] });
  })
  .post('/reconcile', async (c) => c.json({ report: await reconcile(c.env) }))
  .get('/topups', async (c) => {
    const rows = await database(c.env.DB).select().from(topups).orderBy(desc(topups.createdAt)).limit(500);
    return c.json({ topups: rows.map((t) => ({ ...topupView(t), accountId: t.accountId })) });
  })
  .get('/audit', async (c) => c.json({ entries: await database(c.env.DB).select().from(auditLog).orderBy(desc(auditLog.createdAt)).limit(500) }));
