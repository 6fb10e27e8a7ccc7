#!/usr/bin/env node
/**
 * `npm start`: everything local and offline. The demo origin (a fake OpenAI-compatible GPU
 * server) on 127.0.0.1:9100, a fake Stripe on 127.0.0.1:12111 and a fake BTCPay Server on
 * 127.0.0.1:23000 (their webhooks go to the gateway), the gateway (wrangler dev) on
 * 127.0.0.1:8787 and the dashboard (wrangler pages dev) on 127.0.0.1:8788, all state under
 * .local/state, demo data seeded through the admin API and written to .local/demo.json.
 * Ctrl-C stops everything; state stays (the fakes' state lives in memory and does not).
 */
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDemoOrigin } from '../demo-origin/server.mjs';
import { startFakeBtcpay, startFakeStripe } from '../fake-providers/server.mjs';
import { killChildrenNow, spawnChild, stopChildren } from './lib/children.mjs';
import { ensureDemo } from './lib/demo-file.mjs';
import { ensureDevVars } from './lib/dev-vars.mjs';
import { waitForHealth, waitForUrl } from './lib/gateway-api.mjs';
import { tagged } from './lib/output.mjs';
import { freePorts, isPortFree } from './lib/ports.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const HOST = '127.0.0.1';
const GATEWAY_PORT = 8787;
const DASHBOARD_PORT = 8788;
const ORIGIN_PORT = 9100;
const STRIPE_PORT = 12111;
const BTCPAY_PORT = 23000;
const GATEWAY_URL = `http://${HOST}:${GATEWAY_PORT}`;
const DASHBOARD_URL = `http://${HOST}:${DASHBOARD_PORT}`;
const STRIPE_URL = `http://${HOST}:${STRIPE_PORT}`;
const BTCPAY_URL = `http://${HOST}:${BTCPAY_PORT}`;
const STATE_DIR = '.local/state';
const DEMO_FILE = join(ROOT, '.local', 'demo.json');
const HEALTH_TIMEOUT_MS = 120_000;
const WRANGLER = createRequire(import.meta.url).resolve('wrangler/bin/wrangler.js');
/** Offline and quiet: no banner/update check, no telemetry, no fetch of the Request.cf object. */
const WRANGLER_ENV = {
  ...process.env,
  WRANGLER_HIDE_BANNER: 'true',
  WRANGLER_SEND_METRICS: 'false',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
};

const say = tagged('start');
/** @type {import('./lib/children.mjs').Child[]} */
const children = [];
/** @type {Awaited<ReturnType<typeof startDemoOrigin>> | undefined} */
let origin;
/** In-process servers other than the origin (the fake payment providers), closed on shutdown. */
/** @type {Array<{ close(): Promise<void> }>} */
const servers = [];
let stopping = false;

/**
 * A tagged printer for a child's output that goes quiet once we are stopping (wrangler and
 * workerd report broken pipes and the like while their process group is torn down).
 * @param {Parameters<typeof tagged>[0]} tag
 */
function childOutput(tag) {
  const print = tagged(tag, { filter: true });
  return (/** @type {string} */ line) => {
    if (!stopping) print(line);
  };
}

/**
 * Stop every child (process groups, then wait) and the in-process servers, then exit.
 * @param {number} code
 */
async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  if (children.length > 0 || origin) say('stopping…');
  const killed = await stopChildren(children);
  if (killed.length > 0) say(`killed ${killed.join(' and ')} after it ignored SIGTERM`);
  await Promise.all([origin?.close(), ...servers.map((server) => server.close())]);
  process.exit(code);
}

process.on('SIGINT', () => (stopping ? process.exit(130) : shutdown(0)));
process.on('SIGTERM', () => shutdown(0));
process.on('exit', () => killChildrenNow(children)); // last resort if we die some other way

async function main() {
  for (const [port, what] of [
    [GATEWAY_PORT, 'the gateway (wrangler dev)'],
    [DASHBOARD_PORT, 'the dashboard (wrangler pages dev)'],
    [ORIGIN_PORT, 'the demo origin (fake GPU server)'],
    [STRIPE_PORT, 'the fake Stripe'],
    [BTCPAY_PORT, 'the fake BTCPay Server'],
  ]) {
    if (!(await isPortFree(Number(port), HOST))) {
      console.error(
        `Port ${port} on ${HOST} is already in use; npm start needs it for ${what}.\n` +
          `Stop whatever is listening there (perhaps an earlier npm start) and run npm start again.`,
      );
      process.exit(1);
    }
  }

  await mkdir(join(ROOT, STATE_DIR), { recursive: true });
  const { vars, created } = await ensureDevVars(join(ROOT, '.dev.vars'), {
    STRIPE_API_BASE: STRIPE_URL,
    BTCPAY_URL,
  });
  if (created.length > 0) say(`wrote ${created.join(', ')} to .dev.vars`);

  say('applying D1 migrations…');
  // Tracked like the servers, so Ctrl-C during migrations stops them too.
  const migrations = spawnChild({
    name: 'D1 migrations',
    command: process.execPath,
    args: [WRANGLER, 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', STATE_DIR],
    cwd: ROOT,
    env: { ...WRANGLER_ENV, CI: '1' }, // CI: never ask for confirmation
    print: childOutput('d1'),
  });
  children.push(migrations);
  const migrated = (await migrations.exited).code;
  children.splice(children.indexOf(migrations), 1);
  if (stopping) return;
  if (migrated !== 0) throw new Error(`applying D1 migrations failed (exit code ${migrated})`);

  origin = await startDemoOrigin({
    port: ORIGIN_PORT,
    host: HOST,
    apiKey: vars.DEMO_ORIGIN_KEY,
    tokensPerSecond: 40,
    logRequests: tagged('origin'),
  });
  say(`demo origin on ${origin.url}/v1 (40 tokens/s)`);
  await startPaymentFakes(vars);
  if (stopping) return;

  // Two wrangler processes would both pick inspector port 9229 and one would crash.
  const [gatewayInspector, dashboardInspector] = await freePorts(2, HOST);
  const wranglerArgs = ['--ip', HOST, '--show-interactive-dev-session=false'];
  children.push(
    spawnChild({
      name: 'the gateway (wrangler dev)',
      command: process.execPath,
      args: [WRANGLER, 'dev', ...wranglerArgs, '--port', String(GATEWAY_PORT), '--persist-to', STATE_DIR,
        '--inspector-port', String(gatewayInspector)],
      cwd: ROOT,
      env: WRANGLER_ENV,
      print: childOutput('gateway'),
    }),
    spawnChild({
      name: 'the dashboard (wrangler pages dev)',
      command: process.execPath,
      args: [WRANGLER, 'pages', 'dev', ...wranglerArgs, '--port', String(DASHBOARD_PORT),
        '--persist-to', join('..', STATE_DIR), '--inspector-port', String(dashboardInspector)],
      cwd: join(ROOT, 'dashboard'),
      env: WRANGLER_ENV,
      print: childOutput('dash'),
    }),
  );
  const childExited = new AbortController();
  for (const child of children) {
    child.exited.then(({ code, signal }) => {
      if (stopping) return;
      say(`${child.name} exited unexpectedly (${signal ?? `exit code ${code}`}); stopping the rest.`);
      childExited.abort();
      shutdown(1);
    });
  }

  say(`waiting for ${GATEWAY_URL}/api/health…`);
  const healthy = await waitForHealth({ gatewayUrl: GATEWAY_URL, timeoutMs: HEALTH_TIMEOUT_MS, signal: childExited.signal });
  if (stopping) return;
  if (!healthy) {
    throw new Error(
      `the gateway did not answer GET ${GATEWAY_URL}/api/health with 200 within ${HEALTH_TIMEOUT_MS / 1000} s; ` +
        'see its output above (tagged "gateway").',
    );
  }

  const { demo, reused } = await ensureDemo({
    file: DEMO_FILE,
    gatewayUrl: GATEWAY_URL,
    dashboardUrl: DASHBOARD_URL,
    adminToken: vars.ADMIN_TOKEN,
    originUrl: `${origin.url}/v1`,
  });
  say(reused ? 'demo data from .local/demo.json still works; kept it' : 'seeded demo data into .local/demo.json');
  // The dashboard needs no seeding; wait for it only so the summary is the last thing printed.
  if (!(await waitForUrl({ url: `${DASHBOARD_URL}/`, timeoutMs: 30_000, signal: childExited.signal }))) {
    say(`the dashboard is not answering on ${DASHBOARD_URL} yet; see its output (tagged "dash").`);
  }
  if (stopping) return;
  console.log(instructions(demo, origin.url));
}

/**
 * Start the fake Stripe and fake BTCPay with the secrets from .dev.vars (so the gateway and the
 * fakes agree), sending their webhooks to the gateway. They answer before the gateway is up;
 * a webhook that finds it down is retried a few times, then dropped with a log line.
 * @param {Record<string, string>} vars
 */
async function startPaymentFakes(vars) {
  const stripe = await startFakeStripe({
    port: STRIPE_PORT,
    host: HOST,
    webhookUrl: `${GATEWAY_URL}/api/webhooks/stripe`,
    webhookSecret: vars.STRIPE_WEBHOOK_SECRET,
    // A non-test key in .dev.vars is not ours to check against; then any sk_test_ key works.
    secretKey: vars.STRIPE_SECRET_KEY?.startsWith('sk_test_') ? vars.STRIPE_SECRET_KEY : undefined,
    log: tagged('stripe'),
    logRequests: true,
  });
  servers.push(stripe);
  const btcpay = await startFakeBtcpay({
    port: BTCPAY_PORT,
    host: HOST,
    webhookUrl: `${GATEWAY_URL}/api/webhooks/btcpay`,
    webhookSecret: vars.BTCPAY_WEBHOOK_SECRET,
    apiKey: vars.BTCPAY_API_KEY,
    storeId: vars.BTCPAY_STORE_ID,
    log: tagged('btcpay'),
    logRequests: true,
  });
  servers.push(btcpay);
  say(`fake Stripe on ${stripe.url}, fake BTCPay on ${btcpay.url} (webhooks to ${GATEWAY_URL}/api/webhooks/…)`);
  for (const [name, expected] of [['STRIPE_API_BASE', STRIPE_URL], ['BTCPAY_URL', BTCPAY_URL]]) {
    if (vars[name] !== expected) say(`note: .dev.vars sets ${name}=${vars[name]}, so the gateway does not use the fake at ${expected}`);
  }
}

/**
 * What to do next, with copy-paste commands.
 * @param {import('./lib/seed.d.mts').DemoRecord} demo
 * @param {string} originUrl
 */
function instructions(demo, originUrl) {
  const body = (/** @type {boolean} */ stream) =>
    JSON.stringify({ model: demo.model, messages: [{ role: 'user', content: 'Say hello' }], ...(stream ? { stream } : {}) });
  const curl = (/** @type {boolean} */ stream) =>
    [
      `  curl ${stream ? '-N ' : ''}${demo.gatewayUrl}/v1/chat/completions \\`,
      `    -H 'Authorization: Bearer ${demo.apiKey}' \\`,
      `    -H 'Content-Type: application/json' \\`,
      `    -d '${body(stream)}'`,
    ].join('\n');
  return [
    '',
    'Everything is running:',
    `  gateway      ${demo.gatewayUrl}   (OpenAI base URL ${demo.gatewayUrl}/v1)`,
    `  dashboard    ${demo.dashboardUrl}`,
    `  demo origin  ${originUrl}/v1   (models ${demo.model}, ${demo.embeddingModel})`,
    `  fake Stripe  ${STRIPE_URL}   (test mode: checkout pages at /checkout/<id>; test cards pm_card_visa,`,
    `               pm_card_authenticationRequired, pm_card_chargeCustomerFail; state at /__fake/state)`,
    `  fake BTCPay  ${BTCPAY_URL}   (regtest: invoice pages at /i/<id>, on-chain and Lightning; state at /__fake/state)`,
    `  demo keys    .local/demo.json   (admin token: ADMIN_TOKEN in .dev.vars)`,
    '',
    'A chat completion:',
    curl(false),
    '',
    'The same, streamed:',
    curl(true),
    '',
    'Ctrl-C stops everything; state stays in .local/state.',
    '',
  ].join('\n');
}

main().catch((error) => {
  if (stopping) return; // a failure caused by stopping is no news
  console.error(`npm start failed: ${error instanceof Error ? error.message : error}`);
  shutdown(1);
});
