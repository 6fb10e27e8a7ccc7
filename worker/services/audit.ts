/**
 * @module services/audit
 * The admin audit log: who did what to which object. Written after the action succeeded.
 */
import type { Env, Principal } from '../env';
import { newId } from '../lib/ids';

/** Records one admin action. */
export async function audit(env: Env, actor: string, action: string, target: string | null, details: unknown): Promise<void> {
  await env.DB.prepare('INSERT INTO audit_log (id, actor, action, target, details, created_at) VALUES (?, ?, ?, ?, ?, ?)')
    .bind(newId('aud'), actor, action, target, JSON.stringify(details ?? null), Date.now())
    .run();
}

/** The audit actor for an admin request: `user:<id>` for a signed-in admin, `admin` for ADMIN_TOKEN. */
export function actorOf(c: { get(key: 'principal'): Principal }): string {
  const principal = c.get('principal');
  return principal.userId ? `user:${principal.userId}` : 'admin';
}
