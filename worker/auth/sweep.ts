/**
 * @module auth/sweep
 * Hourly housekeeping of the identity tables (from the cron trigger): throttle counters whose
 * window ended long ago, expired verification tokens and sessions, and local outbox mail older
 * than a week. Nothing here is money or audit; every row removed has already stopped mattering.
 */
import type { Env } from '../env';

const HOUR_MS = 3_600_000;
/** Longer than every throttle window (the longest is 15 minutes). */
export const RATE_LIMIT_KEEP_MS = 24 * HOUR_MS;
export const MAIL_KEEP_MS = 7 * 24 * HOUR_MS;

/** Deletes what has expired; returns how many rows each table lost. */
export async function sweepIdentity(env: Env, now = Date.now()): Promise<Record<string, number>> {
  const [rateLimits, verifications, sessions, mail] = await env.DB.batch([
    env.DB.prepare('DELETE FROM auth_rate_limit WHERE window_start < ?').bind(now - RATE_LIMIT_KEEP_MS),
    env.DB.prepare('DELETE FROM auth_verification WHERE expires_at < ?').bind(now),
    env.DB.prepare('DELETE FROM auth_session WHERE expires_at < ?').bind(now),
    env.DB.prepare('DELETE FROM mail_outbox WHERE created_at < ?').bind(now - MAIL_KEEP_MS),
  ]);
  return {
    rateLimits: rateLimits.meta.changes,
    verifications: verifications.meta.changes,
    sessions: sessions.meta.changes,
    mail: mail.meta.changes,
  };
}
