/**
 * @module routes/api/archives
 * `/api/account/usage-archives`: the organisation's usage events past the retention window, as
 * archival (analytics/archive.ts) wrote them to R2: a list, and each object as a download
 * (gzipped NDJSON, one event per line). Archives hold every project's events, so they need the
 * admin role (a developer sees only their projects' usage).
 */
import { type ArchiveCursor, listArchives, retentionDays } from '../../analytics/archive';
import { ApiError } from '../../errors';
import { apiRouter, defineRoute, json, z } from './contract';
import { callerAccount } from './caller';

const TAGS = ['Usage archives'];

const ArchiveView = z
  .object({
    key: z.string().describe('Pass to /usage-archives/download?key= to download it.'),
    day: z.string().describe('The UTC day of its events, YYYY-MM-DD.'),
    events: z.number().int(),
    bytes: z.number().int().describe('Size of the gzipped file.'),
    costMicros: z.number().int().describe('What its events cost, in all.'),
    firstAt: z.string().describe('Its first event, ISO date-time.'),
    lastAt: z.string(),
    archivedAt: z.string(),
  })
  .openapi('UsageArchive');

const list = defineRoute('management', {
  method: 'get',
  path: '/',
  role: 'admin',
  summary: 'Usage events past the retention window, archived per UTC day as gzipped NDJSON (newest first)',
  tags: TAGS,
  request: {
    query: z
      .object({
        before: z
          .string()
          .regex(/^\d{4}-\d{2}-\d{2}$/, 'before: a day, YYYY-MM-DD')
          .optional()
          .describe('Only days before this one.'),
        cursor: z.string().max(800).optional().describe('nextCursor of the previous page.'),
        limit: z.coerce.number().int().min(1).max(500).default(100),
      })
      .strict(),
  },
  responses: {
    200: json(
      z.object({
        retentionDays: z.number().int().describe('Days raw events stay in D1 before they are archived.'),
        data: z.array(ArchiveView),
        nextCursor: z.string().nullable().describe('Pass as cursor= for the next page (null: this was the last).'),
      }),
      'Archived usage',
    ),
  },
});

const download = defineRoute('management', {
  method: 'get',
  path: '/download',
  role: 'admin',
  summary: 'One archive file: gzipped NDJSON, one usage event per line',
  tags: TAGS,
  request: { query: z.object({ key: z.string().min(1).max(600) }).strict() },
  responses: { 200: { description: 'The gzipped NDJSON file', content: { 'application/gzip': { schema: z.string() } } } },
});

const writeCursor = (c: ArchiveCursor): string => btoa(JSON.stringify([c.day, c.firstAt, c.key])).replace(/=+$/, '');

function readCursor(cursor: string): ArchiveCursor {
  try {
    const [day, firstAt, key] = JSON.parse(atob(cursor)) as unknown[];
    if (typeof day === 'string' && Number.isSafeInteger(firstAt) && typeof key === 'string') return { day, firstAt: firstAt as number, key };
  } catch {
    // fall through
  }
  throw new ApiError({ code: 'invalid_request', param: 'cursor', message: 'cursor: not a cursor from this API.' });
}

export const archiveRoutes = apiRouter()
  .openapi(list, async (c) => {
    const q = c.req.valid('query');
    const rows = await listArchives(c.env.DB, callerAccount(c), q.limit, { before: q.before, after: q.cursor ? readCursor(q.cursor) : undefined });
    const last = rows[rows.length - 1];
    return c.json(
      {
        retentionDays: retentionDays(c.env),
        data: rows.map((r) => ({
          key: r.object_key,
          day: r.day,
          events: r.events,
          bytes: r.bytes,
          costMicros: r.cost_micros,
          firstAt: new Date(r.first_at).toISOString(),
          lastAt: new Date(r.last_at).toISOString(),
          archivedAt: new Date(r.created_at).toISOString(),
        })),
        nextCursor: rows.length === q.limit && last ? writeCursor({ day: last.day, firstAt: last.first_at, key: last.object_key }) : null,
      },
      200,
    );
  })
  .openapi(download, async (c) => {
    const { key } = c.req.valid('query');
    // The index decides whose an object is: another organisation's key is not found.
    const row = await c.env.DB.prepare('SELECT day FROM usage_archives WHERE object_key = ?1 AND account_id = ?2')
      .bind(key, callerAccount(c))
      .first<{ day: string }>();
    const object = row ? await c.env.ARCHIVE.get(key) : null;
    if (!row || !object) throw new ApiError({ code: 'not_found', message: 'No such archive in this organisation.' });
    const name = key.split('/').pop() ?? 'usage.ndjson.gz';
    return new Response(object.body, {
      status: 200,
      headers: {
        'content-type': 'application/gzip',
        'content-length': String(object.size),
        'content-disposition': `attachment; filename="usage-${row.day}-${name}"`,
      },
    }) as never;
  });
