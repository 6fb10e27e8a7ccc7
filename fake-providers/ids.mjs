// @ts-check
/** Random identifiers for the fake providers (web crypto only, so they also run inside workerd). */

export const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Bitcoin's base58 alphabet, which BTCPay uses for invoice, store and delivery ids. */
export const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/**
 * `length` characters drawn uniformly from `alphabet` (rejection sampling, so no modulo bias).
 * @param {number} length
 * @param {string} [alphabet]
 */
export function randomString(length, alphabet = ALPHANUMERIC) {
  const limit = 256 - (256 % alphabet.length);
  let out = '';
  while (out.length < length) {
    for (const byte of crypto.getRandomValues(new Uint8Array(length * 2))) {
      if (byte < limit) out += alphabet[byte % alphabet.length];
      if (out.length === length) break;
    }
  }
  return out;
}

/**
 * A Stripe-style id such as `cus_…` or `cs_test_…`.
 * @param {string} prefix
 */
export function stripeId(prefix) {
  return `${prefix}${randomString(24)}`;
}
