// @ts-check
/**
 * A local webhook receiver, so alert deliveries can be seen: `npm start` runs it beside the mail
 * outbox, and the demo's webhook channel points at it. A web-standard handler:
 *
 *   POST /hooks/<name>            receive a delivery (answers 200, or ?status=<code> to answer that)
 *   PUT  /__inbox/secrets/<name>  {secret}: check the x-gateway-signature of <name>'s deliveries with it
 *   GET  /                        the deliveries, newest first, as a page (signature checked, body shown)
 *   GET  /__inbox                 the same as JSON
 *   DELETE /__inbox               forget everything
 *
 * The signature is checked the way docs/notifications.md tells a receiver to: HMAC-SHA256 over
 * `${t}.${body}` with the channel's secret, any v1 matching, t within five minutes.
 */
import { escapeHtml, page } from './html.mjs';

const MAX_KEPT = 200;
const TOLERANCE_S = 300;

/**
 * @typedef {{ id: number, name: string, receivedAt: number, status: number, headers: Record<string, string>, body: string, signature: 'valid' | 'invalid' | 'unchecked' }} Delivery
 */

/** @param {string} secret @param {string} text */
async function hmacHex(secret, text) {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const sig = new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(text)));
  return [...sig].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * @param {string} secret
 * @param {string} header
 * @param {string} body
 * @param {number} nowMs
 */
export async function signatureValid(secret, header, body, nowMs = Date.now()) {
  const items = header.split(',').map((part) => part.split('='));
  const t = Number(items.find(([k]) => k === 't')?.[1]);
  if (!Number.isFinite(t) || Math.abs(nowMs / 1000 - t) > TOLERANCE_S) return false;
  const expected = await hmacHex(secret, `${t}.${body}`);
  return items.some(([k, v]) => k === 'v1' && v === expected);
}

/** @param {{ log?: (line: string) => void }} [options] */
export function createWebhookInbox({ log = () => {} } = {}) {
  /** @type {Delivery[]} */
  let deliveries = [];
  /** @type {Map<string, string>} */
  const secrets = new Map();
  let next = 1;

  return async function inbox(/** @type {Request} */ request) {
    const url = new URL(request.url);
    const path = url.pathname;
    if (request.method === 'POST' && path.startsWith('/hooks/')) {
      const name = decodeURIComponent(path.slice('/hooks/'.length)) || 'default';
      const body = await request.text();
      const status = Number(url.searchParams.get('status') ?? 200) || 200;
      const header = request.headers.get('x-gateway-signature');
      const secret = secrets.get(name);
      /** @type {Delivery['signature']} */
      const signature = header && secret ? ((await signatureValid(secret, header, body)) ? 'valid' : 'invalid') : 'unchecked';
      /** @type {Record<string, string>} */
      const headers = {};
      request.headers.forEach((v, k) => {
        if (k.startsWith('x-gateway-') || k === 'content-type' || k === 'user-agent') headers[k] = v;
      });
      deliveries = [{ id: next++, name, receivedAt: Date.now(), status, headers, body, signature }, ...deliveries].slice(0, MAX_KEPT);
      log(`${name} ← ${headers['x-gateway-event-type'] ?? 'message'} ${headers['x-gateway-event-id'] ?? ''} (signature ${signature}) → ${status}`);
      return new Response(status < 300 ? 'received' : 'failing on purpose', { status });
    }
    if (request.method === 'PUT' && path.startsWith('/__inbox/secrets/')) {
      const name = decodeURIComponent(path.slice('/__inbox/secrets/'.length));
      const { secret } = /** @type {{ secret?: unknown }} */ (await request.json().catch(() => ({})));
      if (typeof secret !== 'string' || !secret) return Response.json({ error: 'send {"secret": "whsec_…"}' }, { status: 400 });
      secrets.set(name, secret);
      return Response.json({ name, checking: true });
    }
    if (request.method === 'GET' && path === '/__inbox') return Response.json({ deliveries });
    if (request.method === 'DELETE' && path === '/__inbox') {
      deliveries = [];
      return Response.json({ cleared: true });
    }
    if (request.method === 'GET' && path === '/') return new Response(render(deliveries), { headers: { 'content-type': 'text/html; charset=utf-8' } });
    return Response.json({ error: 'not found' }, { status: 404 });
  };
}

/** @param {string} body */
function pretty(body) {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

/** @param {Delivery[]} deliveries */
function render(deliveries) {
  const items = deliveries.map(
    (d) => `<section>
  <h2>${escapeHtml(d.headers['x-gateway-event-type'] ?? 'message')} <span class="muted">to /hooks/${escapeHtml(d.name)} · ${escapeHtml(new Date(d.receivedAt).toISOString())} · answered ${d.status}</span></h2>
  <p class="muted">signature: <strong>${escapeHtml(d.signature)}</strong>${d.headers['x-gateway-event-id'] ? ` · event ${escapeHtml(d.headers['x-gateway-event-id'])}` : ''}</p>
  <pre>${escapeHtml(pretty(d.body))}</pre>
</section>`,
  );
  return page(
    'Webhook inbox',
    `<h1>Webhook inbox</h1><p class="muted">Alert deliveries the gateway sent to this machine, newest first (the last ${MAX_KEPT}). Reload to see new ones.</p>${
      items.join('\n') || '<p>Nothing yet.</p>'
    }<style>main{max-width:52rem} pre{background:#f4f5f7;padding:.8rem;border-radius:6px;overflow:auto;font-size:.8rem} h2{font-size:1rem;margin:1.4rem 0 .2rem}</style>`,
  );
}
