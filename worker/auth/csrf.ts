/**
 * @module auth/csrf
 * The CSRF token for cookie-authenticated unsafe requests: HMAC-SHA256 of the session id under
 * BETTER_AUTH_SECRET, base64url. It is bound to the session (a new session gets a new token)
 * and needs no storage; `/api/me` hands it to the dashboard, which sends it as `x-csrf-token`.
 */
import { timingSafeEqual } from '../lib/hash';

const encoder = new TextEncoder();

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The token for one session. */
export async function csrfToken(sessionId: string, secret: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return base64url(new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(`csrf:${sessionId}`))));
}

/** True when `presented` is this session's token (constant-time comparison). */
export async function csrfTokenValid(presented: string | undefined, sessionId: string, secret: string): Promise<boolean> {
  if (!presented) return false;
  return timingSafeEqual(presented, await csrfToken(sessionId, secret));
}
