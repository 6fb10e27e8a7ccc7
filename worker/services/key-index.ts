/**
 * @module services/key-index
 * Maps a key's SHA-256 to `{keyId, accountId, kind}`. The mapping never changes once written,
 * so it is cached freely: isolate memory → KV (`key:<hash>`) → D1 `api_keys` (the authority,
 * read when KV has not caught up, e.g. a key created seconds ago elsewhere). Whether the key
 * may be used is never decided here but by the account object.
 */
import type { KeyKind } from '../lib/key-format';

export interface KeyIndexEntry {
  keyId: string;
  accountId: string;
  kind: KeyKind;
}

const MAX_ENTRIES = 10_000;
const NEGATIVE_TTL_MS = 5_000;

/** Isolate caches (documented module state): immutable hits, and short-lived misses. */
const hits = new Map<string, KeyIndexEntry>();
const misses = new Map<string, number>();

export const kvKey = (hash: string): string => `key:${hash}`;

function remember(hash: string, entry: KeyIndexEntry): void {
  if (hits.size >= MAX_ENTRIES) hits.delete(hits.keys().next().value as string);
  hits.set(hash, entry);
}

/** Resolves a key hash, or null when no key has that hash. */
export async function resolveKeyHash(
  env: { KEYS: KVNamespace; DB: D1Database },
  hash: string,
  waitUntil: (p: Promise<unknown>) => void,
): Promise<KeyIndexEntry | null> {
  const hit = hits.get(hash);
  if (hit) return hit;
  const missUntil = misses.get(hash);
  if (missUntil !== undefined && missUntil > Date.now()) return null;

  const fromKv = await env.KEYS.get<KeyIndexEntry>(kvKey(hash), { type: 'json', cacheTtl: 86_400 });
  if (fromKv) {
    remember(hash, fromKv);
    return fromKv;
  }
  const row = await env.DB.prepare('SELECT id, account_id, kind FROM api_keys WHERE key_hash = ?')
    .bind(hash)
    .first<{ id: string; account_id: string; kind: KeyKind }>();
  if (!row) {
    if (misses.size >= MAX_ENTRIES) misses.clear();
    misses.set(hash, Date.now() + NEGATIVE_TTL_MS);
    return null;
  }
  const entry: KeyIndexEntry = { keyId: row.id, accountId: row.account_id, kind: row.kind };
  remember(hash, entry);
  waitUntil(env.KEYS.put(kvKey(hash), JSON.stringify(entry)));
  return entry;
}

/** Writes a new key's index entry to D1 (authority) and KV (fast path). */
export async function indexKey(
  env: { KEYS: KVNamespace; DB: D1Database },
  hash: string,
  entry: KeyIndexEntry,
  display: { prefix: string; last4: string },
): Promise<void> {
  await env.DB.prepare('INSERT INTO api_keys (id, account_id, kind, key_hash, prefix, last4, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
    .bind(entry.keyId, entry.accountId, entry.kind, hash, display.prefix, display.last4, Date.now())
    .run();
  await env.KEYS.put(kvKey(hash), JSON.stringify(entry));
  misses.delete(hash);
}
