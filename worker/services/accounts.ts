/**
 * @module services/accounts
 * Creating accounts and issuing keys: the writes that span the account object (authority),
 * D1 (index and listing) and KV (fast index). Order matters: the object first, so a key is
 * never resolvable before its status exists; KV last, because D1 backs up a KV miss.
 */
import type { KeyLimits, KeyRecord } from '../durable-objects/account/types';
import type { Env } from '../env';
import { sha256Hex } from '../lib/hash';
import { newId } from '../lib/ids';
import { generateKey, keyDisplay, type KeyKind } from '../lib/key-format';
import { indexKey } from './key-index';

export const NO_LIMITS: KeyLimits = {
  allowedServices: null,
  requestsPerMinute: null,
  tokensPerMinute: null,
  maxConcurrent: null,
  spendLimitMicros: null,
  periodSpendLimitMicros: null,
  period: null,
  expiresAt: null,
};

/** The account's object stub. */
export function accountObject(env: Env, accountId: string) {
  return env.ACCOUNT.get(env.ACCOUNT.idFromName(accountId));
}

/** Creates an account row and initialises its object. */
export async function createAccount(env: Env, name: string): Promise<{ id: string; name: string; status: 'active'; createdAt: number }> {
  const account = { id: newId('acct'), name, status: 'active' as const, createdAt: Date.now() };
  await accountObject(env, account.id).init(account.id);
  await env.DB.prepare('INSERT INTO accounts (id, name, status, created_at) VALUES (?, ?, ?, ?)')
    .bind(account.id, account.name, account.status, account.createdAt)
    .run();
  return account;
}

/** Where a new key goes and who made it; `unset` lists the limits its project's defaults may fill. */
export interface KeyPlacement {
  projectId?: string | null;
  createdBy?: string | null;
  unset?: Array<keyof KeyLimits>;
}

/**
 * Issues a key; the secret is returned here once and never stored. Null when the project named does
 * not exist (nothing is issued then).
 */
export async function issueKey(
  env: Env,
  accountId: string,
  kind: KeyKind,
  name: string,
  limits: KeyLimits,
  placement: KeyPlacement = {},
): Promise<{ key: KeyRecord; secret: string } | null> {
  const secret = generateKey(kind);
  const display = keyDisplay(secret);
  const keyId = newId('key');
  const { unset, ...where } = placement;
  const key = await accountObject(env, accountId).createKey({ id: keyId, kind, name, ...display, ...limits, ...where }, unset);
  if (!key) return null;
  await indexKey(env, await sha256Hex(secret), { keyId, accountId, kind }, display);
  return { key, secret };
}

/** Issues a management key (organisation-wide, in no project). */
export async function newManagementKey(env: Env, accountId: string): Promise<{ key: KeyRecord; secret: string }> {
  const issued = await issueKey(env, accountId, 'management', 'Management key', NO_LIMITS);
  if (!issued) throw new Error('a management key is always issued');
  return issued;
}
