/**
 * @module db/insight-schema
 * D1 tables of cost insight (issue 13): anomalies the gateway detected, and monthly statements.
 * Kept apart from schema.ts so each file stays readable; drizzle.config lists both.
 */
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/**
 * One detected anomaly, with the numbers behind it. Real-time ones (`key_spend`) are raised by the
 * account object when a key's spend in its current 5-minute window passes its own baseline; daily
 * ones (`daily_jump`: cost per request up, `daily_outlier`: a day beyond 2σ of the trailing 14)
 * by the hourly job over the daily rollups. Each is recorded once (dedupe key).
 */
export const anomalies = sqliteTable(
  'anomalies',
  {
    id: text('id').primaryKey(),
    accountId: text('account_id').notNull(),
    /** key_spend | daily_jump | daily_outlier */
    kind: text('kind').notNull(),
    /** The key, for key_spend. */
    keyId: text('key_id'),
    /** The window observed: a key's 5-minute window, or a local day [start, end) in ms. */
    windowStart: integer('window_start').notNull(),
    windowEnd: integer('window_end').notNull(),
    /** The organisation's local day (YYYY-MM-DD) for daily anomalies. */
    day: text('day'),
    observedMicros: integer('observed_micros').notNull(),
    /** The baseline it was measured against (a key's p95 window, a day's mean or yesterday). */
    baselineMicros: integer('baseline_micros').notNull(),
    /** What the observation had to pass to be an anomaly. */
    thresholdMicros: integer('threshold_micros').notNull(),
    requests: integer('requests'),
    baselineRequests: integer('baseline_requests'),
    /** JSON: every other number used (σ, the multiplier, the floor, windows in the baseline, …). */
    details: text('details').notNull().default('{}'),
    /** alerted | paused (the key was paused until a member resumes it). */
    action: text('action').notNull(),
    /** open | resolved */
    status: text('status').notNull().default('open'),
    resolvedAt: integer('resolved_at'),
    /** The user who resumed the key or dismissed the anomaly. */
    resolvedBy: text('resolved_by'),
    dedupeKey: text('dedupe_key').notNull().unique(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('anomalies_account').on(t.accountId, t.createdAt)],
);

/**
 * An organisation's monthly statement: the month in its own time zone, the totals that reconcile
 * to the journal, and the PDF and CSV stored in R2 (ARCHIVE binding, under statements/).
 */
export const statements = sqliteTable(
  'statements',
  {
    id: text('id').primaryKey(),
    accountId: text('account_id').notNull(),
    /** The month, YYYY-MM, in `timeZone`. */
    period: text('period').notNull(),
    timeZone: text('time_zone').notNull(),
    /** [periodStart, periodEnd) in ms: local midnights of the 1st of the month and the next. */
    periodStart: integer('period_start').notNull(),
    periodEnd: integer('period_end').notNull(),
    openingMicros: integer('opening_micros').notNull(),
    topUpsMicros: integer('top_ups_micros').notNull(),
    usageMicros: integer('usage_micros').notNull(),
    adjustmentsMicros: integer('adjustments_micros').notNull(),
    closingMicros: integer('closing_micros').notNull(),
    pdfKey: text('pdf_key').notNull(),
    csvKey: text('csv_key').notNull(),
    pdfBytes: integer('pdf_bytes').notNull(),
    csvBytes: integer('csv_bytes').notNull(),
    createdAt: integer('created_at').notNull(),
    /** When the billing members were mailed (null: not yet). */
    emailedAt: integer('emailed_at'),
  },
  (t) => [uniqueIndex('statements_account_period').on(t.accountId, t.period)],
);
