/**
 * @module routes/api/notifications
 * `/api/account/notification-channels` (where alerts go: e-mail, signed webhooks, Slack-compatible
 * incoming webhooks; a test send; webhook secret rotation; each channel's delivery log) and
 * `/api/account/alert-settings` (the low-balance alert). Another account's ids are not found.
 * Deliveries themselves: notifications/deliver.ts; the protocol: docs/notifications.md. Admins and
 * owners only, reads too: channel targets (a Slack webhook URL) are credentials.
 */
import { localDev } from '../../auth/mail';
import type { Env } from '../../env';
import { ApiError } from '../../errors';
import { newId } from '../../lib/ids';
import { ALERT_TYPES } from '../../notifications/alerts';
import { attempt, type ChannelRow, type DeliveryRow, testEvent } from '../../notifications/deliver';
import { accountObject } from '../../services/accounts';
import { apiRouter, defineRoute, IdParam, json, jsonBody, z } from './contract';
import { callerAccount } from './caller';

const TAGS = ['Notifications'];
/** A rotated-out secret still signs (as a second v1) for this long, so receivers can switch over. */
const ROTATION_OVERLAP_MS = 24 * 3_600_000;
const MAX_CHANNELS = 20;

const Kind = z
  .enum(['email', 'webhook', 'slack'])
  .describe('email: mail to the addresses; webhook: a signed JSON POST; slack: a Slack-compatible incoming webhook.');
const Events = z
  .array(z.enum(ALERT_TYPES as [string, ...string[]]))
  .min(1)
  .max(ALERT_TYPES.length)
  .transform((list) => [...new Set(list)])
  .describe('The alert types it receives: budget.threshold, balance.low, auto_recharge.failed.');
const Target = z.union([z.url().max(2000), z.array(z.email().max(254)).min(1).max(10)]).describe('The URL (webhook, slack) or the e-mail addresses (email).');

const CreateChannel = z
  .object({ kind: Kind, name: z.string().trim().min(1).max(100), target: Target, events: Events.optional(), enabled: z.boolean().default(true) })
  .strict()
  .openapi('NotificationChannelInput');
const UpdateChannel = z
  .object({ name: z.string().trim().min(1).max(100), target: Target, events: Events, enabled: z.boolean() })
  .partial()
  .strict()
  .openapi('NotificationChannelPatch');

const ChannelView = z
  .object({
    id: z.string(),
    kind: Kind,
    name: z.string(),
    target: z.union([z.string(), z.array(z.string())]),
    events: z.array(z.string()),
    enabled: z.boolean(),
    secretHint: z.string().nullable().describe('The last characters of the webhook signing secret (the secret itself is shown once).'),
    createdAt: z.number().int(),
    updatedAt: z.number().int(),
  })
  .openapi('NotificationChannel');

const Attempt = z.object({ at: z.number().int(), statusCode: z.number().int().nullable(), error: z.string().nullable(), ms: z.number().int() });
const DeliveryView = z
  .object({
    id: z.string(),
    channelId: z.string(),
    eventId: z.string(),
    eventType: z.string(),
    status: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.number().int(),
    nextAttemptAt: z.number().int().nullable(),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    log: z.array(Attempt).describe('Every attempt, oldest first (the last 20).'),
    createdAt: z.number().int(),
    deliveredAt: z.number().int().nullable(),
  })
  .openapi('NotificationDelivery');

const AlertSettings = z
  .object({
    lowBalanceMicros: z
      .number()
      .int()
      .min(0)
      .max(1_000_000_000_000)
      .nullable()
      .describe('Alert once when the available balance falls under this (µUSD); re-armed when credit lifts it back. null: off.'),
  })
  .strict()
  .openapi('AlertSettings');

function view(row: ChannelRow) {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    target: row.kind === 'email' ? (JSON.parse(row.target) as string[]) : row.target,
    events: JSON.parse(row.events) as string[],
    enabled: row.enabled === 1,
    secretHint: row.secret ? `…${row.secret.slice(-4)}` : null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function deliveryView(d: DeliveryRow) {
  return {
    id: d.id,
    channelId: d.channel_id,
    eventId: d.event_id,
    eventType: d.event_type,
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: d.next_attempt_at,
    lastStatusCode: d.last_status_code,
    lastError: d.last_error,
    log: JSON.parse(d.log) as z.infer<typeof Attempt>[],
    createdAt: d.created_at,
    deliveredAt: d.delivered_at,
  };
}

const PRIVATE_HOST = new RegExp(
  String.raw`^(localhost|.*\.localhost|.*\.internal|.*\.local|0\.0\.0\.0|127\.\d+\.\d+\.\d+|10\.\d+\.\d+\.\d+|` +
    String.raw`192\.168\.\d+\.\d+|169\.254\.\d+\.\d+|172\.(1[6-9]|2\d|3[01])\.\d+\.\d+|\[.*\])$`,
  'i',
);

/** The channel's target as stored, checked for its kind: HTTPS to a public host (plain HTTP and local hosts on a local deployment only). */
export function storedTarget(env: Env, kind: 'email' | 'webhook' | 'slack', target: string | string[]): string {
  if (kind === 'email') {
    if (!Array.isArray(target)) throw new ApiError({ code: 'invalid_request', param: 'target', message: 'target: an e-mail channel lists its addresses.' });
    return JSON.stringify([...new Set(target.map((t) => t.toLowerCase()))]);
  }
  if (typeof target !== 'string') throw new ApiError({ code: 'invalid_request', param: 'target', message: `target: a ${kind} channel has a URL.` });
  const url = new URL(target);
  const local = localDev(env);
  if (url.protocol !== 'https:' && !(local && url.protocol === 'http:')) {
    throw new ApiError({ code: 'invalid_request', param: 'target', message: 'target: the URL must be https.' });
  }
  if (!local && PRIVATE_HOST.test(url.hostname)) {
    throw new ApiError({ code: 'invalid_request', param: 'target', message: 'target: the URL must name a public host.' });
  }
  if (url.username || url.password) throw new ApiError({ code: 'invalid_request', param: 'target', message: 'target: put no credentials in the URL.' });
  return url.toString();
}

/** A webhook signing secret: whsec_ and 32 random bytes, base64url. */
function newSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return `whsec_${btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '')}`;
}

async function ownChannel(env: Env, accountId: string, id: string): Promise<ChannelRow> {
  const row = await env.DB.prepare('SELECT * FROM notification_channels WHERE id = ? AND account_id = ?').bind(id, accountId).first<ChannelRow>();
  if (!row) throw new ApiError({ code: 'not_found', message: `No notification channel '${id}' in this account.` });
  return row;
}

const OneChannel = z.object({ channel: ChannelView });

const list = defineRoute('management', {
  role: 'admin',
  method: 'get',
  path: '/',
  tags: TAGS,
  summary: 'List where your alerts go',
  responses: { 200: json(z.object({ channels: z.array(ChannelView) }), 'Your channels') },
});
const create = defineRoute('management', {
  role: 'admin',
  method: 'post',
  path: '/',
  tags: TAGS,
  summary: 'Add a notification channel (a webhook’s signing secret is returned once)',
  request: { body: jsonBody(CreateChannel) },
  responses: { 201: json(OneChannel.extend({ secret: z.string().nullable().describe('The webhook signing secret, shown only here.') }), 'The channel') },
});
const get = defineRoute('management', {
  role: 'admin',
  method: 'get',
  path: '/{id}',
  tags: TAGS,
  summary: 'One channel',
  request: { params: IdParam },
  responses: { 200: json(OneChannel, 'The channel') },
});
const update = defineRoute('management', {
  role: 'admin',
  method: 'patch',
  path: '/{id}',
  tags: TAGS,
  summary: 'Edit a channel (name, target, alert types, on/off)',
  request: { params: IdParam, body: jsonBody(UpdateChannel) },
  responses: { 200: json(OneChannel, 'The channel') },
});
const remove = defineRoute('management', {
  role: 'admin',
  method: 'delete',
  path: '/{id}',
  tags: TAGS,
  summary: 'Delete a channel (its pending deliveries are dropped)',
  request: { params: IdParam },
  responses: { 200: json(z.object({ deleted: z.literal(true), id: z.string() }), 'Deleted') },
});
const test = defineRoute('management', {
  role: 'admin',
  method: 'post',
  path: '/{id}/test',
  tags: TAGS,
  summary: 'Send a test alert now; the answer is the attempt (retried like any delivery if it failed)',
  request: { params: IdParam },
  responses: { 200: json(z.object({ delivery: DeliveryView }), 'The test delivery') },
});
const rotate = defineRoute('management', {
  role: 'admin',
  method: 'post',
  path: '/{id}/rotate-secret',
  tags: TAGS,
  summary: 'Rotate a webhook’s signing secret (the old one still signs, as a second v1, for 24 hours)',
  request: { params: IdParam },
  responses: { 200: json(OneChannel.extend({ secret: z.string() }), 'The channel and its new secret, shown only here') },
});
const deliveries = defineRoute('management', {
  role: 'admin',
  method: 'get',
  path: '/{id}/deliveries',
  tags: TAGS,
  summary: 'A channel’s deliveries, newest first, with every attempt’s status code',
  request: { params: IdParam, query: z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) }) },
  responses: { 200: json(z.object({ deliveries: z.array(DeliveryView) }), 'Deliveries') },
});

export const notificationChannelRoutes = apiRouter()
  .openapi(list, async (c) => {
    const { results } = await c.env.DB.prepare('SELECT * FROM notification_channels WHERE account_id = ? ORDER BY created_at')
      .bind(callerAccount(c))
      .all<ChannelRow>();
    return c.json({ channels: results.map(view) }, 200);
  })
  .openapi(create, async (c) => {
    const accountId = callerAccount(c);
    const body = c.req.valid('json');
    const target = storedTarget(c.env, body.kind, body.target);
    const count = await c.env.DB.prepare('SELECT COUNT(*) AS n FROM notification_channels WHERE account_id = ?').bind(accountId).first<{ n: number }>();
    if ((count?.n ?? 0) >= MAX_CHANNELS) throw new ApiError({ code: 'invalid_request', message: `At most ${MAX_CHANNELS} channels per account.` });
    const now = Date.now();
    const secret = body.kind === 'webhook' ? newSecret() : null;
    const row: ChannelRow = {
      id: newId('nch'),
      account_id: accountId,
      kind: body.kind,
      name: body.name,
      target,
      secret,
      previous_secret: null,
      previous_secret_expires_at: null,
      events: JSON.stringify(body.events ?? ALERT_TYPES),
      enabled: body.enabled ? 1 : 0,
      created_at: now,
      updated_at: now,
    };
    await c.env.DB.prepare(
      'INSERT INTO notification_channels (id, account_id, kind, name, target, secret, events, enabled, ' +
        'created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    )
      .bind(row.id, accountId, row.kind, row.name, row.target, row.secret, row.events, row.enabled, now, now)
      .run();
    return c.json({ channel: view(row), secret }, 201);
  })
  .openapi(get, async (c) => c.json({ channel: view(await ownChannel(c.env, callerAccount(c), c.req.valid('param').id)) }, 200))
  .openapi(update, async (c) => {
    const accountId = callerAccount(c);
    const existing = await ownChannel(c.env, accountId, c.req.valid('param').id);
    const patch = c.req.valid('json');
    const next: ChannelRow = {
      ...existing,
      name: patch.name ?? existing.name,
      target: patch.target !== undefined ? storedTarget(c.env, existing.kind, patch.target) : existing.target,
      events: patch.events ? JSON.stringify(patch.events) : existing.events,
      enabled: patch.enabled === undefined ? existing.enabled : patch.enabled ? 1 : 0,
      updated_at: Date.now(),
    };
    await c.env.DB.prepare('UPDATE notification_channels SET name = ?, target = ?, events = ?, enabled = ?, updated_at = ? WHERE id = ? AND account_id = ?')
      .bind(next.name, next.target, next.events, next.enabled, next.updated_at, next.id, accountId)
      .run();
    return c.json({ channel: view(next) }, 200);
  })
  .openapi(remove, async (c) => {
    const accountId = callerAccount(c);
    const { id } = c.req.valid('param');
    await ownChannel(c.env, accountId, id);
    await c.env.DB.batch([
      c.env.DB.prepare("DELETE FROM notification_deliveries WHERE channel_id = ? AND account_id = ? AND status = 'pending'").bind(id, accountId),
      c.env.DB.prepare('DELETE FROM notification_channels WHERE id = ? AND account_id = ?').bind(id, accountId),
    ]);
    return c.json({ deleted: true as const, id }, 200);
  })
  .openapi(test, async (c) => {
    const accountId = callerAccount(c);
    const channel = await ownChannel(c.env, accountId, c.req.valid('param').id);
    const now = Date.now();
    const d: DeliveryRow = {
      id: newId('ntd'),
      account_id: accountId,
      channel_id: channel.id,
      event_id: newId('test'),
      event_type: 'test',
      status: 'pending',
      attempts: 0,
      next_attempt_at: now,
      last_status_code: null,
      last_error: null,
      log: '[]',
      created_at: now,
      delivered_at: null,
    };
    await c.env.DB.prepare(
      'INSERT INTO notification_deliveries (id, account_id, channel_id, event_id, event_type, status, ' +
        "attempts, next_attempt_at, log, created_at) VALUES (?, ?, ?, ?, 'test', 'pending', 0, ?, '[]', ?)",
    )
      .bind(d.id, accountId, channel.id, d.event_id, now, now)
      .run();
    const after = await attempt(c.env, d, { ...channel, enabled: 1 }, testEvent(channel, d.event_id, now), now);
    return c.json({ delivery: deliveryView(after ?? d) }, 200);
  })
  .openapi(rotate, async (c) => {
    const accountId = callerAccount(c);
    const channel = await ownChannel(c.env, accountId, c.req.valid('param').id);
    if (channel.kind !== 'webhook') throw new ApiError({ code: 'invalid_request', message: 'Only a webhook channel has a signing secret.' });
    const secret = newSecret();
    const now = Date.now();
    const next: ChannelRow = { ...channel, secret, previous_secret: channel.secret, previous_secret_expires_at: now + ROTATION_OVERLAP_MS, updated_at: now };
    await c.env.DB.prepare(
      'UPDATE notification_channels SET secret = ?, previous_secret = ?, previous_secret_expires_at = ?, updated_at = ? WHERE id = ? AND account_id = ?',
    )
      .bind(secret, next.previous_secret, next.previous_secret_expires_at, now, channel.id, accountId)
      .run();
    return c.json({ channel: view(next), secret }, 200);
  })
  .openapi(deliveries, async (c) => {
    const accountId = callerAccount(c);
    const channel = await ownChannel(c.env, accountId, c.req.valid('param').id);
    const { results } = await c.env.DB.prepare('SELECT * FROM notification_deliveries WHERE channel_id = ? AND account_id = ? ORDER BY created_at DESC LIMIT ?')
      .bind(channel.id, accountId, c.req.valid('query').limit)
      .all<DeliveryRow>();
    return c.json({ deliveries: results.map(deliveryView) }, 200);
  });

const getSettings = defineRoute('management', {
  role: 'viewer',
  method: 'get',
  path: '/',
  tags: TAGS,
  summary: 'The low-balance alert',
  responses: { 200: json(z.object({ settings: AlertSettings }), 'Alert settings') },
});
const putSettings = defineRoute('management', {
  role: 'admin',
  method: 'put',
  path: '/',
  tags: TAGS,
  summary: 'Set the low-balance alert (null: off)',
  request: { body: jsonBody(AlertSettings) },
  responses: { 200: json(z.object({ settings: AlertSettings }), 'Alert settings') },
});

export const alertSettingsRoutes = apiRouter()
  .openapi(getSettings, async (c) => c.json({ settings: await accountObject(c.env, callerAccount(c)).alertSettings() }, 200))
  .openapi(putSettings, async (c) => c.json({ settings: await accountObject(c.env, callerAccount(c)).setAlertSettings(c.req.valid('json')) }, 200));
