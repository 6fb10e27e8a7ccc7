/**
 * @module notifications/deliver
 * Sends queued alert deliveries to their channels: signed webhooks, Slack-compatible incoming
 * webhooks and e-mail. Each delivery is claimed before it is sent (a conditional update, so two
 * runners never send the same attempt), tried with a 10 s timeout, and on failure retried with
 * exponential back-off (30 s doubling to an hour) until a day has passed since the alert, then
 * marked failed. Every attempt's outcome is kept in the delivery's log.
 *
 * Webhook signature (docs/notifications.md): header `x-gateway-signature: t=<unix seconds>,v1=<hex>`
 * where hex = HMAC-SHA256(secret, `${t}.${body}`); during the day after a secret rotation a second
 * `v1=` made with the previous secret follows. Receivers check one of them and that t is recent.
 */
import type { Env } from '../env';
import { mailSender } from '../auth/mail';
import type { AlertType } from './alerts';

/** Back-off after the n-th failed attempt: 30 s · 2^(n−1), at most an hour. */
export function retryDelayMs(attempts: number): number {
  return Math.min(30_000 * 2 ** Math.max(0, attempts - 1), 3_600_000);
}
/** Deliveries are retried until this long after the alert was raised. */
export const GIVE_UP_AFTER_MS = 25 * 3_600_000;
const ATTEMPT_TIMEOUT_MS = 10_000;
/** How long a claimed attempt is kept from other runners. */
const CLAIM_MS = 60_000;
const MAX_LOG = 20;

export interface DeliveryRow {
  id: string;
  account_id: string;
  channel_id: string;
  event_id: string;
  event_type: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  next_attempt_at: number | null;
  last_status_code: number | null;
  last_error: string | null;
  log: string;
  created_at: number;
  delivered_at: number | null;
}

export interface ChannelRow {
  id: string;
  account_id: string;
  kind: 'email' | 'webhook' | 'slack';
  name: string;
  target: string;
  secret: string | null;
  previous_secret: string | null;
  previous_secret_expires_at: number | null;
  events: string;
  enabled: number;
  created_at: number;
  updated_at: number;
}

interface AlertRow {
  id: string;
  account_id: string;
  type: AlertType;
  message: string;
  budget_id: string | null;
  budget_name: string | null;
  scope: string | null;
  end_user: string | null;
  window_kind: string | null;
  window_start: number | null;
  resets_at: number | null;
  percent: number | null;
  spent_micros: number | null;
  amount_micros: number | null;
  action: string | null;
  request_id: string | null;
  created_at: number;
  details: string | null;
}

/** The event a channel receives: the webhook body (also what Slack and mail are written from). */
export interface NotificationEvent {
  id: string;
  type: AlertType | 'test';
  /** Unix seconds. */
  created: number;
  message: string;
  data: Record<string, unknown>;
}

function eventOf(alert: AlertRow): NotificationEvent {
  return {
    id: alert.id,
    type: alert.type,
    created: Math.floor(alert.created_at / 1000),
    message: alert.message,
    data: {
      accountId: alert.account_id,
      budgetId: alert.budget_id,
      budgetName: alert.budget_name,
      scope: alert.scope,
      endUser: alert.end_user,
      window: alert.window_kind,
      windowStart: alert.window_start,
      resetsAt: alert.resets_at,
      percent: alert.percent,
      spentMicros: alert.spent_micros,
      amountMicros: alert.amount_micros,
      action: alert.action,
      requestId: alert.request_id,
      ...(alert.details ? { details: parseDetails(alert.details) } : {}),
    },
  };
}

function parseDetails(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** A test event for a channel (the dashboard's "Send test"). */
export function testEvent(channel: Pick<ChannelRow, 'id' | 'account_id' | 'name'>, eventId: string, now: number): NotificationEvent {
  return {
    id: eventId,
    type: 'test',
    created: Math.floor(now / 1000),
    message: `A test from the GPU gateway to the channel '${channel.name}'. Alerts will arrive like this.`,
    data: { accountId: channel.account_id, channelId: channel.id },
  };
}

const hex = (buf: ArrayBuffer) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');

async function hmacHex(secret: string, text: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return hex(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(text)));
}

/** The `x-gateway-signature` header for a body: one v1 per secret still valid. */
export async function signatureHeader(secrets: string[], body: string, nowMs: number): Promise<string> {
  const t = Math.floor(nowMs / 1000);
  const parts = [`t=${t}`];
  for (const secret of secrets) parts.push(`v1=${await hmacHex(secret, `${t}.${body}`)}`);
  return parts.join(',');
}

/** The secrets a channel signs with now: its own, and the one before the last rotation while it is still honoured. */
function signingSecrets(channel: ChannelRow, now: number): string[] {
  const out = channel.secret ? [channel.secret] : [];
  if (channel.previous_secret && (channel.previous_secret_expires_at ?? 0) > now) out.push(channel.previous_secret);
  return out;
}

export interface Attempt {
  at: number;
  statusCode: number | null;
  error: string | null;
  ms: number;
}

/** Sends one event to one channel; never throws. */
export async function send(env: Env, channel: ChannelRow, event: NotificationEvent, deliveryId: string): Promise<Attempt> {
  // The signature's timestamp is when it is sent: a receiver rejects one that is not recent.
  const now = Date.now();
  const done = (statusCode: number | null, error: string | null): Attempt => ({ at: now, statusCode, error, ms: Date.now() - now });
  try {
    if (channel.kind === 'email') {
      const to = JSON.parse(channel.target) as string[];
      const sender = mailSender(env);
      const subject = event.type === 'test' ? 'GPU gateway: test alert' : `GPU gateway alert: ${event.message.slice(0, 120)}`;
      for (const address of to) {
        await sender.send({
          to: address,
          subject,
          text: `${event.message}\n\nAlert ${event.id} (${event.type}).\n`,
          html:
            `<!doctype html><html><body style="font-family:sans-serif"><p>${escapeHtml(event.message)}</p>` +
            `<p style="color:#666">Alert ${escapeHtml(event.id)} (${escapeHtml(event.type)}).</p></body></html>`,
        });
      }
      return done(null, null);
    }
    const body = channel.kind === 'slack' ? JSON.stringify({ text: `:rotating_light: ${event.message}` }) : JSON.stringify(event);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'gpu-gateway-webhooks/1' };
    if (channel.kind === 'webhook') {
      headers['x-gateway-event-id'] = event.id;
      headers['x-gateway-event-type'] = event.type;
      headers['x-gateway-delivery-id'] = deliveryId;
      headers['x-gateway-signature'] = await signatureHeader(signingSecrets(channel, now), body, now);
    }
    const res = await fetch(channel.target, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS) });
    await res.body?.cancel();
    return done(res.status, res.status >= 200 && res.status < 300 ? null : `HTTP ${res.status}`);
  } catch (error) {
    return done(null, String(error instanceof Error ? error.message : error).slice(0, 300));
  }
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** Claims a due delivery for this runner; false when another took it first. */
async function claim(db: D1Database, d: DeliveryRow, now: number): Promise<boolean> {
  const res = await db
    .prepare("UPDATE notification_deliveries SET next_attempt_at = ? WHERE id = ? AND status = 'pending' AND next_attempt_at IS ?")
    .bind(now + CLAIM_MS, d.id, d.next_attempt_at)
    .run();
  return res.meta.changes === 1;
}

/** Records an attempt: delivered, due again after the back-off, or failed for good. */
async function record(db: D1Database, d: DeliveryRow, attempt: Attempt, now: number, final = false): Promise<DeliveryRow> {
  const ok = attempt.error === null;
  const attempts = d.attempts + 1;
  const log = [...(JSON.parse(d.log) as Attempt[]), attempt].slice(-MAX_LOG);
  const giveUp = !ok && (final || now + retryDelayMs(attempts) > d.created_at + GIVE_UP_AFTER_MS);
  const next: DeliveryRow = {
    ...d,
    attempts,
    status: ok ? 'delivered' : giveUp ? 'failed' : 'pending',
    next_attempt_at: ok || giveUp ? null : now + retryDelayMs(attempts),
    last_status_code: attempt.statusCode,
    last_error: attempt.error,
    log: JSON.stringify(log),
    delivered_at: ok ? now : null,
  };
  await db
    .prepare(
      'UPDATE notification_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, ' +
        'last_status_code = ?, last_error = ?, log = ?, delivered_at = ? WHERE id = ?',
    )
    .bind(next.status, next.attempts, next.next_attempt_at, next.last_status_code, next.last_error, next.log, next.delivered_at, d.id)
    .run();
  return next;
}

/** Makes one attempt of a delivery that is due (claimed first). Returns the delivery as it now stands, or null if another runner has it. */
export async function attempt(env: Env, d: DeliveryRow, channel: ChannelRow, event: NotificationEvent, now = Date.now()): Promise<DeliveryRow | null> {
  if (!(await claim(env.DB, d, now))) return null;
  // A channel switched off after the alert was queued: not sent, and not retried.
  if (!channel.enabled) return record(env.DB, d, { at: now, statusCode: null, error: 'channel disabled', ms: 0 }, now, true);
  return record(env.DB, d, await send(env, channel, event, d.id), Date.now());
}

/**
 * Sends every due delivery (of one account, or all), oldest first, up to `limit`. Run by the
 * per-minute cron and, for an account, right after its alerts are recorded.
 */
export async function deliverDue(
  env: Env,
  options: { accountId?: string; limit?: number; now?: number } = {},
): Promise<{ delivered: number; failed: number; waiting: number }> {
  const now = options.now ?? Date.now();
  const where = options.accountId ? 'AND d.account_id = ?' : '';
  const binds: unknown[] = [now, ...(options.accountId ? [options.accountId] : []), options.limit ?? 50];
  const { results } = await env.DB.prepare(
    `SELECT d.*, c.kind AS c_kind, c.name AS c_name, c.target AS c_target, c.secret AS c_secret, c.previous_secret AS c_previous_secret,
       c.previous_secret_expires_at AS c_previous_secret_expires_at, c.enabled AS c_enabled, a.type AS a_type, a.message AS a_message,
       a.budget_id AS a_budget_id, a.budget_name AS a_budget_name, a.scope AS a_scope, a.end_user AS a_end_user, a.window_kind AS a_window_kind,
       a.window_start AS a_window_start, a.resets_at AS a_resets_at, a.percent AS a_percent, a.spent_micros AS a_spent_micros,
       a.amount_micros AS a_amount_micros, a.action AS a_action, a.request_id AS a_request_id, a.created_at AS a_created_at, a.details AS a_details
     FROM notification_deliveries d JOIN notification_channels c ON c.id = d.channel_id LEFT JOIN alerts a ON a.id = d.event_id
     WHERE d.status = 'pending' AND d.next_attempt_at <= ? ${where} ORDER BY d.next_attempt_at LIMIT ?`,
  )
    .bind(...binds)
    .all<Record<string, unknown>>();
  const tally = { delivered: 0, failed: 0, waiting: 0 };
  for (const r of results) {
    const d = pick<DeliveryRow>(r, [
      'id',
      'account_id',
      'channel_id',
      'event_id',
      'event_type',
      'status',
      'attempts',
      'next_attempt_at',
      'last_status_code',
      'last_error',
      'log',
      'created_at',
      'delivered_at',
    ]);
    const channel = {
      id: d.channel_id,
      account_id: d.account_id,
      kind: r.c_kind,
      name: r.c_name,
      target: r.c_target,
      secret: r.c_secret,
      previous_secret: r.c_previous_secret,
      previous_secret_expires_at: r.c_previous_secret_expires_at,
      enabled: r.c_enabled,
    } as ChannelRow;
    const event =
      r.a_type === null || r.a_type === undefined
        ? testEvent({ id: channel.id, account_id: d.account_id, name: String(r.c_name) }, d.event_id, d.created_at)
        : eventOf({
            id: d.event_id,
            account_id: d.account_id,
            type: r.a_type as AlertType,
            message: String(r.a_message),
            budget_id: r.a_budget_id as string | null,
            budget_name: r.a_budget_name as string | null,
            scope: r.a_scope as string | null,
            end_user: r.a_end_user as string | null,
            window_kind: r.a_window_kind as string | null,
            window_start: r.a_window_start as number | null,
            resets_at: r.a_resets_at as number | null,
            percent: r.a_percent as number | null,
            spent_micros: r.a_spent_micros as number | null,
            amount_micros: r.a_amount_micros as number | null,
            action: r.a_action as string | null,
            request_id: r.a_request_id as string | null,
            created_at: Number(r.a_created_at),
            details: r.a_details as string | null,
          });
    const after = await attempt(env, d, channel, event, now);
    if (!after) continue;
    if (after.status === 'delivered') tally.delivered++;
    else if (after.status === 'failed') tally.failed++;
    else tally.waiting++;
  }
  return tally;
}

function pick<T>(row: Record<string, unknown>, keys: Array<keyof T & string>): T {
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = row[k];
  return out as T;
}
