/**
 * @module routes/api/account
 * `/api/account`: the caller's balance, journal and usage.
 */
import { and, desc, eq, gte, lt, or, sql } from 'drizzle-orm';
import { Hono } from 'hono';
import { database } from '../../db/client';
import { usageEvents } from '../../db/schema';
import type { AppEnv } from '../../env';
import { ApiError } from '../../errors';
import { instant } from '../../lib/instant';
import { microsToUsd } from '../../lib/money';
import { accountObject } from '../../services/accounts';
import { callerAccount } from './keys';
import { JournalQuery, UsageQuery } from './schemas';
import { queryParams } from './validate';

const DAY_MS = 86_400_000;


/** Builds the balance view from the object's summary. */
export function balanceView(summary: { accountId: string; status: string; balanceMicros: number; reservedMicros: number }) {
  return {
    id: summary.accountId,
    status: summary.status,
    balanceMicros: summary.balanceMicros,
    balanceUsd: microsToUsd(summary.balanceMicros),
    reservedMicros: summary.reservedMicros,
    availableMicros: summary.balanceMicros - summary.reservedMicros,
  };
}

export const accountRoutes = new Hono<AppEnv>()
  .get('/', async (c) => {
    const accountId = callerAccount(c);
    const [summary, row] = await Promise.all([
      accountObject(c.env, accountId).summary(),
      c.env.DB.prepare('SELECT name FROM accounts WHERE id = ?').bind(accountId).first<{ name: string }>(),
    ]);
    return c.json({ account: { ...balanceView(summary), name: row?.name ?? null } });
  })
  .get('/journal', async (c) => {
    const query = queryParams(c, JournalQuery);
    const entries = await accountObject(c.env, callerAccount(c)).journal(query);
    return c.json({ entries, nextBefore: entries.length === query.limit ? entries[entries.length - 1].seq : null });
  })
  .get('/usage', async (c) => {
    const accountId = callerAccount(c);
    const q = queryParams(c, UsageQuery);
    const now = Date.now();
    const from = instant(q.from, now - 30 * DAY_MS, 'from');
    const to = instant(q.to, now + 1, 'to');
    const filters = [eq(usageEvents.accountId, accountId), gte(usageEvents.createdAt, from), lt(usageEvents.createdAt, to)];
    if (q.keyId) filters.push(eq(usageEvents.keyId, q.keyId));
    if (q.model) filters.push(eq(usageEvents.model, q.model));
    const db = database(c.env.DB);
    const where = and(...filters);
    const page = [...filters];
    if (q.cursor) {
      const [at, id] = q.cursor.split('.');
      const atMs = Number(at);
      if (!Number.isSafeInteger(atMs) || !id) throw new ApiError({ code: 'invalid_request', param: 'cursor', message: 'cursor: not a cursor from this API.' });
      page.push(or(lt(usageEvents.createdAt, atMs), and(eq(usageEvents.createdAt, atMs), lt(usageEvents.id, id)))!);
    }
    const [rows, totals] = await Promise.all([
      db.select().from(usageEvents).where(and(...page)).orderBy(desc(usageEvents.createdAt), desc(usageEvents.id)).limit(q.limit),
      db.select({
        requests: sql<number>`count(*)`,
        inputTokens: sql<number>`coalesce(sum(${usageEvents.inputTokens}), 0)`,
        outputTokens: sql<number>`coalesce(sum(${usageEvents.outputTokens}), 0)`,
        costMicros: sql<number>`coalesce(sum(${usageEvents.costMicros}), 0)`,
      }).from(usageEvents).where(where),
    ]);
    const last = rows[rows.length - 1];
    return c.json({
      data: rows.map((r) => ({ ...r, accountId: undefined, createdAt: new Date(r.createdAt).toISOString() })),
      totals: totals[0],
      nextCursor: rows.length === q.limit && last ? `${last.createdAt}.${last.id}` : null,
    });
  });
