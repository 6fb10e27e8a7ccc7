/**
 * @module routes/api/statements
 * `/api/account/statements`: the organisation's monthly statements (statements/run.ts issues
 * them on the 1st in the organisation's zone): a list with the totals, and each statement's PDF
 * and CSV from R2. Statements show the whole organisation's money, so they are billing actions:
 * admin or owner. A period of another organisation is not found.
 */
import { ApiError } from '../../errors';
import { isPeriod } from '../../statements/period';
import { apiRouter, csv, defineRoute, json, z } from './contract';
import { callerAccount } from './caller';

const TAGS = ['Statements'];
const micros = z.number().int();

const StatementView = z
  .object({
    period: z.string().describe('The month, YYYY-MM, in timeZone.'),
    timeZone: z.string().describe('The organisation’s zone when the statement was issued.'),
    periodStart: z.string().describe('Local midnight of the 1st, ISO date-time (UTC).'),
    periodEnd: z.string().describe('Local midnight of the next 1st, exclusive.'),
    openingMicros: micros.describe('Balance before the month began.'),
    topUpsMicros: micros.describe('Card and Bitcoin top-ups credited in the month.'),
    usageMicros: micros.describe('Usage charged in the month (positive: it lowers the balance).'),
    adjustmentsMicros: micros.describe('Refunds, disputes, promotions, operator credits and debits (signed).'),
    closingMicros: micros.describe('opening + top-ups − usage + adjustments: the journal’s balance at the month’s end.'),
    pdfBytes: z.number().int(),
    csvBytes: z.number().int(),
    createdAt: z.string(),
    emailedAt: z.string().nullable().describe('When the billing members were mailed (null: not yet).'),
  })
  .openapi('Statement');

const PeriodParam = z.object({ period: z.string().refine(isPeriod, 'period: a month, YYYY-MM') });

const list = defineRoute('management', {
  method: 'get',
  path: '/',
  role: 'admin',
  summary: 'Monthly statements, newest first, with their totals (admin or owner)',
  tags: TAGS,
  request: { query: z.object({ limit: z.coerce.number().int().min(1).max(240).default(36) }).strict() },
  responses: { 200: json(z.object({ data: z.array(StatementView) }), 'Statements') },
});

const pdf = defineRoute('management', {
  method: 'get',
  path: '/{period}/pdf',
  role: 'admin',
  summary: 'One statement as PDF',
  tags: TAGS,
  request: { params: PeriodParam },
  responses: { 200: { description: 'The statement (A4 PDF)', content: { 'application/pdf': { schema: z.string() } } } },
});

const csvFile = defineRoute('management', {
  method: 'get',
  path: '/{period}/csv',
  role: 'admin',
  summary: 'One statement as CSV (each line’s effect on the balance, in dollars and µUSD)',
  tags: TAGS,
  request: { params: PeriodParam },
  responses: { 200: csv('The statement as CSV') },
});

interface Row {
  period: string;
  time_zone: string;
  period_start: number;
  period_end: number;
  opening_micros: number;
  top_ups_micros: number;
  usage_micros: number;
  adjustments_micros: number;
  closing_micros: number;
  pdf_key: string;
  csv_key: string;
  pdf_bytes: number;
  csv_bytes: number;
  created_at: number;
  emailed_at: number | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The caller's statement for a period, and its file in R2; 404 when either is missing. */
async function download(db: D1Database, bucket: R2Bucket, accountId: string, period: string, kind: 'pdf' | 'csv'): Promise<Response> {
  // The D1 row decides whose a statement is: the key is never taken from the request.
  const row = await db.prepare('SELECT pdf_key, csv_key FROM statements WHERE account_id = ?1 AND period = ?2').bind(accountId, period).first<Row>();
  const object = row ? await bucket.get(kind === 'pdf' ? row.pdf_key : row.csv_key) : null;
  if (!object) throw new ApiError({ code: 'not_found', message: `No statement for ${period} in this organisation.` });
  return new Response(object.body, {
    status: 200,
    headers: {
      'content-type': kind === 'pdf' ? 'application/pdf' : 'text/csv; charset=utf-8',
      'content-length': String(object.size),
      'content-disposition': `attachment; filename="statement-${period}.${kind}"`,
    },
  });
}

export const statementRoutes = apiRouter()
  .openapi(list, async (c) => {
    const { limit } = c.req.valid('query');
    const rows = await c.env.DB.prepare('SELECT * FROM statements WHERE account_id = ?1 ORDER BY period DESC LIMIT ?2')
      .bind(callerAccount(c), limit)
      .all<Row>();
    const data = rows.results.map((r) => ({
      period: r.period,
      timeZone: r.time_zone,
      periodStart: iso(r.period_start),
      periodEnd: iso(r.period_end),
      openingMicros: r.opening_micros,
      topUpsMicros: r.top_ups_micros,
      usageMicros: r.usage_micros,
      adjustmentsMicros: r.adjustments_micros,
      closingMicros: r.closing_micros,
      pdfBytes: r.pdf_bytes,
      csvBytes: r.csv_bytes,
      createdAt: iso(r.created_at),
      emailedAt: r.emailed_at === null ? null : iso(r.emailed_at),
    }));
    return c.json({ data }, 200);
  })
  .openapi(pdf, async (c) => download(c.env.DB, c.env.ARCHIVE, callerAccount(c), c.req.valid('param').period, 'pdf') as never)
  .openapi(csvFile, async (c) => download(c.env.DB, c.env.ARCHIVE, callerAccount(c), c.req.valid('param').period, 'csv') as never);
