/**
 * @module auth/users
 * The bridge between identity and billing: every user gets a personal organisation (a billing
 * account) when the user is created, linked in `user_accounts` (user id is the primary key), with
 * the user as its owner in `memberships`. Further organisations: auth/organizations.ts.
 */
import type { Env } from '../env';
import { createAccount } from '../services/accounts';

/** E-mail addresses that get the admin role once verified (ADMIN_EMAILS). */
export function adminEmails(env: Env): Set<string> {
  const list = typeof env.ADMIN_EMAILS === 'string' ? env.ADMIN_EMAILS : '';
  return new Set(
    list
      .split(',')
      .map((e) => e.trim().toLowerCase())
      .filter(Boolean),
  );
}

/** Whether an address is listed in ADMIN_EMAILS (any case). */
export function isAdminEmail(env: Env, email: string): boolean {
  return adminEmails(env).has(email.toLowerCase());
}

/** Gives a verified user the admin role (the row must be verified, checked in the same statement). */
export async function promoteToAdmin(env: Env, userId: string): Promise<void> {
  await env.DB.prepare("UPDATE auth_user SET role = 'admin' WHERE id = ? AND email_verified = 1").bind(userId).run();
}

/**
 * user id → billing account id, per isolate. The link never changes once written, so caching it
 * is safe (like the key-hash index); it saves a D1 read on every session request.
 */
const linked = new Map<string, string>();
const MAX_LINKED = 10_000;

/** The billing account a user owns, or null. */
export async function accountOfUser(env: Env, userId: string): Promise<string | null> {
  const cached = linked.get(userId);
  if (cached) return cached;
  const row = await env.DB.prepare('SELECT account_id FROM user_accounts WHERE user_id = ?').bind(userId).first<{ account_id: string }>();
  if (!row) return null;
  if (linked.size >= MAX_LINKED) linked.delete(linked.keys().next().value as string);
  linked.set(userId, row.account_id);
  return row.account_id;
}

/** Creates the user's billing account unless it has one; returns its id. */
export async function ensureBillingAccount(env: Env, user: { id: string; name: string; email: string }): Promise<string> {
  const existing = await accountOfUser(env, user.id);
  if (existing) return existing;
  const account = await createAccount(env, user.name || user.email);
  // The primary key on user_id keeps it at one account per user even if two requests race; only
  // the winner's account gets the owner.
  const now = Date.now();
  await env.DB.batch([
    env.DB.prepare('INSERT OR IGNORE INTO user_accounts (user_id, account_id, created_at) VALUES (?, ?, ?)').bind(user.id, account.id, now),
    env.DB.prepare(
      'INSERT OR IGNORE INTO memberships (account_id, user_id, role, created_at) ' +
        "SELECT account_id, user_id, 'owner', created_at FROM user_accounts WHERE user_id = ?",
    ).bind(user.id),
  ]);
  return (await accountOfUser(env, user.id)) ?? account.id;
}
