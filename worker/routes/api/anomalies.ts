/**
 * @module routes/api/anomalies
 * `/api/account/anomalies` and `/api/account/anomaly-settings`: what the detectors found (a key's
 * 5-minute spend far above its own baseline, in the account object; a day's cost-per-request jump
 * or a day beyond σ of the trailing 14, in the hourly job, analytics/anomalies-job.ts), with the
 * numbers behind each, and the thresholds. Resolving a key-spend anomaly whose key was paused
 * resumes the key. Another organisation's anomaly is simply not found. Semantics:
 * docs/analytics.md, "Anomalies".
 */
import { ANOMALY_BOUNDS, type AnomalySettings } from '../../durable-objects/account/anomaly-settings';
import { ApiError } from '../../errors';
import { accountObject } from '../../services/accounts';
import { apiRouter, defineRoute, IdParam, json, z } from './contract';
import { caller, callerAccount } from './caller';

const TAGS = ['Anomalies'];

const Anomaly = z
  .object({
    id: z.string(),
    kind: z.enum(['key_spend', 'daily_jump', 'daily_outlier']),
    status: z.enum(['open', 'resolved']),
    action: z.enum(['alerted', 'paused']).describe('paused: the key is refused (403) until the anomaly is resolved.'),
    keyId: z.string().nullable(),
    keyName: z.string().nullable().describe('The key’s name, for key_spend.'),
    day: z.string().nullable().describe('The local day judged (YYYY-MM-DD), for daily anomalies.'),
    windowStart: z.number().int().describe('The window observed, [start, end) in epoch ms: a 5-minute window or a local day.'),
    windowEnd: z.number().int(),
    observedMicros: z.number().int().describe('Spend in the window.'),
    baselineMicros: z.number().int().describe('What it was measured against: the key’s p95 window, the day before, or the 14-day mean.'),
    thresholdMicros: z.number().int().describe('What the spend had to exceed to be an anomaly (rounded up).'),
    requests: z.number().int().nullable(),
    baselineRequests: z.number().int().nullable(),
    details: z.record(z.string(), z.unknown()).describe('Every other number used (σ, the multiplier, the floor, percent changes, …).'),
    createdAt: z.number().int(),
    resolvedAt: z.number().int().nullable(),
    resolvedBy: z.string().nullable(),
  })
  .openapi('Anomaly');

const bounded = (field: keyof typeof ANOMALY_BOUNDS, int = false) => {
  const [min, max] = ANOMALY_BOUNDS[field];
  return (int ? z.number().int() : z.number()).min(min).max(max);
};

const Settings = z
  .object({
    keySpend: z
      .object({
        enabled: z.boolean(),
        multiplier: bounded('keySpend.multiplier').describe('A 5-minute window is anomalous above this × the key’s p95 window of the past 7 days…'),
        floorMicros: bounded('keySpend.floorMicros', true).describe('…and above this spend (µUSD), so new keys are not flagged.'),
        pauseKeys: z.boolean().describe('Pause the key until a member resolves the anomaly.'),
      })
      .strict(),
    daily: z
      .object({
        enabled: z.boolean(),
        jumpPercent: bounded('daily.jumpPercent').describe('Cost and cost per request both up more than this % on the day before.'),
        sigma: bounded('daily.sigma').describe('A day more than this many σ above the trailing 14-day mean.'),
        minDayMicros: bounded('daily.minDayMicros', true).describe('Days that cost less (µUSD) are never anomalous.'),
      })
      .strict(),
  })
  .strict()
  .openapi('AnomalySettings');

const list = defineRoute('management', {
  method: 'get',
  path: '/',
  tags: TAGS,
  summary: 'Anomalies the detectors found, newest first, with the numbers behind each',
  request: {
    query: z
      .object({
        status: z.enum(['open', 'resolved']).optional(),
        before: z
          .string()
          .regex(/^\d{1,15}(\.[\w-]{1,100})?$/, 'nextBefore of the previous page, or an instant in epoch ms')
          .optional()
          .describe('Only anomalies before this: the previous page’s nextBefore, or an instant (epoch ms).'),
        limit: z.coerce.number().int().min(1).max(200).default(50),
      })
      .strict(),
  },
  responses: {
    200: json(
      z.object({ anomalies: z.array(Anomaly), nextBefore: z.string().nullable().describe('Pass as before= for the next page (null: last page).') }),
      'Anomalies',
    ),
  },
});

const resolve = defineRoute('management', {
  method: 'post',
  path: '/{id}/resolve',
  role: 'admin',
  tags: TAGS,
  summary: 'Confirm an anomaly: resumes its key when it was paused, and marks it resolved',
  request: { params: IdParam },
  responses: { 200: json(z.object({ anomaly: Anomaly, resumed: z.boolean().describe('Whether a paused key was resumed now.') }), 'The anomaly') },
});

const getSettings = defineRoute('management', {
  method: 'get',
  path: '/',
  tags: TAGS,
  summary: 'The anomaly thresholds',
  responses: { 200: json(z.object({ settings: Settings }), 'Anomaly settings') },
});

const putSettings = defineRoute('management', {
  method: 'put',
  path: '/',
  role: 'admin',
  tags: TAGS,
  summary: 'Set the anomaly thresholds',
  request: { body: { required: true, content: { 'application/json': { schema: Settings } } } },
  responses: { 200: json(z.object({ settings: Settings }), 'Anomaly settings') },
});

interface Row {
  id: string;
  kind: 'key_spend' | 'daily_jump' | 'daily_outlier';
  key_id: string | null;
  window_start: number;
  window_end: number;
  day: string | null;
  observed_micros: number;
  baseline_micros: number;
  threshold_micros: number;
  requests: number | null;
  baseline_requests: number | null;
  details: string;
  action: 'alerted' | 'paused';
  status: 'open' | 'resolved';
  resolved_at: number | null;
  resolved_by: string | null;
  created_at: number;
}

function detailsOf(text: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function view(r: Row, names: Map<string, string>) {
  return {
    id: r.id,
    kind: r.kind,
    status: r.status,
    action: r.action,
    keyId: r.key_id,
    keyName: r.key_id ? (names.get(r.key_id) ?? null) : null,
    day: r.day,
    windowStart: r.window_start,
    windowEnd: r.window_end,
    observedMicros: r.observed_micros,
    baselineMicros: r.baseline_micros,
    thresholdMicros: r.threshold_micros,
    requests: r.requests,
    baselineRequests: r.baseline_requests,
    details: detailsOf(r.details),
    createdAt: r.created_at,
    resolvedAt: r.resolved_at,
    resolvedBy: r.resolved_by,
  };
}

/** Key names live in the account object: read them once, only when a key anomaly is shown. */
async function keyNames(env: Parameters<typeof accountObject>[0], accountId: string, rows: Row[]): Promise<Map<string, string>> {
  if (!rows.some((r) => r.key_id)) return new Map();
  const keys = await accountObject(env, accountId).listKeys();
  return new Map(keys.map((k) => [k.id, k.name]));
}

const notFound = () => new ApiError({ code: 'not_found', message: 'No such anomaly in this organisation.' });

export const anomalyRoutes = apiRouter()
  .openapi(list, async (c) => {
    const accountId = callerAccount(c);
    const { status, before, limit } = c.req.valid('query');
    const [at, id] = before ? before.split('.') : [String(Number.MAX_SAFE_INTEGER), ''];
    // Keyset paging on (created_at, id): anomalies recorded in one batch share created_at.
    const { results } = await c.env.DB.prepare(
      `SELECT * FROM anomalies WHERE account_id = ?1 AND (created_at < ?2 OR (created_at = ?2 AND id < ?3)) ${status ? 'AND status = ?5' : ''}
       ORDER BY created_at DESC, id DESC LIMIT ?4`,
    )
      .bind(accountId, Number(at), id ?? '', limit, ...(status ? [status] : []))
      .all<Row>();
    const names = await keyNames(c.env, accountId, results);
    const last = results[results.length - 1];
    return c.json(
      { anomalies: results.map((r) => view(r, names)), nextBefore: results.length === limit && last ? `${last.created_at}.${last.id}` : null },
      200,
    );
  })
  .openapi(resolve, async (c) => {
    const { accountId, userId } = caller(c);
    const { id } = c.req.valid('param');
    const select = c.env.DB.prepare('SELECT * FROM anomalies WHERE id = ?1 AND account_id = ?2').bind(id, accountId);
    const row = await select.first<Row>();
    if (!row) throw notFound();
    const by = userId ?? 'management key';
    let resumed = false;
    if (row.status === 'open') {
      // The pause lives in the account object: lift it first, so a resolved anomaly never leaves its key paused.
      if (row.kind === 'key_spend' && row.action === 'paused' && row.key_id)
        resumed = (await accountObject(c.env, accountId).resumeKey(row.key_id, by)).resumed;
      await c.env.DB.prepare(
        "UPDATE anomalies SET status = 'resolved', resolved_at = ?1, resolved_by = ?2 WHERE id = ?3 AND account_id = ?4 AND status = 'open'",
      )
        .bind(Date.now(), by, id, accountId)
        .run();
    }
    const next = (await select.first<Row>()) ?? row;
    return c.json({ anomaly: view(next, await keyNames(c.env, accountId, [next])), resumed }, 200);
  });

export const anomalySettingsRoutes = apiRouter()
  .openapi(getSettings, async (c) => c.json({ settings: await accountObject(c.env, callerAccount(c)).anomalySettings() }, 200))
  .openapi(putSettings, async (c) => {
    const result: AnomalySettings | { problem: string } = await accountObject(c.env, callerAccount(c)).setAnomalySettings(c.req.valid('json'));
    if ('problem' in result) throw new ApiError({ code: 'invalid_request', param: result.problem, message: `${result.problem}: out of bounds.` });
    return c.json({ settings: result }, 200);
  });
