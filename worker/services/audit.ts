/**
 * @module services/audit
 * The admin audit log: who did what to which object. Written after the action succeeded.
 */
import type { Env } from '../env';
import { newId } from '../lib/ids';

/** Records one admin action. */
export async function audit(env: Env, actor: string, action: string, target: string | null, details: unknown): Promise<void> {
  await env.DB.prepare('INSERT INTO audit_log (id, actor, action, target, details, created_at) VALUES (?, ?, ?, ?, ?, ?)')
    .bind(newId('aud'), actor, action, target, JSON.stringify(details ?? null), Date.now()).run();
}
