/**
 * @module api/anomaly-types
 * The shapes of /api/account/anomalies and /api/account/anomaly-settings (worker/routes/api/anomalies.ts).
 * Money is integer µUSD.
 */

/** key_spend: a key's 5-minute spend; daily_jump: cost per request up day over day; daily_outlier: a day beyond σ of the trailing 14. */
export type AnomalyKind = 'key_spend' | 'daily_jump' | 'daily_outlier';

/** One detected anomaly with the numbers behind it. */
export interface Anomaly {
  id: string;
  kind: AnomalyKind;
  status: 'open' | 'resolved';
  /** paused: the key is refused (403) until the anomaly is resolved. */
  action: 'alerted' | 'paused';
  keyId: string | null;
  keyName: string | null;
  /** The local day judged, YYYY-MM-DD (daily anomalies). */
  day: string | null;
  windowStart: number;
  windowEnd: number;
  observedMicros: number;
  baselineMicros: number;
  thresholdMicros: number;
  requests: number | null;
  baselineRequests: number | null;
  details: Record<string, unknown>;
  createdAt: number;
  resolvedAt: number | null;
  resolvedBy: string | null;
}

/** The organisation's anomaly thresholds. */
export interface AnomalySettings {
  keySpend: { enabled: boolean; multiplier: number; floorMicros: number; pauseKeys: boolean };
  daily: { enabled: boolean; jumpPercent: number; sigma: number; minDayMicros: number };
}
