/**
 * @module account/keys
 * Key records in the account object: the authoritative status and limits of every key.
 * KV and D1 only map a key's hash to its id; whether it may be used is decided here.
 */
import type { KeyLimits, KeyRecord } from './types';

type Row = Record<string, SqlStorageValue>;

const num = (v: SqlStorageValue): number | null => (v === null ? null : Number(v));
const json = <T>(v: SqlStorageValue): T | null => (v === null ? null : (JSON.parse(String(v)) as T));

/** Maps a `keys` row to its record. */
export function rowToKey(row: Row): KeyRecord {
  return {
    id: String(row.id),
    kind: String(row.kind) as KeyRecord['kind'],
    name: String(row.name),
    prefix: String(row.prefix),
    last4: String(row.last4),
    status: String(row.status) as KeyRecord['status'],
    createdAt: Number(row.created_at),
    revokedAt: num(row.revoked_at),
    lastUsedAt: num(row.last_used_at),
    allowedServices: json<string[]>(row.allowed_services),
    requestsPerMinute: num(row.requests_per_minute),
    tokensPerMinute: json<Record<string, number>>(row.tokens_per_minute),
    maxConcurrent: num(row.max_concurrent),
    spendLimitMicros: num(row.spend_limit_micros),
    periodSpendLimitMicros: num(row.period_spend_limit_micros),
    period: row.period === null ? null : (String(row.period) as KeyRecord['period']),
    expiresAt: num(row.expires_at),
    spentMicros: Number(row.spent_micros),
    periodSpentMicros: Number(row.period_spent_micros),
    periodStart: num(row.period_start),
  };
}

/** Reads one key, or null. */
export function readKey(sql: SqlStorage, keyId: string): KeyRecord | null {
  const rows = sql.exec<Row>('SELECT * FROM keys WHERE id = ?', keyId).toArray();
  return rows.length ? rowToKey(rows[0]) : null;
}

/** Inserts a new key; the id is unique per account. */
export function insertKey(sql: SqlStorage, key: Pick<KeyRecord, 'id' | 'kind' | 'name' | 'prefix' | 'last4' | 'createdAt'> & KeyLimits): void {
  sql.exec(
    `INSERT INTO keys (id, kind, name, prefix, last4, status, created_at, allowed_services, requests_per_minute,
       tokens_per_minute, max_concurrent, spend_limit_micros, period_spend_limit_micros, period, expires_at)
     VALUES (?, ?, ?, ?, ?, 'active', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    key.id, key.kind, key.name, key.prefix, key.last4, key.createdAt,
    key.allowedServices ? JSON.stringify(key.allowedServices) : null,
    key.requestsPerMinute,
    key.tokensPerMinute ? JSON.stringify(key.tokensPerMinute) : null,
    key.maxConcurrent, key.spendLimitMicros, key.periodSpendLimitMicros, key.period, key.expiresAt,
  );
}

const COLUMNS: Record<keyof KeyLimits | 'name', string> = {
  name: 'name',
  allowedServices: 'allowed_services',
  requestsPerMinute: 'requests_per_minute',
  tokensPerMinute: 'tokens_per_minute',
  maxConcurrent: 'max_concurrent',
  spendLimitMicros: 'spend_limit_micros',
  periodSpendLimitMicros: 'period_spend_limit_micros',
  period: 'period',
  expiresAt: 'expires_at',
};

/** Applies a partial update of a key's name and limits; fields absent from the patch stay. */
export function updateKeyRow(sql: SqlStorage, keyId: string, patch: Partial<KeyLimits & { name: string }>): void {
  for (const [field, column] of Object.entries(COLUMNS) as Array<[keyof typeof COLUMNS, string]>) {
    if (!(field in patch)) continue;
    const value = patch[field];
    const stored = value !== null && typeof value === 'object' ? JSON.stringify(value) : (value ?? null);
    sql.exec(`UPDATE keys SET ${column} = ? WHERE id = ?`, stored, keyId);
  }
}
