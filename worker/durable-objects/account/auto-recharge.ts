/**
 * @module account/auto-recharge
 * Auto-recharge state in the account object (opt-in). `triggerAutoRecharge` runs inside the
 * settlement transaction: when the available balance falls under the threshold it marks one
 * recharge in flight (never two), within the monthly cap; the object's alarm then makes the
 * off-session payment (payments/auto-recharge-runner.ts).
 */
import type { RaisedAlert } from '../../notifications/alerts';
import { newId } from '../../lib/ids';
import { periodStart } from './period';

export interface AutoRechargeSettings {
  enabled: boolean;
  thresholdMicros: number;
  amountCents: number;
  monthlyCapCents: number;
}

export interface AutoRechargeState extends AutoRechargeSettings {
  hasSavedCard: boolean;
  customerId: string | null;
  paymentMethod: string | null;
  monthChargedCents: number;
  inflightTopupId: string | null;
  /** The amount fixed when the recharge was triggered (a later settings change does not alter it). */
  inflightAmountCents: number | null;
  inflightSince: number | null;
  /** Why auto-recharge was switched off, for the account to see. */
  notice: string | null;
}

interface Row extends Record<string, SqlStorageValue> {
  enabled: number;
  threshold_micros: number;
  amount_cents: number;
  monthly_cap_cents: number;
  month_start: number | null;
  month_charged_cents: number;
  customer_id: string | null;
  payment_method: string | null;
  inflight_topup_id: string | null;
  inflight_amount_cents: number | null;
  inflight_since: number | null;
  notice: string | null;
}

const DEFAULT_ROW: Row = {
  enabled: 0,
  threshold_micros: 0,
  amount_cents: 0,
  monthly_cap_cents: 0,
  month_start: null,
  month_charged_cents: 0,
  customer_id: null,
  payment_method: null,
  inflight_topup_id: null,
  inflight_amount_cents: null,
  inflight_since: null,
  notice: null,
};

/** The settings row; reading never writes (settlement reads it on every charged request). */
function row(sql: SqlStorage): Row {
  return sql.exec<Row>('SELECT * FROM auto_recharge').toArray()[0] ?? DEFAULT_ROW;
}

/** Creates the row before a write. */
function ensureRow(sql: SqlStorage): void {
  sql.exec('INSERT OR IGNORE INTO auto_recharge (singleton) VALUES (1)');
}

/** Current settings and state; the charged total resets each UTC month. */
export function readAutoRecharge(sql: SqlStorage, now = Date.now()): AutoRechargeState {
  const r = row(sql);
  const sameMonth = r.month_start === periodStart('month', now);
  return {
    enabled: r.enabled === 1,
    thresholdMicros: r.threshold_micros,
    amountCents: r.amount_cents,
    monthlyCapCents: r.monthly_cap_cents,
    hasSavedCard: r.payment_method !== null,
    customerId: r.customer_id,
    paymentMethod: r.payment_method,
    monthChargedCents: sameMonth ? r.month_charged_cents : 0,
    inflightTopupId: r.inflight_topup_id,
    inflightAmountCents: r.inflight_amount_cents,
    inflightSince: r.inflight_since,
    notice: r.notice,
  };
}

/** Saves settings; enabling clears an earlier notice, disabling drops a recharge not yet made. */
export function writeAutoRecharge(sql: SqlStorage, s: AutoRechargeSettings): AutoRechargeState {
  ensureRow(sql);
  if (!s.enabled) sql.exec('UPDATE auto_recharge SET inflight_topup_id = NULL, inflight_since = NULL, inflight_amount_cents = NULL');
  sql.exec(
    'UPDATE auto_recharge SET enabled = ?, threshold_micros = ?, amount_cents = ?, monthly_cap_cents = ?, notice = CASE WHEN ? THEN NULL ELSE notice END',
    s.enabled ? 1 : 0,
    s.thresholdMicros,
    s.amountCents,
    s.monthlyCapCents,
    s.enabled ? 1 : 0,
  );
  return readAutoRecharge(sql);
}

/** Remembers the card saved at checkout. */
export function savePaymentMethod(sql: SqlStorage, customerId: string, paymentMethod: string): AutoRechargeState {
  ensureRow(sql);
  sql.exec('UPDATE auto_recharge SET customer_id = ?, payment_method = ?', customerId, paymentMethod);
  return readAutoRecharge(sql);
}

/** Marks a recharge in flight when one is due (`availableMicros`, balance less what is held, under the threshold). Returns true when it did. */
export function triggerAutoRecharge(sql: SqlStorage, now: number, availableMicros: number): boolean {
  const state = readAutoRecharge(sql, now);
  if (!state.enabled || !state.paymentMethod || state.inflightTopupId || state.amountCents <= 0) return false;
  if (availableMicros >= state.thresholdMicros) return false;
  if (state.monthChargedCents + state.amountCents > state.monthlyCapCents) return false;
  sql.exec('UPDATE auto_recharge SET inflight_topup_id = ?, inflight_since = ?, inflight_amount_cents = ?', newId('top'), now, state.amountCents);
  return true;
}

/** Records a successful recharge: counts it against the month and clears the in-flight mark. */
export function completeAutoRecharge(sql: SqlStorage, amountCents: number, now: number): void {
  const state = readAutoRecharge(sql, now);
  sql.exec(
    'UPDATE auto_recharge SET month_start = ?, month_charged_cents = ?, inflight_topup_id = NULL, inflight_since = NULL, inflight_amount_cents = NULL',
    periodStart('month', now),
    state.monthChargedCents + amountCents,
  );
}

/** Switches auto-recharge off with a reason the account will see. */
export function disableAutoRecharge(sql: SqlStorage, notice: string, now = Date.now()): void {
  ensureRow(sql);
  const inflight = sql.exec<{ inflight_topup_id: string | null }>('SELECT inflight_topup_id FROM auto_recharge').toArray()[0]?.inflight_topup_id;
  sql.exec('UPDATE auto_recharge SET enabled = 0, inflight_topup_id = NULL, inflight_since = NULL, inflight_amount_cents = NULL, notice = ?', notice);
  // The organisation is told, through its notification channels, in the same transaction.
  const accountId = sql.exec<{ account_id: string }>('SELECT account_id FROM account').toArray()[0]?.account_id;
  if (!accountId) return;
  const alert: RaisedAlert = {
    type: 'auto_recharge.failed',
    accountId,
    dedupeKey: `auto_recharge.failed:${inflight ?? 'settings'}:${now}`,
    message: notice,
    createdAt: now,
  };
  sql.exec("INSERT INTO outbox (kind, payload) VALUES ('alert', ?)", JSON.stringify(alert));
}
