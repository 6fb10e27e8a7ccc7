/**
 * @module account/schema
 * The account object's SQLite tables (documented in docs/storage-schema.md), as numbered
 * migrations applied in the constructor and tracked in the `schema_version` table; never edit a
 * landed step, add one. The object is the source of truth for its account: balance, journal,
 * keys and their limits, reservations, rate windows, outbox, auto-recharge.
 */
const V1 = `
CREATE TABLE IF NOT EXISTS account (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
  account_id TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'active',
  balance_micros INTEGER NOT NULL DEFAULT 0,
  last_seq INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS keys (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  prefix TEXT NOT NULL,
  last4 TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'active',
  created_at INTEGER NOT NULL,
  revoked_at INTEGER,
  last_used_at INTEGER,
  allowed_services TEXT,
  requests_per_minute INTEGER,
  tokens_per_minute TEXT,
  max_concurrent INTEGER,
  spend_limit_micros INTEGER,
  period_spend_limit_micros INTEGER,
  period TEXT,
  expires_at INTEGER,
  spent_micros INTEGER NOT NULL DEFAULT 0,
  period_spent_micros INTEGER NOT NULL DEFAULT 0,
  period_start INTEGER
);
CREATE TABLE IF NOT EXISTS reservations (
  id TEXT PRIMARY KEY,
  key_id TEXT NOT NULL,
  service_id TEXT NOT NULL,
  model TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  price_version INTEGER NOT NULL,
  input_micros_per_1m INTEGER NOT NULL,
  output_micros_per_1m INTEGER NOT NULL,
  request_micros INTEGER NOT NULL,
  reserved_micros INTEGER NOT NULL,
  reserved_tokens INTEGER NOT NULL,
  tokens_window_start INTEGER NOT NULL,
  prompt_tokens_estimate INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS reservations_key ON reservations (key_id);
CREATE INDEX IF NOT EXISTS reservations_expiry ON reservations (expires_at);
CREATE TABLE IF NOT EXISTS rate_cells (
  key_id TEXT NOT NULL,
  scope TEXT NOT NULL,
  window_start INTEGER NOT NULL,
  used INTEGER NOT NULL,
  PRIMARY KEY (key_id, scope, window_start)
);
CREATE TABLE IF NOT EXISTS journal (
  seq INTEGER PRIMARY KEY,
  idempotency_key TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  amount_micros INTEGER NOT NULL,
  balance_after_micros INTEGER NOT NULL,
  ref TEXT,
  key_id TEXT,
  reason TEXT,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS settlements (
  reservation_id TEXT PRIMARY KEY,
  journal_seq INTEGER,
  cost_micros INTEGER NOT NULL,
  price_version INTEGER NOT NULL,
  status TEXT NOT NULL,
  estimated INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS expired_prices (
  reservation_id TEXT PRIMARY KEY,
  input_micros_per_1m INTEGER NOT NULL,
  output_micros_per_1m INTEGER NOT NULL,
  request_micros INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0
);
`;

const V2 = `
ALTER TABLE journal ADD COLUMN counter_account TEXT;
CREATE TABLE IF NOT EXISTS cumulative (
  key TEXT PRIMARY KEY,
  amount_micros INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS auto_recharge (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
  enabled INTEGER NOT NULL DEFAULT 0,
  threshold_micros INTEGER NOT NULL DEFAULT 0,
  amount_cents INTEGER NOT NULL DEFAULT 0,
  monthly_cap_cents INTEGER NOT NULL DEFAULT 0,
  month_start INTEGER,
  month_charged_cents INTEGER NOT NULL DEFAULT 0,
  customer_id TEXT,
  payment_method TEXT,
  inflight_topup_id TEXT,
  inflight_since INTEGER,
  notice TEXT
);
`;

const V3 = `
ALTER TABLE auto_recharge ADD COLUMN inflight_amount_cents INTEGER;
`;

const V4 = `
ALTER TABLE reservations ADD COLUMN key_period TEXT;
`;

// What a settle needs to clamp a hostile origin's usage to what was granted: the granted output
// tokens and the prompt's upper bound, kept with the reservation and, once it expired, with its prices.
const V5 = `
ALTER TABLE reservations ADD COLUMN max_output_tokens INTEGER;
ALTER TABLE reservations ADD COLUMN prompt_tokens_upper INTEGER;
ALTER TABLE expired_prices ADD COLUMN reserved_micros INTEGER;
ALTER TABLE expired_prices ADD COLUMN max_output_tokens INTEGER;
ALTER TABLE expired_prices ADD COLUMN prompt_tokens_upper INTEGER;
ALTER TABLE expired_prices ADD COLUMN key_id TEXT;
`;

// Where the journal's chain was last verified up to (reconciliation.ts), so each snapshot walks
// only what was appended since.
const V6 = `
CREATE TABLE IF NOT EXISTS journal_checkpoint (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
  through_seq INTEGER NOT NULL,
  balance_micros INTEGER NOT NULL
);
`;

// Marks of what is held in flight (holds.ts): admission reserves in memory, and these upper bounds
// (raised in coarse steps) keep the money of requests in flight across an eviction or a restart.
// The `reservations` table is no longer written; an object upgraded with rows in it takes them into
// memory once (index.ts).
const V7 = `
CREATE TABLE IF NOT EXISTS hold_marks (
  hold TEXT PRIMARY KEY,
  mark INTEGER NOT NULL,
  mark_expires_at INTEGER NOT NULL,
  pool INTEGER NOT NULL,
  pool_expires_at INTEGER NOT NULL
);
`;

// Budgets (budgets.ts): the organisation's calendar, the budgets, and each window's running total
// per subject (the end user for end-user budgets, else ''), with the highest threshold alerted in
// it. An expired grant keeps the budget windows it counted in, for its late correction.
const V8 = `
ALTER TABLE account ADD COLUMN timezone TEXT NOT NULL DEFAULT 'UTC';
ALTER TABLE account ADD COLUMN week_start INTEGER NOT NULL DEFAULT 1;
CREATE TABLE IF NOT EXISTS budgets (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  scope TEXT NOT NULL,
  key_id TEXT,
  model TEXT,
  amount_micros INTEGER NOT NULL,
  window_kind TEXT NOT NULL,
  action TEXT NOT NULL,
  thresholds TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS budget_spend (
  budget_id TEXT NOT NULL,
  subject TEXT NOT NULL,
  window_start INTEGER NOT NULL,
  spent_micros INTEGER NOT NULL,
  alerted_percent INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (budget_id, subject, window_start)
);
ALTER TABLE expired_prices ADD COLUMN budgets TEXT;
`;

// The model a `fallback` budget serves instead of refusing.
const V9 = `
ALTER TABLE budgets ADD COLUMN fallback_model TEXT;
`;

// The low-balance alert: the threshold (NULL: off), and whether the balance is below it and alerted.
const V10 = `
ALTER TABLE account ADD COLUMN low_balance_micros INTEGER;
ALTER TABLE account ADD COLUMN low_balance_alerted INTEGER NOT NULL DEFAULT 0;
`;

// Projects (projects.ts): every inference key belongs to one, existing keys to the default project;
// a key remembers who created it (member budgets); budgets gain project and member scopes.
const V11 = `
CREATE TABLE IF NOT EXISTS projects (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  allowed_services TEXT,
  key_defaults TEXT NOT NULL DEFAULT '{}',
  members TEXT NOT NULL DEFAULT '[]',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
INSERT OR IGNORE INTO projects (id, name, created_at, updated_at) VALUES ('proj_default', 'Default project', unixepoch() * 1000, unixepoch() * 1000);
ALTER TABLE keys ADD COLUMN project_id TEXT;
ALTER TABLE keys ADD COLUMN created_by TEXT;
UPDATE keys SET project_id = 'proj_default' WHERE kind = 'inference';
ALTER TABLE budgets ADD COLUMN project_id TEXT;
ALTER TABLE budgets ADD COLUMN member_id TEXT;
`;

// Real-time spend anomalies (spend-watch.ts): each key's 5-minute spend windows over the past 7 days
// (its baseline), whether a window was flagged, the organisation's thresholds, and a key's pause.
const V12 = `
CREATE TABLE IF NOT EXISTS key_spend_windows (
  key_id TEXT NOT NULL,
  window_start INTEGER NOT NULL,
  spent_micros INTEGER NOT NULL,
  requests INTEGER NOT NULL,
  flagged INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (key_id, window_start)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS anomaly_settings (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), settings TEXT NOT NULL);
ALTER TABLE keys ADD COLUMN paused_at INTEGER;
ALTER TABLE keys ADD COLUMN paused_reason TEXT;
`;

export const MIGRATIONS: readonly string[] = [V1, V2, V3, V4, V5, V6, V7, V8, V9, V10, V11, V12];

/** Applies the migrations this object has not seen yet. */
export function migrate(sql: SqlStorage): void {
  sql.exec('CREATE TABLE IF NOT EXISTS schema_version (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), version INTEGER NOT NULL)');
  const version = sql.exec<{ version: number }>('SELECT version FROM schema_version').toArray()[0]?.version ?? 0;
  for (let v = version; v < MIGRATIONS.length; v++) {
    sql.exec(MIGRATIONS[v]);
    sql.exec('INSERT INTO schema_version (singleton, version) VALUES (1, ?) ON CONFLICT (singleton) DO UPDATE SET version = excluded.version', v + 1);
  }
}
