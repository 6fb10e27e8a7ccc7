/**
 * @module account/spend-watch
 * Real-time spend anomalies per key (issue 13): every settled charge adds to the key's current
 * 5-minute window; a window that passes the key's own baseline — `multiplier` × the p95 of its
 * 5-minute windows over the past 7 days (windows without spend count as zero), and never less than
 * the floor, so a new key is not flagged for its first requests — is an anomaly: recorded and
 * alerted once per window and, where the organisation asked for it, the key is paused (admission
 * refuses it with a 403 until a member resumes it).
 *
 * All of it runs inside the settling transaction, so the pause takes effect on the very next
 * request. Costs per settle: a map lookup and an addition; per key and window: one baseline read
 * (at most 2,016 rows) and a prune; per group commit: one upsert per key charged.
 */
import { usdText } from '../../lib/money';
import type { RaisedAlert } from '../../notifications/alerts';
import { type AnomalySettings, readAnomalySettings, writeAnomalySettings } from './anomaly-settings';
import type { KeyRecord } from './types';

export const SPEND_WINDOW_MS = 5 * 60_000;
/** How far back a key's baseline looks. */
export const BASELINE_SPAN_MS = 7 * 24 * 3_600_000;

interface Cell {
  windowStart: number;
  spent: number;
  requests: number;
  flagged: boolean;
}

/** A key's baseline for one window: the p95 of the windows before it (and how many there were). */
export interface Baseline {
  windowStart: number;
  p95Micros: number;
  windows: number;
}

/** An anomaly as the outbox carries it to D1's `anomalies` table. */
export interface DetectedAnomaly {
  id: string;
  accountId: string;
  kind: 'key_spend';
  keyId: string;
  windowStart: number;
  windowEnd: number;
  observedMicros: number;
  baselineMicros: number;
  thresholdMicros: number;
  requests: number;
  details: Record<string, unknown>;
  action: 'alerted' | 'paused';
  dedupeKey: string;
  createdAt: number;
}

/** The id of a key's anomaly in one window (the 403 of a paused key names it). */
export const keySpendAnomalyId = (keyId: string, windowStart: number): string => `anm_${keyId}_${windowStart}`;

/**
 * The p95 of `values` among `windows` windows, the ones not listed being zero (nearest rank).
 * Integer in, integer out.
 */
export function p95Of(values: number[], windows: number): number {
  const n = Math.max(windows, values.length);
  if (n === 0) return 0;
  const rank = Math.ceil(0.95 * n); // 1-based
  const zeros = n - values.length;
  if (rank <= zeros) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[rank - zeros - 1];
}

/** What a window must pass to be anomalous: integer µUSD, rounded up. */
export function thresholdMicros(settings: AnomalySettings['keySpend'], p95Micros: number): number {
  return Math.max(settings.floorMicros, Math.ceil(p95Micros * settings.multiplier));
}

export class KeySpendWatch {
  private settingsCache: AnomalySettings | undefined;
  /** Each key's current window. */
  private readonly cells = new Map<string, Cell>();
  private readonly baselines = new Map<string, Baseline>();
  private readonly dirty = new Set<string>();

  settings(sql: SqlStorage): AnomalySettings {
    this.settingsCache ??= readAnomalySettings(sql);
    return this.settingsCache;
  }

  setSettings(sql: SqlStorage, next: AnomalySettings): AnomalySettings {
    writeAnomalySettings(sql, next);
    this.settingsCache = undefined;
    return this.settings(sql);
  }

  /** The key's baseline for the window starting at `windowStart` (cached per window). */
  baseline(sql: SqlStorage, key: Pick<KeyRecord, 'id' | 'createdAt'>, windowStart: number): Baseline {
    const cached = this.baselines.get(key.id);
    if (cached?.windowStart === windowStart) return cached;
    const since = Math.max(windowStart - BASELINE_SPAN_MS, key.createdAt - (key.createdAt % SPEND_WINDOW_MS));
    const windows = Math.max(0, Math.floor((windowStart - since) / SPEND_WINDOW_MS));
    const values = sql
      .exec<{ spent_micros: number }>(
        'SELECT spent_micros FROM key_spend_windows WHERE key_id = ? AND window_start >= ? AND window_start < ?',
        key.id,
        since,
        windowStart,
      )
      .toArray()
      .map((r) => r.spent_micros);
    const baseline = { windowStart, p95Micros: p95Of(values, windows), windows: Math.max(windows, values.length) };
    this.baselines.set(key.id, baseline);
    return baseline;
  }

  private cell(sql: SqlStorage, keyId: string, windowStart: number): Cell {
    const current = this.cells.get(keyId);
    if (current?.windowStart === windowStart) return current;
    const row = sql
      .exec<{ spent_micros: number; requests: number; flagged: number }>(
        'SELECT spent_micros, requests, flagged FROM key_spend_windows WHERE key_id = ? AND window_start = ?',
        keyId,
        windowStart,
      )
      .toArray()[0];
    if (!row) sql.exec('DELETE FROM key_spend_windows WHERE key_id = ? AND window_start < ?', keyId, windowStart - BASELINE_SPAN_MS);
    const cell = { windowStart, spent: row?.spent_micros ?? 0, requests: row?.requests ?? 0, flagged: row?.flagged === 1 };
    this.cells.set(keyId, cell);
    return cell;
  }

  /**
   * Inside the settling transaction: counts one charge in its key's window and, when the window
   * just passed the key's threshold, queues the anomaly and its alert (outbox). Returns the undo,
   * and the pause reason when the key is to be paused.
   */
  record(sql: SqlStorage, accountId: string, key: KeyRecord, costMicros: number, now: number): { undo: () => void; pause: string | null } {
    const windowStart = now - (now % SPEND_WINDOW_MS);
    const cell = this.cell(sql, key.id, windowStart);
    const before = { ...cell };
    const wasDirty = this.dirty.has(key.id);
    cell.spent += costMicros;
    cell.requests += 1;
    this.dirty.add(key.id);
    const undo = () => {
      Object.assign(cell, before);
      if (!wasDirty) this.dirty.delete(key.id);
    };
    const settings = this.settings(sql).keySpend;
    if (!settings.enabled || cell.flagged || cell.spent <= settings.floorMicros) return { undo, pause: null };
    const baseline = this.baseline(sql, key, windowStart);
    const threshold = thresholdMicros(settings, baseline.p95Micros);
    if (cell.spent <= threshold) return { undo, pause: null };

    cell.flagged = true;
    const pause = settings.pauseKeys && key.pausedAt === null;
    const id = keySpendAnomalyId(key.id, windowStart);
    const observed = `Key '${key.name}' spent ${usdText(cell.spent)} in 5 minutes (${cell.requests} requests)`;
    const against =
      baseline.p95Micros > 0
        ? `over ${settings.multiplier}× its usual 5-minute peak of ${usdText(baseline.p95Micros)} (the p95 of ${baseline.windows} windows in the past 7 days)`
        : `with no spend in its past windows to speak of, over the ${usdText(settings.floorMicros)} floor`;
    const anomaly: DetectedAnomaly = {
      id,
      accountId,
      kind: 'key_spend',
      keyId: key.id,
      windowStart,
      windowEnd: windowStart + SPEND_WINDOW_MS,
      observedMicros: cell.spent,
      baselineMicros: baseline.p95Micros,
      thresholdMicros: threshold,
      requests: cell.requests,
      details: { keyName: key.name, multiplier: settings.multiplier, floorMicros: settings.floorMicros, baselineWindows: baseline.windows },
      action: pause ? 'paused' : 'alerted',
      dedupeKey: `key_spend:${key.id}:${windowStart}`,
      createdAt: now,
    };
    const alert: RaisedAlert = {
      type: 'anomaly.key_spend',
      accountId,
      dedupeKey: anomaly.dedupeKey,
      message: `${observed}, ${against}.${pause ? ' The key is paused until a member resumes it (dashboard: Anomalies).' : ''}`,
      spentMicros: cell.spent,
      amountMicros: threshold,
      createdAt: now,
      details: {
        anomalyId: id,
        keyId: key.id,
        windowStart,
        observedMicros: cell.spent,
        baselineMicros: baseline.p95Micros,
        thresholdMicros: threshold,
        ...anomaly.details,
        paused: pause,
      },
    };
    sql.exec("INSERT INTO outbox (kind, payload) VALUES ('anomaly', ?)", JSON.stringify(anomaly));
    sql.exec("INSERT INTO outbox (kind, payload) VALUES ('alert', ?)", JSON.stringify(alert));
    const reason =
      `This API key is paused: it spent ${usdText(cell.spent)} in 5 minutes, over its usual level (limit ${usdText(threshold)}). ` +
      `A member of the organisation can resume it in the dashboard under Anomalies, or with POST /api/account/anomalies/${id}/resolve.`;
    return { undo, pause: pause ? reason : null };
  }

  /** Writes each key's window changed since the last call. Must run inside the caller's transaction. */
  persist(sql: SqlStorage): void {
    for (const keyId of this.dirty) {
      const c = this.cells.get(keyId);
      if (!c) continue;
      sql.exec(
        `INSERT INTO key_spend_windows (key_id, window_start, spent_micros, requests, flagged) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (key_id, window_start) DO UPDATE SET spent_micros = excluded.spent_micros, requests = excluded.requests, flagged = excluded.flagged`,
        keyId,
        c.windowStart,
        c.spent,
        c.requests,
        c.flagged ? 1 : 0,
      );
    }
    this.dirty.clear();
  }

  /** After a rolled-back transaction: memory is read again from storage. */
  forget(): void {
    this.cells.clear();
    this.baselines.clear();
    this.dirty.clear();
  }
}
