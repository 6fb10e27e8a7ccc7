/**
 * @module account/anomaly-settings
 * The organisation's anomaly thresholds, kept in its account object (the real-time detector runs in
 * the settling transaction and must not wait on D1; the daily job reads them over RPC). Stored as
 * one JSON row; anything unset falls back to the defaults below, so adding a setting needs no
 * migration.
 */

/** Every threshold the detectors use (docs/analytics.md, "Anomalies"). */
export interface AnomalySettings {
  /** Real time, per key: spend in the key's current 5-minute window against its own baseline. */
  keySpend: {
    enabled: boolean;
    /** A window is anomalous above multiplier × the key's p95 5-minute spend over the past 7 days… */
    multiplier: number;
    /** …and above this much spend in the window, so a new or quiet key is not flagged for its first requests. */
    floorMicros: number;
    /** Pause the key (403 until a member resumes it) as well as alerting. */
    pauseKeys: boolean;
  };
  /** Daily, per organisation: a cost-per-request jump day over day, and a day beyond σ of the trailing 14. */
  daily: {
    enabled: boolean;
    jumpPercent: number;
    sigma: number;
    /** Days that cost less than this are never anomalous. */
    minDayMicros: number;
  };
}

export const DEFAULT_ANOMALY_SETTINGS: AnomalySettings = {
  keySpend: { enabled: true, multiplier: 4, floorMicros: 2_000_000, pauseKeys: false },
  daily: { enabled: true, jumpPercent: 50, sigma: 2, minDayMicros: 1_000_000 },
};

/** Bounds each numeric setting must keep (the API refuses others with a 400 naming the field). */
export const ANOMALY_BOUNDS = {
  'keySpend.multiplier': [1.5, 100],
  'keySpend.floorMicros': [0, 1_000_000_000_000],
  'daily.jumpPercent': [10, 1000],
  'daily.sigma': [1, 10],
  'daily.minDayMicros': [0, 1_000_000_000_000],
} as const;

/** The field of the first setting out of bounds, or null when all hold. */
export function anomalySettingsProblem(s: AnomalySettings): string | null {
  const values: Record<keyof typeof ANOMALY_BOUNDS, number> = {
    'keySpend.multiplier': s.keySpend.multiplier,
    'keySpend.floorMicros': s.keySpend.floorMicros,
    'daily.jumpPercent': s.daily.jumpPercent,
    'daily.sigma': s.daily.sigma,
    'daily.minDayMicros': s.daily.minDayMicros,
  };
  for (const [field, [min, max]] of Object.entries(ANOMALY_BOUNDS) as Array<[keyof typeof ANOMALY_BOUNDS, readonly [number, number]]>) {
    const v = values[field];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) return field;
    if (field.endsWith('Micros') && !Number.isSafeInteger(v)) return field;
  }
  return null;
}

/** The stored settings over the defaults. */
export function readAnomalySettings(sql: SqlStorage): AnomalySettings {
  const row = sql.exec<{ settings: string }>('SELECT settings FROM anomaly_settings').toArray()[0];
  if (!row) return structuredClone(DEFAULT_ANOMALY_SETTINGS);
  const stored = JSON.parse(row.settings) as Partial<AnomalySettings>;
  return {
    keySpend: { ...DEFAULT_ANOMALY_SETTINGS.keySpend, ...stored.keySpend },
    daily: { ...DEFAULT_ANOMALY_SETTINGS.daily, ...stored.daily },
  };
}

/** Stores the settings (already checked with anomalySettingsProblem). */
export function writeAnomalySettings(sql: SqlStorage, s: AnomalySettings): void {
  sql.exec(
    'INSERT INTO anomaly_settings (singleton, settings) VALUES (1, ?) ON CONFLICT (singleton) DO UPDATE SET settings = excluded.settings',
    JSON.stringify(s),
  );
}
