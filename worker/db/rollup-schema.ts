/**
 * @module db/rollup-schema
 * D1 tables of cost analytics (drizzle): the rollups every analytics view reads, kept by triggers
 * on `usage_events` (migrations/0007 and 0008, docs/analytics.md), and the index of usage events
 * archived to R2. drizzle-kit reads this file with db/schema.ts (drizzle.config.ts).
 */
import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/*
 * Rollups. Every table below is maintained by triggers on usage_events (migrations/0007): an
 * insert adds the event, an update (a late settle correcting an expired reservation) adds the
 * difference, and a delete (archival) changes nothing. `INSERT OR IGNORE` of an event D1 already
 * holds fires no trigger, so a retried outbox flush never counts twice, and the rollups change in
 * the same transaction as the events. Slots are 15 minutes of UTC (created_at / 900000): every
 * UTC offset is a whole number of quarter hours, so slots fold exactly into local hours and days.
 * The model is the event's model, or the service's name when the event has none.
 */
const rollupMeasures = {
  requests: integer('requests').notNull(),
  inputTokens: integer('input_tokens').notNull(),
  outputTokens: integer('output_tokens').notNull(),
  costMicros: integer('cost_micros').notNull(),
};

/** Per organisation × 15-minute slot × project × key × model (member follows the key). */
export const usageRollup = sqliteTable(
  'usage_rollup',
  {
    accountId: text('account_id').notNull(),
    slot: integer('slot').notNull(),
    projectId: text('project_id').notNull(),
    keyId: text('key_id').notNull(),
    model: text('model').notNull(),
    memberId: text('member_id'),
    ...rollupMeasures,
    errors: integer('errors').notNull(),
    latencyMs: integer('latency_ms').notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.slot, t.projectId, t.keyId, t.model] })],
);

/** Per organisation × slot × feature tag (`name=value`) × project × key × model; an event counts once under each of its tags. */
export const usageRollupTags = sqliteTable(
  'usage_rollup_tags',
  {
    accountId: text('account_id').notNull(),
    slot: integer('slot').notNull(),
    tag: text('tag').notNull(),
    projectId: text('project_id').notNull(),
    keyId: text('key_id').notNull(),
    model: text('model').notNull(),
    ...rollupMeasures,
  },
  (t) => [primaryKey({ columns: [t.accountId, t.slot, t.tag, t.projectId, t.keyId, t.model] })],
);

/** Per organisation × slot × end user × project × key × model (events with an end user only). */
export const usageRollupEndUsers = sqliteTable(
  'usage_rollup_end_users',
  {
    accountId: text('account_id').notNull(),
    slot: integer('slot').notNull(),
    endUser: text('end_user').notNull(),
    projectId: text('project_id').notNull(),
    keyId: text('key_id').notNull(),
    model: text('model').notNull(),
    ...rollupMeasures,
  },
  (t) => [primaryKey({ columns: [t.accountId, t.slot, t.endUser, t.projectId, t.keyId, t.model] })],
);

/*
 * Daily rollups in the organisation's own time zone (the zone it had when each request was made;
 * migrations/0008): a 30-day view in that zone reads about 30 rows per combination instead of
 * 2,880. Views in another zone, or spanning a zone change, read the 15-minute rollups.
 */
const localDayKey = {
  accountId: text('account_id').notNull(),
  tz: text('tz').notNull(),
  day: integer('day').notNull(),
};

/** Per organisation × local day × project × key × model. */
export const usageRollupLocalDays = sqliteTable(
  'usage_rollup_local_days',
  {
    ...localDayKey,
    projectId: text('project_id').notNull(),
    keyId: text('key_id').notNull(),
    model: text('model').notNull(),
    memberId: text('member_id'),
    ...rollupMeasures,
    errors: integer('errors').notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.day, t.tz, t.projectId, t.keyId, t.model] })],
);

/** Per organisation × local day × feature tag × project × key × model. */
export const usageRollupTagsLocalDays = sqliteTable(
  'usage_rollup_tags_local_days',
  {
    ...localDayKey,
    tag: text('tag').notNull(),
    projectId: text('project_id').notNull(),
    keyId: text('key_id').notNull(),
    model: text('model').notNull(),
    ...rollupMeasures,
  },
  (t) => [primaryKey({ columns: [t.accountId, t.day, t.tz, t.tag, t.projectId, t.keyId, t.model] })],
);

/** Per organisation × local day × end user × project × key × model. */
export const usageRollupEndUsersLocalDays = sqliteTable(
  'usage_rollup_end_users_local_days',
  {
    ...localDayKey,
    endUser: text('end_user').notNull(),
    projectId: text('project_id').notNull(),
    keyId: text('key_id').notNull(),
    model: text('model').notNull(),
    ...rollupMeasures,
  },
  (t) => [primaryKey({ columns: [t.accountId, t.day, t.tz, t.endUser, t.projectId, t.keyId, t.model] })],
);

/** Per organisation × slot: totals, today, this month, top accounts. */
export const usageRollupAccounts = sqliteTable(
  'usage_rollup_accounts',
  {
    accountId: text('account_id').notNull(),
    slot: integer('slot').notNull(),
    ...rollupMeasures,
    errors: integer('errors').notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.slot] }), index('usage_rollup_accounts_slot').on(t.slot)],
);

/** Per organisation × UTC day: lifetime totals (reconciliation reads these after archival removed the events). */
export const usageRollupDays = sqliteTable(
  'usage_rollup_days',
  {
    accountId: text('account_id').notNull(),
    day: integer('day').notNull(),
    ...rollupMeasures,
    errors: integer('errors').notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.day] })],
);

/** Platform-wide per slot × model. */
export const usageRollupModels = sqliteTable(
  'usage_rollup_models',
  {
    slot: integer('slot').notNull(),
    model: text('model').notNull(),
    ...rollupMeasures,
    errors: integer('errors').notNull(),
    latencyMs: integer('latency_ms').notNull(),
  },
  (t) => [primaryKey({ columns: [t.slot, t.model] })],
);

/** Platform latency histogram per UTC hour × model × bucket (`le_ms`: the bucket's upper edge, 1-1.25-1.5-2-2.5-3-4-5-6-8 steps). */
export const usageLatency = sqliteTable(
  'usage_latency',
  {
    hour: integer('hour').notNull(),
    model: text('model').notNull(),
    leMs: integer('le_ms').notNull(),
    n: integer('n').notNull(),
  },
  (t) => [primaryKey({ columns: [t.hour, t.model, t.leMs] })],
);

/** Raw usage events moved to R2 (compressed NDJSON): one row per object, written in the same batch that deletes its events. */
export const usageArchives = sqliteTable(
  'usage_archives',
  {
    objectKey: text('object_key').primaryKey(),
    accountId: text('account_id').notNull(),
    /** The UTC day (YYYY-MM-DD) its events were created on. */
    day: text('day').notNull(),
    events: integer('events').notNull(),
    bytes: integer('bytes').notNull(),
    costMicros: integer('cost_micros').notNull(),
    firstAt: integer('first_at').notNull(),
    lastAt: integer('last_at').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('usage_archives_account').on(t.accountId, t.day)],
);

/**
 * How far the 15-minute rollups were pruned (analytics/prune-rollups.ts): every slot before
 * `before_slot` is gone for every organisation. One row, written in the batch of each step.
 */
export const rollupPruned = sqliteTable('rollup_pruned', {
  id: integer('id').primaryKey(),
  beforeSlot: integer('before_slot').notNull(),
});
