/**
 * @module auth/invitations
 * Invitations to an organisation, sent by e-mail through the mail sender (the local outbox in
 * development). The token is 32 random bytes shown only in the mail; D1 keeps its SHA-256. It is
 * accepted once (the claim is one conditional UPDATE, so two tabs cannot both accept), by a
 * signed-in user whose verified address is the invited one, before it expires (7 days) and unless
 * it was revoked. Inviting the same address again replaces the pending invitation.
 */
import type { Env } from '../env';
import { ApiError } from '../errors';
import { sha256Hex } from '../lib/hash';
import { newId } from '../lib/ids';
import { linkMail, mailSender } from './mail';
import { addMember } from './organizations';
import type { Role } from './roles';

export const INVITATION_TTL_MS = 7 * 24 * 60 * 60_000;

export interface Invitation {
  id: string;
  email: string;
  role: Role;
  projectIds: string[];
  invitedBy: string | null;
  createdAt: number;
  expiresAt: number;
  acceptedAt: number | null;
  revokedAt: number | null;
  state: 'pending' | 'accepted' | 'revoked' | 'expired';
}

interface Row {
  id: string;
  account_id: string;
  email: string;
  role: Role;
  project_ids: string;
  invited_by: string | null;
  created_at: number;
  expires_at: number;
  accepted_at: number | null;
  revoked_at: number | null;
}

function toInvitation(r: Row, now: number): Invitation {
  const state = r.accepted_at ? 'accepted' : r.revoked_at ? 'revoked' : r.expires_at <= now ? 'expired' : 'pending';
  return {
    id: r.id,
    email: r.email,
    role: r.role,
    projectIds: JSON.parse(r.project_ids) as string[],
    invitedBy: r.invited_by,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    acceptedAt: r.accepted_at,
    revokedAt: r.revoked_at,
    state,
  };
}

function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

/** The organisation's invitations, newest first (the last 200). */
export async function listInvitations(env: Env, accountId: string): Promise<Invitation[]> {
  const { results } = await env.DB.prepare('SELECT * FROM invitations WHERE account_id = ? ORDER BY created_at DESC, id DESC LIMIT 200')
    .bind(accountId)
    .all<Row>();
  const now = Date.now();
  return results.map((r) => toInvitation(r, now));
}

/** Invites an address and mails the link; a pending invitation to the same address is revoked. */
export async function invite(
  env: Env,
  org: { id: string; name: string },
  input: { email: string; role: Role; projectIds: string[]; invitedBy: string | null; inviterName: string },
): Promise<Invitation> {
  const email = input.email.trim().toLowerCase();
  const member = await env.DB.prepare('SELECT 1 AS x FROM memberships m JOIN auth_user u ON u.id = m.user_id WHERE m.account_id = ? AND lower(u.email) = ?')
    .bind(org.id, email)
    .first();
  if (member)
    throw new ApiError({ code: 'conflict', param: 'email', reason: 'already_member', message: `email: ${email} is already a member of this organisation.` });
  const token = randomToken();
  const now = Date.now();
  const id = newId('inv');
  const link = `${String(env.DASHBOARD_URL ?? '').replace(/\/+$/, '')}/invite?token=${encodeURIComponent(token)}`;
  // Mail first: an invitation that could not be sent is not recorded.
  await mailSender(env).send(
    linkMail(
      email,
      `Join ${org.name} on the gateway`,
      `${input.inviterName} invited you to the organisation "${org.name}" as ${input.role}. The invitation expires in 7 days.`,
      'Accept the invitation',
      link,
    ),
  );
  await env.DB.batch([
    env.DB.prepare('UPDATE invitations SET revoked_at = ? WHERE account_id = ? AND email = ? AND accepted_at IS NULL AND revoked_at IS NULL').bind(
      now,
      org.id,
      email,
    ),
    env.DB.prepare(
      'INSERT INTO invitations (id, account_id, email, role, project_ids, token_hash, invited_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ).bind(id, org.id, email, input.role, JSON.stringify(input.projectIds), await sha256Hex(token), input.invitedBy, now, now + INVITATION_TTL_MS),
  ]);
  const row = await env.DB.prepare('SELECT * FROM invitations WHERE id = ?').bind(id).first<Row>();
  return toInvitation(row as Row, now);
}

/** Revokes a pending invitation of this organisation; false when there is none. */
export async function revokeInvitation(env: Env, accountId: string, id: string): Promise<Invitation | null> {
  const now = Date.now();
  await env.DB.prepare('UPDATE invitations SET revoked_at = ? WHERE id = ? AND account_id = ? AND accepted_at IS NULL AND revoked_at IS NULL')
    .bind(now, id, accountId)
    .run();
  const row = await env.DB.prepare('SELECT * FROM invitations WHERE id = ? AND account_id = ?').bind(id, accountId).first<Row>();
  return row ? toInvitation(row, now) : null;
}

const unusable = (why: string) => new ApiError({ code: 'not_found', reason: 'invitation_unusable', message: `This invitation ${why}.` });

/**
 * Accepts an invitation for the signed-in user: the address must be theirs and verified. Returns
 * the organisation, the role and the projects to join (the caller adds them in the account object).
 */
export async function acceptInvitation(
  env: Env,
  token: string,
  user: { id: string; email: string; emailVerified: boolean },
): Promise<{ accountId: string; name: string; role: Role; projectIds: string[] }> {
  const row = await env.DB.prepare('SELECT * FROM invitations WHERE token_hash = ?')
    .bind(await sha256Hex(token))
    .first<Row>();
  const now = Date.now();
  if (!row) throw unusable('does not exist');
  if (row.accepted_at) throw unusable('was already accepted');
  if (row.revoked_at) throw unusable('was revoked');
  if (row.expires_at <= now) throw unusable('has expired; ask for a new one');
  if (row.email !== user.email.toLowerCase()) {
    throw new ApiError({ code: 'forbidden', reason: 'other_address', message: `This invitation is for ${row.email}; sign in with that address to accept it.` });
  }
  if (!user.emailVerified) throw new ApiError({ code: 'forbidden', reason: 'EMAIL_NOT_VERIFIED', message: 'Verify your e-mail address first.' });
  const claimed = await env.DB.prepare(
    'UPDATE invitations SET accepted_at = ?, accepted_by = ? WHERE id = ? AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > ?',
  )
    .bind(now, user.id, row.id, now)
    .run();
  if (claimed.meta.changes === 0) throw unusable('is no longer valid');
  await addMember(env, row.account_id, user.id, row.role);
  const org = await env.DB.prepare('SELECT name FROM accounts WHERE id = ?').bind(row.account_id).first<{ name: string }>();
  return { accountId: row.account_id, name: org?.name ?? row.account_id, role: row.role, projectIds: JSON.parse(row.project_ids) as string[] };
}
