/**
 * @module analytics/archive
 * Raw usage events live in D1 for a retention window (USAGE_RETENTION_DAYS, default 35); the
 * hourly job then moves them to R2 as gzipped NDJSON, one object per page of at most
 * `PAGE_EVENTS` events of one organisation's UTC day, and deletes them from D1. The rollups keep
 * every figure (deleting an event fires no rollup trigger), so analytics and reconciliation are
 * unchanged by archival.
 *
 * Exactly once, without a lock:
 * - A page is the first events of (organisation, day) in (created_at, id) order, and its object
 *   key is named after its first event, so a run that dies after the R2 write redoes the same
 *   page under the same key (an overwrite with the same or a larger page).
 * - The D1 side is one batch (one transaction): it records the object in `usage_archives` only if
 *   the page's range still holds exactly the events written to R2 (an event that arrived late in
 *   that range makes the count differ), and deletes the range's events only if that record was
 *   just written. So events archived = events deleted, and nothing is deleted unarchived.
 */
import type { Env } from '../env';

export const DEFAULT_RETENTION_DAYS = 35;
export const PAGE_EVENTS = 5_000;
const DAY_MS = 86_400_000;

type EventRow = {
  id: string;
  account_id: string;
  key_id: string;
  project_id: string | null;
  service_id: string;
  model: string;
  endpoint: string;
  input_tokens: number;
  output_tokens: number;
  cost_micros: number;
  price_version: number;
  latency_ms: number;
  ttft_ms: number | null;
  status: string;
  estimated: number;
  created_at: number;
  member_id: string | null;
  end_user: string | null;
  tags: string | null;
};

/** One archived event, as the NDJSON lines hold it (the same names as the usage API). */
function line(e: EventRow): string {
  return JSON.stringify({
    id: e.id,
    createdAt: e.created_at,
    keyId: e.key_id,
    projectId: e.project_id,
    memberId: e.member_id,
    endUser: e.end_user,
    tags: e.tags ? JSON.parse(e.tags) : null,
    serviceId: e.service_id,
    model: e.model,
    endpoint: e.endpoint,
    inputTokens: e.input_tokens,
    outputTokens: e.output_tokens,
    costMicros: e.cost_micros,
    priceVersion: e.price_version,
    latencyMs: e.latency_ms,
    ttftMs: e.ttft_ms,
    status: e.status,
    estimated: e.estimated === 1,
  });
}

async function gzip(text: string): Promise<ArrayBuffer> {
  return new Response(new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'))).arrayBuffer();
}

/** The retention window in days (USAGE_RETENTION_DAYS), at least 1. */
export function retentionDays(env: Pick<Env, 'USAGE_RETENTION_DAYS'>): number {
  const n = Number(env.USAGE_RETENTION_DAYS ?? DEFAULT_RETENTION_DAYS);
  return Number.isInteger(n) && n >= 1 ? n : DEFAULT_RETENTION_DAYS;
}

export interface ArchiveRun {
  objects: number;
  events: number;
  /** Pages skipped because an event arrived in their range meanwhile (redone next run). */
  raced: number;
  more: boolean;
}

/**
 * Archives events created before the start of the UTC day `retention` days before `now`, at most
 * `maxObjects` pages per run (the hourly cron runs it again until none are left).
 */
export async function archiveUsage(
  env: Pick<Env, 'DB' | 'ARCHIVE' | 'USAGE_RETENTION_DAYS'>,
  options: { now?: number; maxObjects?: number } = {},
): Promise<ArchiveRun> {
  const now = options.now ?? Date.now();
  const cutoff = Math.floor((now - retentionDays(env) * DAY_MS) / DAY_MS) * DAY_MS;
  const run: ArchiveRun = { objects: 0, events: 0, raced: 0, more: false };
  for (let i = 0; i < (options.maxObjects ?? 50); i++) {
    const oldest = await env.DB.prepare('SELECT account_id, created_at FROM usage_events WHERE created_at < ?1 ORDER BY created_at LIMIT 1')
      .bind(cutoff)
      .first<{ account_id: string; created_at: number }>();
    if (!oldest) return run;
    const dayStart = Math.floor(oldest.created_at / DAY_MS) * DAY_MS;
    const dayEnd = Math.min(dayStart + DAY_MS, cutoff);
    const page = await env.DB.prepare(
      'SELECT * FROM usage_events WHERE account_id = ?1 AND created_at >= ?2 AND created_at < ?3 ORDER BY created_at, id LIMIT ?4',
    )
      .bind(oldest.account_id, dayStart, dayEnd, PAGE_EVENTS)
      .all<EventRow>();
    const rows = page.results;
    if (rows.length === 0) continue;
    const first = rows[0];
    const last = rows[rows.length - 1];
    const day = new Date(dayStart).toISOString().slice(0, 10);
    const objectKey = `usage/${oldest.account_id}/${day}/${first.created_at}-${first.id}.ndjson.gz`;
    const body = await gzip(`${rows.map(line).join('\n')}\n`);
    const costMicros = rows.reduce((sum, r) => sum + r.cost_micros, 0);
    await env.ARCHIVE.put(objectKey, body, {
      httpMetadata: { contentType: 'application/x-ndjson', contentEncoding: 'gzip' },
      customMetadata: { accountId: oldest.account_id, day, events: String(rows.length), costMicros: String(costMicros) },
    });
    const inRange = 'account_id = ?1 AND (created_at, id) >= (?2, ?3) AND (created_at, id) <= (?4, ?5)';
    const range = [oldest.account_id, first.created_at, first.id, last.created_at, last.id];
    const [recorded] = await env.DB.batch([
      env.DB.prepare(
        `INSERT OR REPLACE INTO usage_archives (object_key, account_id, day, events, bytes, cost_micros, first_at, last_at, created_at)
         SELECT ?6, ?1, ?7, ?8, ?9, ?10, ?2, ?4, ?11 WHERE (SELECT count(*) FROM usage_events WHERE ${inRange}) = ?8`,
      ).bind(...range, objectKey, day, rows.length, body.byteLength, costMicros, now),
      env.DB.prepare(`DELETE FROM usage_events WHERE ${inRange} AND EXISTS (SELECT 1 FROM usage_archives WHERE object_key = ?6 AND created_at = ?7)`).bind(
        ...range,
        objectKey,
        now,
      ),
    ]);
    if (recorded.meta.changes !== 1) {
      run.raced++;
      continue;
    }
    run.objects++;
    run.events += rows.length;
  }
  run.more = true;
  return run;
}

/** Where a page of archives ended: the last row's day, first event and key (the list's order). */
export interface ArchiveCursor {
  day: string;
  firstAt: number;
  key: string;
}

/** An organisation's archive objects, newest day first, then newest first event; `after` continues a page. */
export async function listArchives(db: D1Database, accountId: string, limit: number, options: { before?: string; after?: ArchiveCursor } = {}) {
  const { before, after } = options;
  const rows = await db
    .prepare(
      `SELECT object_key, day, events, bytes, cost_micros, first_at, last_at, created_at FROM usage_archives
       WHERE account_id = ?1 AND (?2 IS NULL OR day < ?2) AND (?3 IS NULL OR (day, first_at, object_key) < (?3, ?4, ?5))
       ORDER BY day DESC, first_at DESC, object_key DESC LIMIT ?6`,
    )
    .bind(accountId, before ?? null, after?.day ?? null, after?.firstAt ?? null, after?.key ?? null, limit)
    .all<{ object_key: string; day: string; events: number; bytes: number; cost_micros: number; first_at: number; last_at: number; created_at: number }>();
  return rows.results;
}
