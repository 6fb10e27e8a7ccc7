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
  const row = await db
    .prepare(
      `INSERT INTO auth_rate_limit (key, count, window_start) VALUES (?1, 1, ?2)
     ON CONFLICT(key) DO UPDATE SET
       count = CASE WHEN window_start <= ?2 - ?3 THEN 1 ELSE count + 1 END,
       window_start = CASE WHEN window_start <= ?2 - ?3 THEN ?2 ELSE window_start END
     RETURNING count, window_start`,
    )
    .bind(key, now, windowMs)
    .first<{ count: number; window_start: number }>();
  if (!row || row.count <= rule.max) return { allowed: true, retryAfter: null };
  return { allowed: false, retryAfter: Math.max(1, Math.ceil((row.window_start + windowMs - now) / 1000)) };
}

/**
 * Sign-in attempts allowed per e-mail address, from any number of clients, until one succeeds.
 * Anyone can use up an address's attempts and lock it for the window (the price of stopping
 * distributed guessing); the operator keeps ADMIN_TOKEN, and the lock ends by itself.
 */
export const SIGN_IN_ATTEMPTS: Window = { window: 15 * 60, max: 5 };

const attemptKey = (email: string) => `sign-in-attempts:${email.trim().toLowerCase()}`;

/** Counts one sign-in attempt for this address: null when it may proceed, else seconds to wait. */
export async function countSignInAttempt(env: Env, email: string, now = Date.now()): Promise<number | null> {
  const { allowed, retryAfter } = await consume(env.DB, attemptKey(email), SIGN_IN_ATTEMPTS, now);
  return allowed ? null : retryAfter;
}

/** A successful sign-in clears the address's count. */
export async function clearSignInAttempts(env: Env, email: string): Promise<void> {
  await env.DB.prepare('DELETE FROM auth_rate_limit WHERE key = ?').bind(attemptKey(email)).run();
}
