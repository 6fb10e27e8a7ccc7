/**
 * @module routes/api/account
 * `/api/account`: the caller's balance, journal and usage (JSON pages and a CSV export).
 */
import { and, desc, eq, gte, inArray, lt, or, sql } from 'drizzle-orm';
import { toCsv } from '../../../shared/csv';
import { database } from '../../db/client';
import { usageEvents } from '../../db/schema';
import { ApiError } from '../../errors';
import { instant } from '../../lib/instant';
import { microsToUsd } from '../../lib/money';
import { accountObject } from '../../services/accounts';
import { apiRouter, csv, defineRoute, json, z } from './contract';
import { callerAccount, visibleProjects } from './caller';
import { rollupTotals, type ScopeFilter, SLOT_MS } from '../../analytics/rollups';
import { BalanceView, balanceView, JournalPage, JournalQuery, UsageQuery } from './schemas';

export { balanceView };

const DAY_MS = 86_400_000;
const CSV_MAX_ROWS = 10_000;
const CSV_HEADER = [
  'time',
  'request_id',
  'key_id',
  'model',
  'endpoint',
  'input_tokens',
  'output_tokens',
  'cost_usd',
  'price_version',
  'latency_ms',
  'status',
  'project_id',
  'member_id',
  'end_user',
  'tags',
];

const UsageEventView = z
  .object({
    id: z.string().describe('The request id.'),
    keyId: z.string(),
    projectId: z.string().nullable().describe('The key’s project.'),
    serviceId: z.string(),
    model: z.string(),
    endpoint: z.string(),
    inputTokens: z.number().int(),
    outputTokens: z.number().int(),
    costMicros: z.number().int(),
    priceVersion: z.number().int(),
    latencyMs: z.number().int(),
    ttftMs: z.number().int().nullable().describe('Time to the first token of a stream.'),
    status: z.string().describe('ok, client_closed, origin_error, origin_timeout, expired, …'),
    estimated: z.boolean().describe('Usage counted by the gateway because the origin reported none.'),
    createdAt: z.string(),
    memberId: z.string().nullable().describe('The member who created the key.'),
    endUser: z.string().nullable().describe('The end user (OpenAI user field or x-gateway-user).'),
    tags: z.record(z.string(), z.string()).nullable().describe('Feature tags (x-gateway-tags, metadata).'),
  })
  .openapi('UsageEvent');
const UsageTotals = z.object({ requests: z.number().int(), inputTokens: z.number().int(), outputTokens: z.number().int(), costMicros: z.number().int() });

const TAGS = ['Account'];
const summary = defineRoute('management', {
  method: 'get',
  path: '/',
  summary: 'Your account: balance, reserved and available credit (µUSD)',
  tags: TAGS,
  responses: { 200: json(z.object({ account: BalanceView.extend({ name: z.string().nullable() }) }), 'Your account') },
});
const journal = defineRoute('management', {
  method: 'get',
  path: '/journal',
  summary: 'Your journal (every balance change, newest first, with running balance)',
  tags: TAGS,
  request: { query: JournalQuery },
  responses: { 200: json(JournalPage, 'A page of the journal') },
});
const usageCsv = defineRoute('management', {
  method: 'get',
  path: '/usage.csv',
  summary: 'Your usage events as CSV (same filters as /usage; at most 10,000 rows)',
  tags: TAGS,
  request: { query: UsageQuery },
  responses: { 200: csv(`usage.csv: ${CSV_HEADER.join(',')}`) },
});
const usage = defineRoute('management', {
  method: 'get',
  path: '/usage',
  summary: 'Your usage events with totals; filter by time, key and model',
  tags: TAGS,
  request: { query: UsageQuery },
  responses: {
    200: json(
      z.object({ data: z.array(UsageEventView), totals: UsageTotals, nextCursor: z.string().nullable().describe('Pass as cursor= for the next page.') }),
      'A page of usage events, newest first',
    ),
  },
});

/**
 * The WHERE terms of a usage query: this organisation, the time range, optional key, model and
 * project, and for a developer only their projects (`projects`; null: all).
 */
function usageFilters(
  accountId: string,
  q: { from?: string; to?: string; keyId?: string; model?: string; projectId?: string; tag?: string; endUser?: string },
  projects: string[] | null,
) {
  const now = Date.now();
  const from = instant(q.from, now - 30 * DAY_MS, 'from');
  const to = instant(q.to, now + 1, 'to');
  const filters = [eq(usageEvents.accountId, accountId), gte(usageEvents.createdAt, from), lt(usageEvents.createdAt, to)];
  if (q.keyId) filters.push(eq(usageEvents.keyId, q.keyId));
  if (q.model) filters.push(eq(usageEvents.model, q.model));
  if (q.projectId) filters.push(eq(usageEvents.projectId, q.projectId));
  if (q.endUser) filters.push(eq(usageEvents.endUser, q.endUser));
  if (q.tag) {
    const eqAt = q.tag.indexOf('=');
    filters.push(sql`EXISTS (SELECT 1 FROM json_each(${usageEvents.tags}) WHERE key = ${q.tag.slice(0, eqAt)} AND value = ${q.tag.slice(eqAt + 1)})`);
  }
  if (projects) filters.push(projects.length ? inArray(usageEvents.projectId, projects) : sql`0 = 1`);
  return Object.assign(filters, { from, to });
}

/**
 * The usage list's totals: the whole 15-minute slots of the range from the rollups, the partial
 * slots at its two ends from the events themselves (so the figures are exact to the millisecond
 * and cost no scan of the range's events).
 */
async function usageTotals(d1: D1Database, scope: ScopeFilter, filters: ReturnType<typeof usageFilters>) {
  const first = Math.ceil(filters.from / SLOT_MS);
  const end = Math.floor(filters.to / SLOT_MS);
  const whole = end > first ? rollupTotals(d1, scope, first, end) : null;
  const edges = whole ? or(lt(usageEvents.createdAt, first * SLOT_MS), gte(usageEvents.createdAt, end * SLOT_MS)) : undefined;
  const [raw, rolled] = await Promise.all([
    database(d1)
      .select({
        requests: sql<number>`count(*)`,
        inputTokens: sql<number>`coalesce(sum(${usageEvents.inputTokens}), 0)`,
        outputTokens: sql<number>`coalesce(sum(${usageEvents.outputTokens}), 0)`,
        costMicros: sql<number>`coalesce(sum(${usageEvents.costMicros}), 0)`,
      })
      .from(usageEvents)
      .where(and(...filters, ...(edges ? [edges] : []))),
    whole?.first<{ requests: number; inputTokens: number; outputTokens: number; costMicros: number }>(),
  ]);
  const a = raw[0];
  return {
    requests: a.requests + (rolled?.requests ?? 0),
    inputTokens: a.inputTokens + (rolled?.inputTokens ?? 0),
    outputTokens: a.outputTokens + (rolled?.outputTokens ?? 0),
    costMicros: a.costMicros + (rolled?.costMicros ?? 0),
  };
}

const parseTags = (json: string): Record<string, string> => JSON.parse(json) as Record<string, string>;
/** Tags in a CSV cell: name=value pairs separated by ';'. */
const tagText = (json: string): string =>
  Object.entries(parseTags(json))
    .map(([k, v]) => `${k}=${v}`)
    .join(';');

export const accountRoutes = apiRouter()
  .openapi(summary, async (c) => {
    const accountId = callerAccount(c);
    const [view, row] = await Promise.all([
      accountObject(c.env, accountId).summary(),
      c.env.DB.prepare('SELECT name FROM accounts WHERE id = ?').bind(accountId).first<{ name: string }>(),
    ]);
    return c.json({ account: { ...balanceView(view), name: row?.name ?? null } }, 200);
  })
  .openapi(journal, async (c) => {
    const query = c.req.valid('query');
    const entries = await accountObject(c.env, callerAccount(c)).journal(query);
    return c.json({ entries, nextBefore: entries.length === query.limit ? entries[entries.length - 1].seq : null }, 200);
  })
  .openapi(usageCsv, async (c) => {
    // Same filters as /usage, newest first, one file of at most CSV_MAX_ROWS rows.
    const filters = usageFilters(callerAccount(c), c.req.valid('query'), await visibleProjects(c));
    // Only the exported columns: 10,000 rows cross from D1 on every export.
    const rows = await database(c.env.DB)
      .select({
        createdAt: usageEvents.createdAt,
        id: usageEvents.id,
        keyId: usageEvents.keyId,
        model: usageEvents.model,
        endpoint: usageEvents.endpoint,
        inputTokens: usageEvents.inputTokens,
        outputTokens: usageEvents.outputTokens,
        costMicros: usageEvents.costMicros,
        priceVersion: usageEvents.priceVersion,
        latencyMs: usageEvents.latencyMs,
        status: usageEvents.status,
        projectId: usageEvents.projectId,
        memberId: usageEvents.memberId,
        endUser: usageEvents.endUser,
        tags: usageEvents.tags,
      })
      .from(usageEvents)
      .where(and(...filters))
      .orderBy(desc(usageEvents.createdAt), desc(usageEvents.id))
      .limit(CSV_MAX_ROWS);
    const lines = rows.map((r) => [
      new Date(r.createdAt).toISOString(),
      r.id,
      r.keyId,
      r.model,
      r.endpoint,
      r.inputTokens,
      r.outputTokens,
      microsToUsd(r.costMicros),
      r.priceVersion,
      r.latencyMs,
      r.status,
      r.projectId ?? '',
      r.memberId ?? '',
      r.endUser ?? '',
      r.tags ? tagText(r.tags) : '',
    ]);
    return c.body(toCsv(CSV_HEADER, lines), 200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="usage.csv"' });
  })
  .openapi(usage, async (c) => {
    const q = c.req.valid('query');
    const filters = usageFilters(callerAccount(c), q, await visibleProjects(c));
    const db = database(c.env.DB);
    const page = [...filters];
    if (q.cursor) {
      const [at, id] = q.cursor.split('.');
      const atMs = Number(at);
      if (!Number.isSafeInteger(atMs) || !id) throw new ApiError({ code: 'invalid_request', param: 'cursor', message: 'cursor: not a cursor from this API.' });
      const older = or(lt(usageEvents.createdAt, atMs), and(eq(usageEvents.createdAt, atMs), lt(usageEvents.id, id)));
      if (older) page.push(older);
    }
    const accountId = callerAccount(c);
    const projects = await visibleProjects(c);
    const [rows, totals] = await Promise.all([
      db
        .select()
        .from(usageEvents)
        .where(and(...page))
        .orderBy(desc(usageEvents.createdAt), desc(usageEvents.id))
        .limit(q.limit),
      usageTotals(c.env.DB, { accountId, keyId: q.keyId, model: q.model, projectId: q.projectId, tag: q.tag, endUser: q.endUser, projects }, filters),
    ]);
    const last = rows[rows.length - 1];
    return c.json(
      {
        data: rows.map(({ accountId: _accountId, ...r }) => ({
          ...r,
          createdAt: new Date(r.createdAt).toISOString(),
          tags: r.tags ? parseTags(r.tags) : null,
        })),
        totals,
        nextCursor: rows.length === q.limit && last ? `${last.createdAt}.${last.id}` : null,
      },
      200,
    );
  });
