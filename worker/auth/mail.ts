/**
 * @module auth/mail
 * One way to send mail. In production an HTTP e-mail API (Resend-style JSON POST, configured
 * by MAIL_API_URL, MAIL_API_KEY and MAIL_FROM); with MAIL_MODE=outbox and LOCAL_DEV=1 (local
 * development and tests) the message is written to the D1 table `mail_outbox`, which
 * `/api/dev/mail` lists.
 */
import type { Env } from '../env';
import { ApiError } from '../errors';
import { newId } from '../lib/ids';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface MailSender {
  send(message: MailMessage): Promise<void>;
}

/**
 * True on a local deployment: `LOCAL_DEV=1`, which only `npm start` (.dev.vars), the e2e stack and
 * the tests set, never wrangler.toml. Vars are the operator's, not the request's: a Host header
 * naming localhost proves nothing behind a proxy, so it is not consulted.
 */
export function localDev(env: Env): boolean {
  return env.LOCAL_DEV === '1';
}

/**
 * True when mail goes to the local outbox instead of the network: MAIL_MODE=outbox on a local
 * deployment. Anywhere else the outbox is neither written nor served, so a copied .dev.vars
 * cannot turn a production gateway into one that shows every verification link to anyone.
 */
export function outboxMode(env: Env): boolean {
  return env.MAIL_MODE === 'outbox' && localDev(env);
}

/** Names of the settings production mail still needs (empty when it is configured). */
export function missingMailSettings(env: Env): string[] {
  if (outboxMode(env)) return [];
  const missing: string[] = (['MAIL_API_URL', 'MAIL_API_KEY', 'MAIL_FROM'] as const).filter((name) => typeof env[name] !== 'string' || env[name] === '');
  if (env.MAIL_MODE === 'outbox' && missing.length) missing.unshift('LOCAL_DEV=1 (MAIL_MODE=outbox is for local development only)');
  return missing;
}

/** Throws 503 naming what is missing, before anything is created that would need a mail. */
export function assertMailConfigured(env: Env): void {
  const missing = missingMailSettings(env);
  if (missing.length) {
    throw new ApiError({ code: 'service_unavailable', message: `E-mail is not configured on this gateway (missing: ${missing.join(', ')}).` });
  }
}

/** The sender for this environment. */
export function mailSender(env: Env): MailSender {
  if (outboxMode(env)) {
    return {
      async send(message) {
        await env.DB.prepare('INSERT INTO mail_outbox (id, "to", subject, text, html, created_at) VALUES (?, ?, ?, ?, ?, ?)')
          .bind(newId('mail'), message.to.toLowerCase(), message.subject, message.text, message.html, Date.now())
          .run();
      },
    };
  }
  assertMailConfigured(env);
  const url = env.MAIL_API_URL as string;
  const key = env.MAIL_API_KEY as string;
  const from = env.MAIL_FROM as string;
  return {
    async send(message) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ from, to: [message.to], subject: message.subject, text: message.text, html: message.html }),
      });
      if (!res.ok) {
        throw new ApiError({
          code: 'service_unavailable',
          message: 'The e-mail could not be sent; try again later.',
          internal: `mail API ${res.status}: ${(await res.text()).slice(0, 300)}`,
        });
      }
    },
  };
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** A mail with one call to action: plain text plus a simple HTML version of the same words. */
export function linkMail(to: string, subject: string, intro: string, action: string, link: string): MailMessage {
  const text = `${intro}\n\n${action}: ${link}\n\nIf you did not ask for this, ignore this message.\n`;
  const html = `<!doctype html><html><body style="font-family:sans-serif;line-height:1.5">
<p>${escapeHtml(intro)}</p>
<p><a href="${escapeHtml(link)}">${escapeHtml(action)}</a></p>
<p style="color:#666">Or paste this address into your browser: ${escapeHtml(link)}</p>
<p style="color:#666">If you did not ask for this, ignore this message.</p>
</body></html>`;
  return { to, subject, text, html };
}

/** Absolute http(s) URLs in a mail's text, in order, without duplicates. */
export function linksIn(text: string): string[] {
  return [...new Set(text.match(/https?:\/\/[^\s"'<>]+/g) ?? [])];
}
