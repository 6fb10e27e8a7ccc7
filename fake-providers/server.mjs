#!/usr/bin/env node
/**
 * Runs the fake Stripe (./stripe.mjs) and the fake BTCPay Server (./btcpay.mjs) as Node HTTP
 * servers whose webhooks POST to the gateway. `npm start` starts both; to run them alone:
 *
 *   STRIPE_WEBHOOK_SECRET=whsec_… BTCPAY_API_KEY=… BTCPAY_STORE_ID=… BTCPAY_WEBHOOK_SECRET=… \
 *     node fake-providers/server.mjs [--gateway http://127.0.0.1:8787] [--host 127.0.0.1] \
 *       [--stripe-port 12111] [--btcpay-port 23000]
 *
 * STRIPE_SECRET_KEY, when set, is the only key the fake Stripe accepts (else any sk_test_…).
 * Deliveries are retried like the real providers do (5xx, 408, 429 and network errors; any other
 * status is final), only sooner: after 0.5, 1 and 2 s. One log line per delivery.
 */
import { closeServer, listen, toWebRequest } from '../scripts/lib/node-http.mjs';
import http from 'node:http';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createFakeBtcpay } from './btcpay.mjs';
import { createFakeStripe } from './stripe.mjs';
import { createWebhookInbox } from './webhook-inbox.mjs';

const DEFAULT_RETRY_DELAYS_MS = [500, 1000, 2000];
const DELIVERY_TIMEOUT_MS = 10_000;

/**
 * @typedef {object} ServerOptions
 * @property {number} [port] 0 picks a free one
 * @property {string} [host]
 * @property {string} [webhookUrl] where webhooks are POSTed; without one they are only logged
 * @property {string} [publicUrl] base URL of the checkout pages (default: the server's own URL)
 * @property {(line: string) => void} [log] one line per delivery (and per request with logRequests)
 * @property {boolean} [logRequests] also log every request the fake answers
 * @property {number[]} [retryDelaysMs] waits before each retry of a failed delivery
 */

/**
 * @template {(request: Request) => Promise<Response>} F
 * @typedef {{ url: string, port: number, fake: F, close(): Promise<void> }} RunningFake
 */

/**
 * Start the fake Stripe API (default port 12111, stripe-mock's port).
 * @param {ServerOptions & Omit<import('./stripe.d.mts').FakeStripeOptions, 'deliver' | 'publicUrl'>} options
 * @returns {Promise<RunningFake<import('./stripe.d.mts').FakeStripe>>}
 */
export function startFakeStripe({
  port = 12111,
  host = '127.0.0.1',
  webhookUrl,
  publicUrl,
  log = console.log,
  logRequests = false,
  retryDelaysMs = DEFAULT_RETRY_DELAYS_MS,
  ...options
}) {
  return startFake({ port, host, publicUrl, log, logRequests }, (base, signal) =>
    createFakeStripe({
      ...options,
      publicUrl: base,
      deliver: webhookPoster({
        url: webhookUrl,
        header: 'stripe-signature',
        userAgent: 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
        describe: (/** @type {import('./stripe.d.mts').StripeEvent} */ event) => `${event.type} ${event.id}`,
        log,
        retryDelaysMs,
        signal,
      }),
    }),
  );
}

/**
 * Start the fake BTCPay Server (default port 23000).
 * @param {ServerOptions & Omit<import('./btcpay.d.mts').FakeBtcpayOptions, 'deliver' | 'publicUrl'>} options
 * @returns {Promise<RunningFake<import('./btcpay.d.mts').FakeBtcpay>>}
 */
export function startFakeBtcpay({
  port = 23000,
  host = '127.0.0.1',
  webhookUrl,
  publicUrl,
  log = console.log,
  logRequests = false,
  retryDelaysMs = DEFAULT_RETRY_DELAYS_MS,
  ...options
}) {
  return startFake({ port, host, publicUrl, log, logRequests }, (base, signal) =>
    createFakeBtcpay({
      ...options,
      publicUrl: base,
      deliver: webhookPoster({
        url: webhookUrl,
        header: 'btcpay-sig',
        userAgent: 'BTCPayServer (fake)',
        describe: (/** @type {import('./btcpay.d.mts').BtcpayWebhookEvent} */ event) =>
          `${event.type} ${event.deliveryId}${event.isRedelivery ? ` (redelivery of ${event.originalDeliveryId})` : ''} invoice ${event.invoiceId}`,
        log,
        retryDelaysMs,
        signal,
      }),
    }),
  );
}

/**
 * Listen, then build the fake with the URL it is reachable at.
 * @template {(request: Request) => Promise<Response>} F
 * @param {{ port: number, host: string, publicUrl?: string, log: (line: string) => void, logRequests: boolean }} options
 * @param {(publicUrl: string, closing: AbortSignal) => F} create
 * @returns {Promise<RunningFake<F>>}
 */
async function startFake({ port, host, publicUrl, log, logRequests }, create) {
  const closing = new AbortController();
  /** @type {F | undefined} */
  let fake;
  const server = http.createServer((req, res) => {
    serve(/** @type {F} */ (fake), req, res, logRequests ? log : undefined).catch((error) => {
      log(`unexpected error answering ${req.method} ${req.url}: ${error instanceof Error ? error.stack : error}`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { type: 'api_error', message: 'The fake provider crashed; see its log.' } }));
    });
  });
  const { url, port: boundPort } = await listen(server, port, host);
  fake = create(publicUrl ?? url, closing.signal);
  return {
    url,
    port: boundPort,
    fake,
    close() {
      closing.abort(); // pending delivery retries give up at once
      return closeServer(server);
    },
  };
}

/**
 * Adapt one node:http exchange to the web handler (answers are small: buffered, not streamed).
 * @param {(request: Request) => Promise<Response>} handler
 * @param {http.IncomingMessage} req
 * @param {http.ServerResponse} res
 * @param {((line: string) => void) | undefined} log
 */
async function serve(handler, req, res, log) {
  const response = await handler(await toWebRequest(req));
  const body = Buffer.from(await response.arrayBuffer());
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.end(body);
  log?.(`${req.method} ${req.url} ${response.status}`);
}

/**
 * A `deliver` that POSTs the signed payload to `url`, retrying transient failures, and logs one
 * line per delivery. Resolves with `{status, attempts}` (status null when it never got one).
 * @param {object} options
 * @param {string | undefined} options.url
 * @param {string} options.header the signature header's name
 * @param {string} options.userAgent
 * @param {(event: any) => string} options.describe
 * @param {(line: string) => void} options.log
 * @param {number[]} options.retryDelaysMs
 * @param {AbortSignal} options.signal aborted when the server closes
 */
function webhookPoster({ url, header, userAgent, describe, log, retryDelaysMs, signal }) {
  return async function deliver(/** @type {unknown} */ event, /** @type {{ payload: string, signature: string }} */ { payload, signature }) {
    const label = `webhook ${describe(event)}`;
    if (!url) {
      log(`${label} not delivered: no webhook URL`);
      return { status: null, attempts: 0 };
    }
    /** @type {string[]} */
    const outcomes = [];
    for (let attempt = 1; ; attempt += 1) {
      /** @type {number | null} */
      let status = null;
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': userAgent, [header]: signature },
          body: payload,
          signal: AbortSignal.any([signal, AbortSignal.timeout(DELIVERY_TIMEOUT_MS)]),
        });
        status = response.status;
        await response.arrayBuffer().catch(() => undefined);
        outcomes.push(String(status));
      } catch (error) {
        outcomes.push(failureReason(error));
      }
      const transient = status === null || status >= 500 || status === 408 || status === 429;
      if (!transient || attempt > retryDelaysMs.length || signal.aborted) {
        const tries = attempt > 1 ? ` (${attempt} attempts${transient ? ', gave up' : ''})` : '';
        log(`${label} → ${outcomes.join(', ')}${tries}`);
        return { status, attempts: attempt };
      }
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, retryDelaysMs[attempt - 1]);
        signal.addEventListener('abort', () => resolve(clearTimeout(timer)), { once: true });
      });
    }
  };
}

/**
 * A short reason for a failed fetch ("ECONNREFUSED", "timeout").
 * @param {unknown} error
 */
function failureReason(error) {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError') return 'timeout';
  if (error.name === 'AbortError') return 'aborted';
  const cause = /** @type {{ code?: string, message?: string } | undefined} */ (error.cause);
  return cause?.code ?? cause?.message ?? error.message;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      gateway: { type: 'string', default: 'http://127.0.0.1:8787' },
      host: { type: 'string', default: '127.0.0.1' },
      'stripe-port': { type: 'string', default: '12111' },
      'btcpay-port': { type: 'string', default: '23000' },
    },
  });
  const env = process.env;
  const missing = ['STRIPE_WEBHOOK_SECRET', 'BTCPAY_API_KEY', 'BTCPAY_STORE_ID', 'BTCPAY_WEBHOOK_SECRET'].filter((name) => !env[name]);
  if (missing.length > 0) {
    console.error(`fake providers: set ${missing.join(', ')} (the values in .dev.vars, so the gateway agrees).`);
    process.exit(1);
  }
  const gateway = values.gateway.replace(/\/+$/, '');
  try {
    const stripe = await startFakeStripe({
      port: Number(values['stripe-port']),
      host: values.host,
      webhookUrl: `${gateway}/api/webhooks/stripe`,
      webhookSecret: /** @type {string} */ (env.STRIPE_WEBHOOK_SECRET),
      secretKey: env.STRIPE_SECRET_KEY || undefined,
      log: (line) => console.log(`stripe: ${line}`),
      logRequests: true,
    });
    const btcpay = await startFakeBtcpay({
      port: Number(values['btcpay-port']),
      host: values.host,
      webhookUrl: `${gateway}/api/webhooks/btcpay`,
      webhookSecret: /** @type {string} */ (env.BTCPAY_WEBHOOK_SECRET),
      apiKey: /** @type {string} */ (env.BTCPAY_API_KEY),
      storeId: /** @type {string} */ (env.BTCPAY_STORE_ID),
      log: (line) => console.log(`btcpay: ${line}`),
      logRequests: true,
    });
    console.log(`fake Stripe on ${stripe.url}, fake BTCPay on ${btcpay.url}; webhooks to ${gateway}/api/webhooks/{stripe,btcpay}`);
    const stop = () => Promise.all([stripe.close(), btcpay.close()]).then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  } catch (error) {
    console.error(`fake providers: ${error instanceof Error ? error.message : error}`);
    process.exit(1);
  }
}

/**
 * Start the local webhook inbox (./webhook-inbox.mjs; default port 9200).
 * @param {{ port?: number, host?: string, log?: (line: string) => void }} options
 */
export function startWebhookInbox({ port = 9200, host = '127.0.0.1', log = console.log } = {}) {
  return startFake({ port, host, log, logRequests: false }, () => createWebhookInbox({ log }));
}
