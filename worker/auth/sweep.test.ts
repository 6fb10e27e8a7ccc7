import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { Env } from '../env';
import { MAIL_KEEP_MS, RATE_LIMIT_KEEP_MS, sweepIdentity } from './sweep';

const testEnv = env as unknown as Env;

describe('identity sweep', () => {
  it('removes only what has expired', async () => {
    const now = Date.now();
    const db = testEnv.DB;
    await db.batch([
      db
        .prepare('INSERT INTO auth_rate_limit (key, count, window_start) VALUES (?, 1, ?), (?, 1, ?)')
        .bind('sweep:old', now - RATE_LIMIT_KEEP_MS - 1, 'sweep:new', now - 60_000),
      db
        .prepare('INSERT INTO mail_outbox (id, "to", subject, text, html, created_at) VALUES (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?)')
        .bind('mail_old', 'sweep@example.test', 'old', 'old', 'old', now - MAIL_KEEP_MS - 1, 'mail_new', 'sweep@example.test', 'new', 'new', 'new', now - 1000),
      db
        .prepare('INSERT INTO auth_verification (id, identifier, value, expires_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?)')
        .bind('ver_old', 'sweep', 'x', now - 1, now - 10, now - 10, 'ver_new', 'sweep', 'y', now + 60_000, now, now),
    ]);
    const removed = await sweepIdentity(testEnv, now);
    expect(removed).toMatchObject({ rateLimits: 1, mail: 1, verifications: 1 });
    const left = async (sql: string) => (await db.prepare(sql).all<{ id: string }>()).results.map((r) => r.id);
    expect(await left("SELECT key AS id FROM auth_rate_limit WHERE key LIKE 'sweep:%'")).toEqual(['sweep:new']);
    expect(await left('SELECT id FROM mail_outbox WHERE "to" = \'sweep@example.test\'')).toEqual(['mail_new']);
    expect(await left("SELECT id FROM auth_verification WHERE identifier = 'sweep'")).toEqual(['ver_new']);
  });
});
