/** The repo-root `.dev.vars` (local secrets for `wrangler dev`): created once, never overwritten. */
import { randomBytes, randomInt } from 'node:crypto';
import { appendFile, readFile, writeFile } from 'node:fs/promises';

/**
 * Parse dotenv-style `KEY=value` lines (quotes around the value are removed).
 * @param {string} text
 * @returns {Record<string, string>}
 */
export function parseDevVars(text) {
  /** @type {Record<string, string>} */
  const vars = {};
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!match) continue;
    vars[match[1]] = match[2].replace(/^(['"])(.*)\1$/, '$2');
  }
  return vars;
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Bitcoin's base58 alphabet, which BTCPay uses for store ids. */
const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/**
 * `length` random characters from `alphabet`.
 * @param {number} length
 * @param {string} alphabet
 */
function token(length, alphabet) {
  return Array.from({ length }, () => alphabet[randomInt(alphabet.length)]).join('');
}

/**
 * Make sure `.dev.vars` holds the local secrets: ADMIN_TOKEN, DEMO_ORIGIN_KEY, the fake
 * payment providers' keys (Stripe test-mode key and webhook secret, BTCPay API key, store id and
 * webhook secret), BETTER_AUTH_SECRET, and the local-only settings MAIL_MODE=outbox, LOCAL_DEV=1,
 * ADMIN_EMAILS=admin@example.com and DEMO_HISTORY=1, plus `fixed` values such as the fakes' URLs. A missing file is created; a
 * file missing some of them gets those appended; existing values are never changed.
 * @param {string} file
 * @param {Record<string, string>} [fixed] values to write when absent, e.g. STRIPE_API_BASE
 * @returns {Promise<{ vars: Record<string, string>, created: string[] }>} created: keys written now
 */
export async function ensureDevVars(file, fixed = {}) {
  /** @type {string | undefined} */
  let text;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (/** @type {NodeJS.ErrnoException} */ (error).code !== 'ENOENT') throw error;
  }
  const existing = parseDevVars(text ?? '');
  /** @type {Record<string, () => string>} */
  const wanted = {
    ADMIN_TOKEN: () => randomBytes(32).toString('hex'),
    DEMO_ORIGIN_KEY: () => randomBytes(24).toString('hex'),
    STRIPE_SECRET_KEY: () => `sk_test_fake_${token(24, ALPHANUMERIC)}`,
    STRIPE_WEBHOOK_SECRET: () => `whsec_${token(32, ALPHANUMERIC)}`,
    BTCPAY_API_KEY: () => randomBytes(20).toString('hex'), // BTCPay's keys are 40 hex digits
    BTCPAY_STORE_ID: () => token(44, BASE58),
    BTCPAY_WEBHOOK_SECRET: () => token(32, BASE58),
    // Signs sessions and CSRF tokens, encrypts TOTP secrets; random per machine.
    BETTER_AUTH_SECRET: () => randomBytes(32).toString('base64url'),
    // Mail goes to the local outbox (/api/dev/mail, the dashboard's /dev/mail), never the network.
    MAIL_MODE: () => 'outbox',
    // Marks this deployment as local: without it the outbox is neither written nor served.
    LOCAL_DEV: () => '1',
    // The demo admin (scripts/lib/seed.mjs) gets the admin role at sign-up.
    ADMIN_EMAILS: () => 'admin@example.com',
    // The seed's ~60 days of demo history (POST /api/admin/demo/{id}/history answers 404 without it).
    DEMO_HISTORY: () => '1',
    ...Object.fromEntries(Object.entries(fixed).map(([key, value]) => [key, () => value])),
  };
  const created = Object.keys(wanted).filter((key) => !existing[key]);
  if (created.length > 0) {
    const lines = created.map((key) => `${key}=${wanted[key]()}`);
    if (text === undefined) {
      const header = '# Local secrets for `wrangler dev` (created by `npm start`; never committed).\n';
      await writeFile(file, `${header + lines.join('\n')}\n`, { mode: 0o600 });
    } else {
      await appendFile(file, `${(text.endsWith('\n') || text === '' ? '' : '\n') + lines.join('\n')}\n`);
    }
  }
  return { vars: parseDevVars(await readFile(file, 'utf8')), created };
}
