/**
 * @module auth/throttle
 * Fixed-window counters in D1 (`auth_rate_limit`), shared by every isolate. One UPSERT both
 * checks and counts, so concurrent requests cannot all pass a stale read.
 */
import type { Env } from '../env';

export interface Window {
  /** Window length in seconds. */
  window: number;
  /** Most hits allowed in one window. */
  max: number;
}

/** Counts one hit on `key`; refuses once `max` hits are in the current window. */
export async function consume(db: D1Database, key: string, rule: Window, now = Date.now()): Promise<{ allowed: boolean; retryAfter: number | null }> {
  const windowMs = rule.window * 1000;
  const row = await db.prepare(
    `INSERT INTO auth_rate_limit (key, count, window_start) VALUES (?1, 1, ?2)
     ON CONFLICT(key) DO UPDATE SET
       count = CASE WHEN window_start <= ?2 - ?3 THEN 1 ELSE count + 1 END,
       window_start = CASE WHEN window_start <= ?2 - ?3 THEN ?2 ELSE window_start END
     RETURNING count, window_start`,
  ).bind(key, now, windowMs).first<{ count: number; window_start: number }>();
  if (!row || row.count <= rule.max) return { allowed: true, retryAfter: null };
  return { allowed: false, retryAfter: Math.max(1, Math.ceil((row.window_start + windowMs - now) / 1000)) };
}

/** Failed sign-ins allowed per e-mail address, from any number of clients. */
export const SIGN_IN_FAILURES: Window = { window: 15 * 60, max: 5 };

const failureKey = (email: string) => `sign-in-failures:${email.trim().toLowerCase()}`;

/** Seconds until sign-in for this address is allowed again, or null when it is allowed now. */
export async function signInLockedFor(env: Env, email: string, now = Date.now()): Promise<number | null> {
  const row = await env.DB.prepare('SELECT count, window_start FROM auth_rate_limit WHERE key = ?').bind(failureKey(email)).first<{ count: number; window_start: number }>();
  if (!row || row.window_start <= now - SIGN_IN_FAILURES.window * 1000 || row.count < SIGN_IN_FAILURES.max) return null;
  return Math.max(1, Math.ceil((row.window_start + SIGN_IN_FAILURES.window * 1000 - now) / 1000));
}

/** Records a failed sign-in for this address. */
export async function recordSignInFailure(env: Env, email: string): Promise<void> {
  await consume(env.DB, failureKey(email), SIGN_IN_FAILURES);
}

/** A successful sign-in clears the address's failures. */
export async function clearSignInFailures(env: Env, email: string): Promise<void> {
  await env.DB.prepare('DELETE FROM auth_rate_limit WHERE key = ?').bind(failureKey(email)).run();
}
