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
    projectId: row.project_id === null || row.project_id === undefined ? null : String(row.project_id),
    createdBy: row.created_by === null || row.created_by === undefined ? null : String(row.created_by),
    pausedAt: num(row.paused_at ?? null),
    pausedReason: row.paused_reason === null || row.paused_reason === undefined ? null : String(row.paused_reason),
  };
}

/** Reads one key, or null. */
export function readKey(sql: SqlStorage, keyId: string): KeyRecord | null {
  const rows = sql.exec<Row>('SELECT * FROM keys WHERE id = ?', keyId).toArray();
  return rows.length ? rowToKey(rows[0]) : null;
}

/** Inserts a new key; the id is unique per account. */
export function insertKey(sql: SqlStorage, key: NewKey): void {
  sql.exec(
    `INSERT INTO keys (id, kind, name, prefix, last4, status, created_at, allowed_services, requests_per_minute,
       tokens_per_minute, max_concurrent, spend_limit_micros, period_spend_limit_micros, period, expires_at, project_id, created_by)
     VALUES (?, ?, ?, ?, ?, 'active', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    key.id,
    key.kind,
    key.name,
    key.prefix,
    key.last4,
    key.createdAt,
    key.allowedServices ? JSON.stringify(key.allowedServices) : null,
    key.requestsPerMinute,
    key.tokensPerMinute ? JSON.stringify(key.tokensPerMinute) : null,
    key.maxConcurrent,
    key.spendLimitMicros,
    key.periodSpendLimitMicros,
    key.period,
    key.expiresAt,
    key.projectId ?? null,
    key.createdBy ?? null,
  );
}

/** What a new key is made of. */
export type NewKey = Pick<KeyRecord, 'id' | 'kind' | 'name' | 'prefix' | 'last4' | 'createdAt'> &
  KeyLimits & { projectId?: string | null; createdBy?: string | null };

const COLUMNS: Record<keyof KeyLimits | 'name' | 'projectId', string> = {
  name: 'name',
  projectId: 'project_id',
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
export function updateKeyRow(sql: SqlStorage, keyId: string, patch: KeyPatch): void {
  for (const [field, column] of Object.entries(COLUMNS) as Array<[keyof typeof COLUMNS, string]>) {
    if (!(field in patch)) continue;
    const value = patch[field];
    const stored = value !== null && typeof value === 'object' ? JSON.stringify(value) : (value ?? null);
    sql.exec(`UPDATE keys SET ${column} = ? WHERE id = ?`, stored, keyId);
  }
}

/** An edit of a key: its name, limits or project. */
export type KeyPatch = Partial<KeyLimits & { name: string; projectId: string }>;

/**
 * The `keys` rows in the object's memory (the object is their only writer, so the cache is exact:
 * a revocation or a limit edit drops the entry and the very next admission reads the new row).
 * Settlement moves a key's spend here and the group commit writes the changed rows.
 */
export class KeyCache {
  private readonly records = new Map<string, KeyRecord | null>();
  private readonly dirty = new Set<string>();

  get(sql: SqlStorage, keyId: string): KeyRecord | null {
    let record = this.records.get(keyId);
    if (record === undefined) {
      record = readKey(sql, keyId);
      this.records.set(keyId, record);
    }
    return record;
  }

  /** Adds a settled charge to the key's lifetime and period spend; returns the undo. */
  charge(sql: SqlStorage, keyId: string, costMicros: number, periodStart: number, now: number): () => void {
    const before = this.get(sql, keyId);
    if (!before) return () => {};
    const wasDirty = this.dirty.has(keyId);
    this.records.set(keyId, {
      ...before,
      spentMicros: before.spentMicros + costMicros,
      periodSpentMicros: before.periodStart === periodStart ? before.periodSpentMicros + costMicros : costMicros,
      periodStart,
      lastUsedAt: now,
    });
    this.dirty.add(keyId);
    return () => {
      this.records.set(keyId, before);
      if (!wasDirty) this.dirty.delete(keyId);
    };
  }

  /** Pauses a key in the settling transaction (a spend anomaly); the very next admission refuses it. Returns the undo. */
  pause(sql: SqlStorage, keyId: string, at: number, reason: string): () => void {
    const before = this.get(sql, keyId);
    if (!before) return () => {};
    const wasDirty = this.dirty.has(keyId);
    this.records.set(keyId, { ...before, pausedAt: at, pausedReason: reason });
    this.dirty.add(keyId);
    return () => {
      this.records.set(keyId, before);
      if (!wasDirty) this.dirty.delete(keyId);
    };
  }

  /** Writes the spend (and pause) of every key charged since the last call. Must run inside the caller's transaction. */
  persist(sql: SqlStorage): void {
    for (const keyId of this.dirty) {
      const k = this.records.get(keyId);
      if (!k) continue;
      sql.exec(
        'UPDATE keys SET spent_micros = ?, period_spent_micros = ?, period_start = ?, last_used_at = ?, paused_at = ?, paused_reason = ? WHERE id = ?',
        k.spentMicros,
        k.periodSpentMicros,
        k.periodStart,
        k.lastUsedAt,
        k.pausedAt,
        k.pausedReason,
        keyId,
      );
    }
    this.dirty.clear();
  }

  /** Drops one entry (the row was written directly), or all of them (a rolled-back transaction). */
  forget(keyId?: string): void {
    if (keyId === undefined) {
      this.records.clear();
      this.dirty.clear();
    } else if (!this.dirty.has(keyId)) this.records.delete(keyId);
  }
}
