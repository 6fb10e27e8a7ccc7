/**
 * @module notifications/alerts
 * What an alert is, and the D1 statements that record it and queue its deliveries. Alerts are
 * raised inside the account object's transactions (a budget threshold at settlement, a low
 * balance, an auto-recharge that failed) as outbox rows; the outbox flush runs these statements in
 * the same D1 batch as the rest of the flush. Both are `INSERT OR IGNORE` on a key of the alert
 * (the alert's dedupe key; a delivery's channel + alert), so a replayed flush records nothing
 * twice and queues each alert once per channel. This module imports nothing: the object's outbox
 * uses it.
 */

export type AlertType = 'budget.threshold' | 'balance.low' | 'auto_recharge.failed' | 'anomaly.key_spend' | 'anomaly.daily' | 'budget.forecast';
export const ALERT_TYPES: readonly AlertType[] = [
  'budget.threshold',
  'balance.low',
  'auto_recharge.failed',
  'anomaly.key_spend',
  'anomaly.daily',
  'budget.forecast',
];

/** An alert as the account object raises it (the outbox payload of kind 'alert'). */
export interface RaisedAlert {
  type: AlertType;
  accountId: string;
  /** One alert per key: budget:<id>:<subject>:<window start>:<percent>, balance.low:<seq>, … */
  dedupeKey: string;
  message: string;
  createdAt: number;
  budgetId?: string;
  budgetName?: string;
  scope?: string;
  endUser?: string | null;
  window?: string;
  windowStart?: number;
  resetsAt?: number | null;
  percent?: number;
  spentMicros?: number;
  amountMicros?: number;
  action?: string;
  requestId?: string;
  /** The numbers behind an anomaly or a forecast (kept as JSON, sent as `data.details`). */
  details?: Record<string, unknown>;
}

/** The D1 id of an alert: stable, so a replayed flush inserts nothing twice. */
export const alertId = (dedupeKey: string): string => `alr_${dedupeKey}`;

const ALERT_INSERT = `INSERT OR IGNORE INTO alerts (id, account_id, type, message, budget_id, budget_name, scope, end_user, window_kind,
  window_start, resets_at, percent, spent_micros, amount_micros, action, request_id, dedupe_key, created_at, details)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

// One pending delivery per enabled channel of the account that takes this type of alert.
const DELIVERIES_INSERT = `INSERT OR IGNORE INTO notification_deliveries (id, account_id, channel_id, event_id, event_type, status, attempts,
  next_attempt_at, created_at)
  SELECT 'ntd_' || lower(hex(randomblob(12))), account_id, id, ?1, ?2, 'pending', 0, ?3, ?3 FROM notification_channels
  WHERE account_id = ?4 AND enabled = 1 AND EXISTS (SELECT 1 FROM json_each(notification_channels.events) WHERE value = ?2)`;

/** The statements that record one alert and queue its deliveries. */
export function alertStatements(db: D1Database, a: RaisedAlert): D1PreparedStatement[] {
  const id = alertId(a.dedupeKey);
  return [
    db
      .prepare(ALERT_INSERT)
      .bind(
        id,
        a.accountId,
        a.type,
        a.message,
        a.budgetId ?? null,
        a.budgetName ?? null,
        a.scope ?? null,
        a.endUser ?? null,
        a.window ?? null,
        a.windowStart ?? null,
        a.resetsAt ?? null,
        a.percent ?? null,
        a.spentMicros ?? null,
        a.amountMicros ?? null,
        a.action ?? null,
        a.requestId ?? null,
        a.dedupeKey,
        a.createdAt,
        a.details ? JSON.stringify(a.details) : null,
      ),
    // A replay finds the alert already there and queues nothing new: the unique (channel, event) index.
    db.prepare(DELIVERIES_INSERT).bind(id, a.type, a.createdAt, a.accountId),
  ];
}
