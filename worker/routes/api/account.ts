/**
 * @module routes/api/account
 * `/api/account`: the caller's balance, journal and usage (JSON pages and a CSV export).
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

const CSV_MAX_ROWS = 10_000;
const csvField = (value: string): string => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

/** The WHERE terms of a usage query: this account, the time range, optional key and model. */
function usageFilters(accountId: string, q: { from?: string; to?: string; keyId?: string; model?: string }) {
  const now = Date.now();
  const from = instant(q.from, now - 30 * DAY_MS, 'from');
  const to = instant(q.to, now + 1, 'to');
  const filters = [eq(usageEvents.accountId, accountId), gte(usageEvents.createdAt, from), lt(usageEvents.createdAt, to)];
  if (q.keyId) filters.push(eq(usageEvents.keyId, q.keyId));
  if (q.model) filters.push(eq(usageEvents.model, q.model));
  return filters;
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
  .get('/usage.csv', async (c) => {
    // Same filters as /usage, newest first, one file of at most CSV_MAX_ROWS rows.
    const filters = usageFilters(callerAccount(c), queryParams(c, UsageQuery));
    const rows = await database(c.env.DB).select().from(usageEvents).where(and(...filters)).orderBy(desc(usageEvents.createdAt), desc(usageEvents.id)).limit(CSV_MAX_ROWS);
    const lines = ['time,request_id,key_id,model,endpoint,input_tokens,output_tokens,cost_usd,price_version,latency_ms,status'];
    for (const r of rows) {
      lines.push([new Date(r.createdAt).toISOString(), r.id, r.keyId, r.model, r.endpoint, r.inputTokens, r.outputTokens, microsToUsd(r.costMicros), r.priceVersion, r.latencyMs, r.status].map((v) => csvField(String(v))).join(','));
    }
    return c.body(lines.join('\r\n') + '\r\n', 200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="usage.csv"' });
  })
  .get('/usage', async (c) => {
    const q = queryParams(c, UsageQuery);
    const filters = usageFilters(callerAccount(c), q);
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
