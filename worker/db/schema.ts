/**
 * @module db/schema
 * D1 tables (drizzle). D1 holds what is shared across accounts or read in bulk: the service
 * catalog and its price history, the key-hash index (fallback for KV), and the mirrors of
 * every account object's usage events and journal, written in batches by the objects' alarms.
 * Balances are never decided here. Migrations in /migrations are generated from this file.
 */
import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

export const accounts = sqliteTable('accounts', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  status: text('status', { enum: ['active', 'suspended'] })
    .notNull()
    .default('active'),
  createdAt: integer('created_at').notNull(),
});

export const apiKeys = sqliteTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    accountId: text('account_id').notNull(),
    kind: text('kind', { enum: ['inference', 'management'] }).notNull(),
    /** SHA-256 (hex) of the secret; the secret itself is never stored. */
    keyHash: text('key_hash').notNull(),
    prefix: text('prefix').notNull(),
    last4: text('last4').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [uniqueIndex('api_keys_hash').on(t.keyHash), index('api_keys_account').on(t.accountId)],
);

export const services = sqliteTable('services', {
  id: text('id').primaryKey(),
  /** The public model name clients send. */
  name: text('name').notNull().unique(),
  /** JSON array of 'chat' | 'completions' | 'embeddings'. */
  endpoints: text('endpoints').notNull(),
  originBaseUrl: text('origin_base_url').notNull(),
  /** Which origin adapter speaks to it (see worker/origins); 'openai' for any OpenAI-compatible server. */
  originFlavour: text('origin_flavour').notNull().default('openai'),
  /** Model name sent to the origin (defaults to `name`). */
  originModel: text('origin_model'),
  /** Name of the secret holding the origin's bearer token; the token never enters D1. */
  originCredentialSecret: text('origin_credential_secret'),
  maxOutputTokens: integer('max_output_tokens').notNull(),
  defaultRequestsPerMinute: integer('default_requests_per_minute'),
  defaultTokensPerMinute: integer('default_tokens_per_minute'),
  defaultMaxConcurrent: integer('default_max_concurrent'),
  /**
   * JSON object: request fields beyond OpenAI's that this service's origin accepts, each with its
   * token meaning ('sampling' | 'max_output_tokens' | 'min_output_tokens'); see origins/fields.ts.
   */
  extraFields: text('extra_fields'),
  /** Send the request's feature tags to the origin (as an `x-gateway-tags` header); off by default. */
  forwardTags: integer('forward_tags', { mode: 'boolean' }).notNull().default(false),
  priceVersion: integer('price_version').notNull(),
  status: text('status', { enum: ['active', 'disabled'] })
    .notNull()
    .default('active'),
  createdAt: integer('created_at').notNull(),
  updatedAt: integer('updated_at').notNull(),
});

/** Every price a service ever had; rows are never updated, a change adds a version. */
export const servicePrices = sqliteTable(
  'service_prices',
  {
    serviceId: text('service_id').notNull(),
    version: integer('version').notNull(),
    inputMicrosPer1M: integer('input_micros_per_1m').notNull(),
    outputMicrosPer1M: integer('output_micros_per_1m').notNull(),
    requestMicros: integer('request_micros').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.serviceId, t.version] })],
);

/** One row per settled request; the id is the request id, so re-flushing inserts nothing. */
export const usageEvents = sqliteTable(
  'usage_events',
  {
    id: text('id').primaryKey(),
    accountId: text('account_id').notNull(),
    keyId: text('key_id').notNull(),
    /** The key's project (null for events written before projects). */
    projectId: text('project_id'),
    serviceId: text('service_id').notNull(),
    model: text('model').notNull(),
    endpoint: text('endpoint').notNull(),
    inputTokens: integer('input_tokens').notNull(),
    outputTokens: integer('output_tokens').notNull(),
    costMicros: integer('cost_micros').notNull(),
    priceVersion: integer('price_version').notNull(),
    latencyMs: integer('latency_ms').notNull(),
    ttftMs: integer('ttft_ms'),
    status: text('status').notNull(),
    estimated: integer('estimated', { mode: 'boolean' }).notNull(),
    createdAt: integer('created_at').notNull(),
    /** The member who created the key (null: a key made with a management key or the admin token, or before members). */
    memberId: text('member_id'),
    /** The request's end user (OpenAI `user` or `x-gateway-user`). */
    endUser: text('end_user'),
    /** Feature tags as a JSON object of name → value (`x-gateway-tags`, OpenAI `metadata`), or null. */
    tags: text('tags'),
    /** The organisation's time zone at the request, and the local day (days since 1970-01-01) it fell on: the daily rollups' key. */
    tz: text('tz'),
    localDay: integer('local_day'),
  },
  (t) => [index('usage_account_time').on(t.accountId, t.createdAt), index('usage_key_time').on(t.keyId, t.createdAt), index('usage_time').on(t.createdAt)],
);

/**
 * Settles the worker could not deliver to the account object within the request (the object was
 * unreachable): kept here and replayed by the per-minute cron until the object accepts them.
 * Settles are idempotent by request id, so a replay that races a late success charges nothing twice.
 */
export const pendingSettlements = sqliteTable(
  'pending_settlements',
  {
    requestId: text('request_id').primaryKey(),
    accountId: text('account_id').notNull(),
    /** JSON of the SettleRequest (token counts and status only; never prompt or output text). */
    payload: text('payload').notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at').notNull(),
    lastError: text('last_error'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('pending_settlements_due').on(t.nextAttemptAt)],
);

/** Mirror of each account object's journal; (account, seq) and (account, idempotency key) are unique. */
export const journalEntries = sqliteTable(
  'journal_entries',
  {
    accountId: text('account_id').notNull(),
    seq: integer('seq').notNull(),
    idempotencyKey: text('idempotency_key').notNull(),
    kind: text('kind').notNull(),
    amountMicros: integer('amount_micros').notNull(),
    balanceAfterMicros: integer('balance_after_micros').notNull(),
    ref: text('ref'),
    reason: text('reason'),
    createdAt: integer('created_at').notNull(),
    mirroredAt: integer('mirrored_at').notNull().default(sql`(unixepoch() * 1000)`),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.seq] }), uniqueIndex('journal_idem').on(t.accountId, t.idempotencyKey)],
);

/**
 * Double-entry mirror of every account journal: one row per journal entry, moving money
 * between the account's ledger account (`acct:<id>`) and a system account. Append-only;
 * the idempotency key is the journal's, so re-flushing inserts nothing.
 */
export const ledgerTransfers = sqliteTable(
  'ledger_transfers',
  {
    idempotencyKey: text('idempotency_key').primaryKey(),
    debitAccount: text('debit_account').notNull(),
    creditAccount: text('credit_account').notNull(),
    amountMicros: integer('amount_micros').notNull(),
    code: text('code').notNull(),
    accountId: text('account_id').notNull(),
    journalSeq: integer('journal_seq').notNull(),
    ref: text('ref'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('transfers_account').on(t.accountId, t.journalSeq), index('transfers_debit').on(t.debitAccount), index('transfers_credit').on(t.creditAccount)],
);

/** A request to add credit, and what became of it. Credits themselves live in the journal. */
export const topups = sqliteTable(
  'topups',
  {
    id: text('id').primaryKey(),
    accountId: text('account_id').notNull(),
    method: text('method', { enum: ['card', 'bitcoin'] }).notNull(),
    kind: text('kind', { enum: ['manual', 'auto_recharge'] })
      .notNull()
      .default('manual'),
    amountCents: integer('amount_cents').notNull(),
    creditMicros: integer('credit_micros').notNull(),
    status: text('status').notNull(),
    /** Checkout Session id or BTCPay invoice id. */
    providerRef: text('provider_ref'),
    /** PaymentIntent id (Stripe). */
    paymentRef: text('payment_ref'),
    checkoutUrl: text('checkout_url'),
    creditedMicros: integer('credited_micros').notNull().default(0),
    refundedMicros: integer('refunded_micros').notNull().default(0),
    disputedMicros: integer('disputed_micros').notNull().default(0),
    flags: text('flags'),
    error: text('error'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    paidAt: integer('paid_at'),
  },
  (t) => [
    index('topups_account').on(t.accountId, t.createdAt),
    uniqueIndex('topups_provider_ref').on(t.method, t.providerRef),
    index('topups_payment_ref').on(t.paymentRef),
  ],
);

/** Inbox of provider deliveries: every verified delivery is recorded before it is acted on. */
export const webhookEvents = sqliteTable(
  'webhook_events',
  {
    provider: text('provider').notNull(),
    eventId: text('event_id').notNull(),
    type: text('type').notNull(),
    objectId: text('object_id'),
    payload: text('payload').notNull(),
    status: text('status').notNull().default('received'),
    error: text('error'),
    receivedAt: integer('received_at').notNull(),
    processedAt: integer('processed_at'),
  },
  (t) => [primaryKey({ columns: [t.provider, t.eventId] })],
);

export const billingProfiles = sqliteTable('billing_profiles', {
  accountId: text('account_id').primaryKey(),
  stripeCustomerId: text('stripe_customer_id').unique(),
  updatedAt: integer('updated_at').notNull(),
});

export const promotionCodes = sqliteTable('promotion_codes', {
  code: text('code').primaryKey(),
  amountMicros: integer('amount_micros').notNull(),
  maxUses: integer('max_uses').notNull(),
  uses: integer('uses').notNull().default(0),
  expiresAt: integer('expires_at'),
  createdAt: integer('created_at').notNull(),
});

export const promotionRedemptions = sqliteTable(
  'promotion_redemptions',
  {
    code: text('code').notNull(),
    accountId: text('account_id').notNull(),
    redeemedAt: integer('redeemed_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.code, t.accountId] })],
);

/** Things the operator must look at: top-ups needing review, reconciliation mismatches. */
export const reviewItems = sqliteTable(
  'review_items',
  {
    id: text('id').primaryKey(),
    kind: text('kind').notNull(),
    accountId: text('account_id'),
    topupId: text('topup_id'),
    /** Deduplicates the same finding raised twice. */
    dedupeKey: text('dedupe_key').notNull().unique(),
    message: text('message').notNull(),
    status: text('status', { enum: ['open', 'resolved'] })
      .notNull()
      .default('open'),
    createdAt: integer('created_at').notNull(),
    resolvedAt: integer('resolved_at'),
  },
  (t) => [index('review_status').on(t.status, t.createdAt)],
);

/** Who did what in the admin console. */
export const auditLog = sqliteTable('audit_log', {
  id: text('id').primaryKey(),
  actor: text('actor').notNull(),
  action: text('action').notNull(),
  target: text('target'),
  details: text('details'),
  createdAt: integer('created_at').notNull(),
});

export * from './auth-schema';

/**
 * Alerts: a budget threshold reached (raised once per budget, subject, window and threshold, at
 * settlement, in the account object), a low balance, an auto-recharge that failed. Written here by
 * the object's outbox flush, together with one notification delivery per subscribed channel.
 */
export const alerts = sqliteTable(
  'alerts',
  {
    id: text('id').primaryKey(),
    accountId: text('account_id').notNull(),
    /** budget.threshold, balance.low or auto_recharge.failed. */
    type: text('type').notNull(),
    /** One sentence for people (mail, Slack, the dashboard). */
    message: text('message').notNull(),
    budgetId: text('budget_id'),
    budgetName: text('budget_name'),
    scope: text('scope'),
    /** The end user, for end-user budgets. */
    endUser: text('end_user'),
    windowKind: text('window_kind'),
    windowStart: integer('window_start'),
    resetsAt: integer('resets_at'),
    percent: integer('percent'),
    spentMicros: integer('spent_micros'),
    amountMicros: integer('amount_micros'),
    action: text('action'),
    /** The request whose settlement raised it. */
    requestId: text('request_id'),
    /** What makes it one alert (e.g. budget:<id>:<subject>:<window start>:<percent>). */
    dedupeKey: text('dedupe_key').notNull().unique(),
    /** JSON: the numbers behind an anomaly or a forecast alert (null for the others). */
    details: text('details'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('alerts_account').on(t.accountId, t.createdAt)],
);

/** Where an organisation's alerts go: e-mail addresses, a signed webhook, or a Slack-compatible incoming webhook. */
export const notificationChannels = sqliteTable(
  'notification_channels',
  {
    id: text('id').primaryKey(),
    accountId: text('account_id').notNull(),
    kind: text('kind', { enum: ['email', 'webhook', 'slack'] }).notNull(),
    name: text('name').notNull(),
    /** The URL (webhook, slack), or a JSON array of addresses (email). */
    target: text('target').notNull(),
    /** The webhook's signing secret (whsec_…), shown once; null for other kinds. */
    secret: text('secret'),
    /** The secret before the last rotation, still signed with until `previousSecretExpiresAt`. */
    previousSecret: text('previous_secret'),
    previousSecretExpiresAt: integer('previous_secret_expires_at'),
    /** JSON array of the alert types it receives. */
    events: text('events').notNull(),
    enabled: integer('enabled', { mode: 'boolean' }).notNull().default(true),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [index('notification_channels_account').on(t.accountId)],
);

/** One alert to one channel: retried with exponential back-off for a day, each attempt's outcome kept. */
export const notificationDeliveries = sqliteTable(
  'notification_deliveries',
  {
    id: text('id').primaryKey(),
    accountId: text('account_id').notNull(),
    channelId: text('channel_id').notNull(),
    /** The alert's id (or test-<id> for a test send). */
    eventId: text('event_id').notNull(),
    eventType: text('event_type').notNull(),
    status: text('status', { enum: ['pending', 'delivered', 'failed'] }).notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at'),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    /** JSON array of {at, statusCode, error, ms}, newest last (at most 20). */
    log: text('log').notNull().default('[]'),
    createdAt: integer('created_at').notNull(),
    deliveredAt: integer('delivered_at'),
  },
  (t) => [
    uniqueIndex('notification_deliveries_once').on(t.channelId, t.eventId),
    index('notification_deliveries_due').on(t.status, t.nextAttemptAt),
    index('notification_deliveries_account').on(t.accountId, t.createdAt),
  ],
);
