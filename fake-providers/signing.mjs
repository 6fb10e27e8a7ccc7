// @ts-check
/** Webhook signatures as the real providers compute them (web crypto only). */

const encoder = new TextEncoder();

/**
 * Lowercase hex HMAC-SHA256 of `message` under `secret` (both UTF-8).
 * @param {string} secret
 * @param {string} message
 */
export async function hmacSha256Hex(secret, message) {
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(message)));
  return Array.from(mac, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/**
 * Stripe's `Stripe-Signature` header: `t=<unix s>,v1=<hex HMAC-SHA256(secret, "<t>.<payload>")>`.
 * @param {string} secret
 * @param {string} payload the exact body that will be sent
 * @param {number} timestamp unix seconds
 */
export async function stripeSignature(secret, payload, timestamp) {
  return `t=${timestamp},v1=${await hmacSha256Hex(secret, `${timestamp}.${payload}`)}`;
}

/**
 * BTCPay's `BTCPay-Sig` header: `sha256=<hex HMAC-SHA256(secret, raw body)>`.
 * @param {string} secret
 * @param {string} payload the exact body that will be sent
 */
export async function btcpaySignature(secret, payload) {
  return `sha256=${await hmacSha256Hex(secret, payload)}`;
}
