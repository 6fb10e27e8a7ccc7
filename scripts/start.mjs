#!/usr/bin/env node
/**
 * `npm start`: everything local and offline. The demo origin (a fake OpenAI-compatible GPU
 * server) on 127.0.0.1:9100, a fake Stripe on 127.0.0.1:12111 and a fake BTCPay Server on
 * 127.0.0.1:23000 (their webhooks go to the gateway), the gateway (wrangler dev) on
 * 127.0.0.1:8787 and the dashboard (built with `npm run build -w dashboard`, served by wrangler
 * pages dev) on 127.0.0.1:8788, all state under .local/state, demo data seeded through the admin
 * API and written to .local/demo.json. Ctrl-C stops everything; state stays (the fakes' state
 * lives in memory and does not). The work is done by ./lib/stack.mjs, which the browser tests
 * (e2e/) also use to run a second stack on other ports.
 */
import { PortInUseError, createStack } from './lib/stack.mjs';
import { tagged } from './lib/output.mjs';

const say = tagged('start');
let stopping = false;

const stack = createStack({
  // ports, state dir (.local/state), .dev.vars and .local/demo.json: the defaults.
  say,
  onUnexpectedExit: (reason) => {
    say(`${reason}; stopping the rest.`);
    shutdown(1);
  },
});

/**
 * Stop every child (process groups, then wait) and the in-process servers, then exit.
 * @param {number} code
 */
async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  if (stack.running) say('stopping…');
  const killed = await stack.stop();
  if (killed.length > 0) say(`killed ${killed.join(' and ')} after it ignored SIGTERM`);
  process.exit(code);
}

process.on('SIGINT', () => (stopping ? process.exit(130) : shutdown(0)));
process.on('SIGTERM', () => shutdown(0));

async function main() {
  try {
    await stack.start();
  } catch (error) {
    if (error instanceof PortInUseError) {
      console.error(
        `Port ${error.port} on ${error.host} is already in use; npm start needs it for ${error.what}.\n` +
          `Stop whatever is listening there (perhaps an earlier npm start) and run npm start again.`,
      );
      process.exit(1);
    }
    throw error;
  }
  if (stopping) return;
  console.log(instructions(/** @type {import('./lib/seed.d.mts').DemoRecord} */ (stack.demo), stack.urls));
}

/**
 * What to do next, with copy-paste commands.
 * @param {import('./lib/seed.d.mts').DemoRecord} demo
 * @param {typeof stack.urls} urls
 */
function instructions(demo, urls) {
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
    `               sign in as ${demo.userEmail} / ${demo.userPassword}   (the demo user: owner of the demo organisation, $10 of credit)`,
    `               or as ${demo.organization.developer.email} / ${demo.organization.developer.password}   (a developer in its Research project)`,
    `               or as ${demo.organization.viewer.email} / ${demo.organization.viewer.password}   (a viewer)`,
    `               or as ${demo.adminEmail} / ${demo.adminPassword}   (the demo admin)`,
    `               new sign-ups get their verification mail at ${demo.dashboardUrl}/dev/mail`,
    `               API reference (the management API, OpenAPI 3.1) at ${demo.dashboardUrl}/docs`,
    `  demo origin  ${urls.origin}   (models ${demo.model}, ${demo.embeddingModel})`,
    `  fake Stripe  ${urls.stripe}   (test mode: checkout pages at /checkout/<id>; test cards pm_card_visa,`,
    `               pm_card_authenticationRequired, pm_card_chargeCustomerFail; state at /__fake/state)`,
    `  fake BTCPay  ${urls.btcpay}   (regtest: invoice pages at /i/<id>, on-chain and Lightning; state at /__fake/state)`,
    `  webhooks     ${urls.inbox}   (the local webhook inbox: the demo's budget alerts, signatures checked)`,
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
