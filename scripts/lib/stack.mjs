/**
 * The whole local stack, started and stopped as one: the demo origin (fake GPU server), the fake
 * Stripe and BTCPay Server, the dashboard build, the gateway (wrangler dev) and the dashboard
 * (wrangler pages dev), then the demo data. `npm start` runs it on the default ports with state
 * in .local/state; the browser tests (e2e/) run a second one on other ports with a throwaway
 * state directory, its own secrets file and its own wrangler dev registry, so the two never meet.
 */
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDemoOrigin } from '../../demo-origin/server.mjs';
import { startFakeBtcpay, startFakeStripe, startWebhookInbox } from '../../fake-providers/server.mjs';
import { killChildrenNow, spawnChild, stopChildren } from './children.mjs';
import { startCronTicker } from './cron-ticker.mjs';
import { ensureDemo } from './demo-file.mjs';
import { ensureDevVars } from './dev-vars.mjs';
import { waitForHealth, waitForUrl } from './gateway-api.mjs';
import { tagged } from './output.mjs';
import { freePorts, isPortFree, PORT_USERS, PortInUseError } from './ports.mjs';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const DEFAULT_HOST = '127.0.0.1';
/** The ports `npm start` uses. */
export const DEFAULT_PORTS = Object.freeze({ gateway: 8787, dashboard: 8788, origin: 9100, stripe: 12111, btcpay: 23000, inbox: 9200 });
const HEALTH_TIMEOUT_MS = 120_000;
const WRANGLER = createRequire(import.meta.url).resolve('wrangler/bin/wrangler.js');

export { PortInUseError };

/**
 * @typedef {keyof typeof DEFAULT_PORTS} PortName
 * @typedef {(tag: Parameters<typeof tagged>[0]) => (line: string) => void} OutputFactory
 *
 * @typedef {object} StackOptions
 * @property {Partial<Record<PortName, number>>} [ports] defaults: DEFAULT_PORTS
 * @property {string} [host]
 * @property {string} [stateDir] D1/KV/DO state (relative to the repo root or absolute); default .local/state
 * @property {string} [devVarsFile] the secrets file; default the repo root's .dev.vars, which wrangler
 *   reads by itself. Any other file is passed with --env-file (and .dev.vars is then not read).
 * @property {Record<string, string>} [vars] extra values for the secrets file, written when absent
 *   (e.g. DASHBOARD_URL, MAIL_MODE); the fakes' URLs are always among them
 * @property {string} [demoFile] where the demo record is kept; default .local/demo.json
 * @property {string} [registryPath] wrangler's dev registry (how the dashboard finds the gateway);
 *   default wrangler's global one. A second stack must use its own.
 * @property {boolean} [build] run `npm run build -w dashboard` first (default true)
 * @property {string} [dashboardDir] build the dashboard into this directory (absolute) and serve it
 *   from there instead of dashboard/dist, so a second stack never rebuilds the files another serves
 * @property {boolean} [watchConfig] whether wrangler reloads when a wrangler.toml changes (default
 *   true; tests turn it off so an edit in progress cannot take their stack down mid-run)
 * @property {number} [tokensPerSecond] the demo origin's generation speed (default 40)
 * @property {boolean} [cron] fire the cron triggers on their schedules (default true; cron-ticker.mjs)
 * @property {OutputFactory} [output] printers for each source's lines; default tagged stdout
 * @property {(line: string) => void} [say] progress messages; default output('start')
 * @property {(reason: string) => void} [onUnexpectedExit] a server process died while running
 */

/**
 * Start everything and seed the demo data. Throws PortInUseError before starting anything when a
 * port is taken; on any other failure it stops what it started, then throws.
 * @param {StackOptions} [options]
 */
export async function startStack(options = {}) {
  const stack = createStack(options);
  try {
    await stack.start();
  } catch (error) {
    await stack.stop();
    throw error;
  }
  return stack;
}

/**
 * The stack as an object whose stop() also works halfway through start() (Ctrl-C during
 * startup). startStack() is start() plus cleanup on failure.
 * @param {StackOptions} [options]
 */
export function createStack({
  ports: portOverrides = {},
  host = DEFAULT_HOST,
  stateDir = '.local/state',
  devVarsFile,
  vars: extraVars = {},
  demoFile = join(ROOT, '.local', 'demo.json'),
  registryPath,
  build = true,
  dashboardDir,
  watchConfig = true,
  tokensPerSecond = 40,
  cron = true,
  output = (tag) => tagged(tag, { filter: true }),
  say: sayOption,
  onUnexpectedExit,
} = {}) {
  const ports = { ...DEFAULT_PORTS, ...portOverrides };
  const url = (/** @type {number} */ port) => `http://${host}:${port}`;
  const urls = {
    gateway: url(ports.gateway),
    dashboard: url(ports.dashboard),
    origin: `${url(ports.origin)}/v1`,
    stripe: url(ports.stripe),
    btcpay: url(ports.btcpay),
    inbox: url(ports.inbox),
  };
  const state = isAbsolute(stateDir) ? stateDir : resolve(ROOT, stateDir);
  const customVarsFile = devVarsFile !== undefined && resolve(ROOT, devVarsFile) !== join(ROOT, '.dev.vars');
  const varsFile = devVarsFile === undefined ? join(ROOT, '.dev.vars') : resolve(ROOT, devVarsFile);
  const say = sayOption ?? output('start');
  /** Offline and quiet: no banner/update check, no telemetry, no fetch of the Request.cf object. */
  const wranglerEnv = {
    ...process.env,
    WRANGLER_HIDE_BANNER: 'true',
    WRANGLER_SEND_METRICS: 'false',
    CLOUDFLARE_CF_FETCH_ENABLED: 'false',
    ...(registryPath ? { WRANGLER_REGISTRY_PATH: registryPath } : {}),
    ...(watchConfig ? {} : { WRANGLER_CI_DISABLE_CONFIG_WATCHING: 'true' }),
  };

  /** @type {import('./children.mjs').Child[]} */
  const children = [];
  /** @type {Array<{ close(): Promise<void> }>} */
  const servers = [];
  let stopping = false;
  /** @type {Promise<string[]> | undefined} */
  let stopped;
  /** @type {{ stop(): void } | undefined} */
  let ticker;
  const exitHandler = () => killChildrenNow(children); // last resort if the process dies some other way
  const childExited = new AbortController();

  /** A child's printer that goes quiet once we are stopping (broken pipes while tearing down). */
  const childOutput = (/** @type {Parameters<typeof tagged>[0]} */ tag) => {
    const print = output(tag);
    return (/** @type {string} */ line) => {
      if (!stopping) print(line);
    };
  };

  /**
   * Run a command to completion as a tracked child (so stop() ends it too).
   * @param {Omit<import('./children.mjs').ChildSpec, 'print'> & { tag: Parameters<typeof tagged>[0] }} spec
   */
  async function runToEnd({ tag, ...spec }) {
    const child = spawnChild({ ...spec, print: childOutput(tag) });
    children.push(child);
    const { code, signal } = await child.exited;
    children.splice(children.indexOf(child), 1);
    if (stopping) throw new Error('stopped');
    if (code !== 0) throw new Error(`${spec.name} failed (${signal ?? `exit code ${code}`})`);
  }

  const stack = {
    ports,
    urls,
    host,
    stateDir: state,
    devVarsFile: varsFile,
    /** @type {Record<string, string>} */
    vars: {},
    /** @type {import('./seed.d.mts').DemoRecord | undefined} */
    demo: undefined,
    /** Whether the demo record from an earlier run was kept. */
    reusedDemo: false,
    /** Whether the dashboard answered GET / by the end of start(). */
    dashboardUp: false,
    /** Aborted when a server process exits while the stack is running. */
    childExited: childExited.signal,
    get stopping() {
      return stopping;
    },

    async start() {
      for (const [name, port] of Object.entries(ports)) {
        if (!(await isPortFree(port, host))) throw new PortInUseError(port, host, PORT_USERS[/** @type {PortName} */ (name)]);
      }
      process.on('exit', exitHandler);

      await mkdir(state, { recursive: true });
      const { vars, created } = await ensureDevVars(varsFile, {
        STRIPE_API_BASE: urls.stripe,
        BTCPAY_URL: urls.btcpay,
        ...(ports.dashboard !== DEFAULT_PORTS.dashboard ? { DASHBOARD_URL: urls.dashboard } : {}),
        ...extraVars,
      });
      stack.vars = vars;
      if (created.length > 0) say(`wrote ${created.join(', ')} to ${customVarsFile ? varsFile : '.dev.vars'}`);

      if (build) {
        say('building the dashboard…');
        await runToEnd({
          tag: 'dash',
          name: 'the dashboard build (npm run build -w dashboard)',
          ...npmCommand(['run', 'build', '--silent', '-w', 'dashboard', ...(dashboardDir ? ['--', '--outDir', dashboardDir, '--emptyOutDir'] : [])]),
          cwd: ROOT,
          env: { ...process.env, npm_config_update_notifier: 'false' },
        });
      }

      say('applying D1 migrations…');
      await runToEnd({
        tag: 'd1',
        name: 'D1 migrations',
        command: process.execPath,
        args: [WRANGLER, 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', state],
        cwd: ROOT,
        env: { ...wranglerEnv, CI: '1' }, // CI: never ask for confirmation
      });

      const origin = await startDemoOrigin({
        port: ports.origin,
        host,
        apiKey: vars.DEMO_ORIGIN_KEY,
        tokensPerSecond,
        logRequests: output('origin'),
      });
      servers.push(origin);
      say(`demo origin on ${urls.origin} (${tokensPerSecond} tokens/s)`);
      await startPaymentFakes(vars);
      const inbox = await startWebhookInbox({ port: ports.inbox, host, log: output('inbox') });
      servers.push(inbox);
      say(`webhook inbox on ${urls.inbox} (alert deliveries to ${urls.inbox}/hooks/<name>)`);
      if (stopping) throw new Error('stopped');

      // Two wrangler processes would both pick inspector port 9229 and one would crash.
      const [gatewayInspector, dashboardInspector] = await freePorts(2, host);
      if (stopping) throw new Error('stopped');
      const wranglerArgs = ['--ip', host, '--show-interactive-dev-session=false'];
      const envFileArgs = customVarsFile ? ['--env-file', varsFile] : [];
      children.push(
        spawnChild({
          name: 'the gateway (wrangler dev)',
          command: process.execPath,
          args: [
            WRANGLER,
            'dev',
            ...wranglerArgs,
            '--port',
            String(ports.gateway),
            '--persist-to',
            state,
            '--inspector-port',
            String(gatewayInspector),
            ...(cron ? ['--test-scheduled'] : []),
            ...envFileArgs,
          ],
          cwd: ROOT,
          env: wranglerEnv,
          print: childOutput('gateway'),
        }),
        spawnChild({
          name: 'the dashboard (wrangler pages dev)',
          command: process.execPath,
          // Without a directory argument, pages_build_output_dir in dashboard/wrangler.toml says what to serve.
          args: [
            WRANGLER,
            'pages',
            'dev',
            ...(dashboardDir ? [dashboardDir] : []),
            ...wranglerArgs,
            '--port',
            String(ports.dashboard),
            '--persist-to',
            state,
            '--inspector-port',
            String(dashboardInspector),
          ],
          cwd: join(ROOT, 'dashboard'),
          env: wranglerEnv,
          print: childOutput('dash'),
        }),
      );
      for (const child of children) {
        child.exited.then(({ code, signal }) => {
          if (stopping) return;
          childExited.abort();
          onUnexpectedExit?.(`${child.name} exited unexpectedly (${signal ?? `exit code ${code}`})`);
        });
      }

      say(`waiting for ${urls.gateway}/api/health…`);
      const healthy = await waitForHealth({ gatewayUrl: urls.gateway, timeoutMs: HEALTH_TIMEOUT_MS, signal: childExited.signal });
      if (stopping) throw new Error('stopped');
      if (!healthy && childExited.signal.aborted) {
        throw new Error('a server process exited while starting; see its output (tagged "gateway" or "dash").');
      }
      if (!healthy) {
        throw new Error(
          `the gateway did not answer GET ${urls.gateway}/api/health with 200 within ${HEALTH_TIMEOUT_MS / 1000} s; see its output (tagged "gateway").`,
        );
      }

      const { demo, reused } = await ensureDemo({
        file: demoFile,
        gatewayUrl: urls.gateway,
        dashboardUrl: urls.dashboard,
        adminToken: vars.ADMIN_TOKEN,
        originUrl: urls.origin,
        inboxUrl: urls.inbox,
      });
      stack.demo = demo;
      stack.reusedDemo = reused;
      if (cron) ticker = startCronTicker({ gatewayUrl: urls.gateway, say });
      say(reused ? `demo data from ${displayPath(demoFile)} still works; kept it` : `seeded demo data into ${displayPath(demoFile)}`);
      // The dashboard needs no seeding; wait for it so it answers once start() resolves.
      stack.dashboardUp = await waitForUrl({ url: `${urls.dashboard}/`, timeoutMs: 60_000, signal: childExited.signal });
      if (stopping) throw new Error('stopped');
      if (!stack.dashboardUp) say(`the dashboard is not answering on ${urls.dashboard} yet; see its output (tagged "dash").`);
      return stack;
    },

    /**
     * Stop every child (process groups, SIGKILL after a grace period) and the in-process servers.
     * Idempotent. Resolves with the names of the children that had to be killed.
     */
    stop() {
      if (stopped) return stopped;
      stopping = true;
      ticker?.stop();
      stopped = (async () => {
        const killed = await stopChildren(children);
        await Promise.all(servers.map((server) => server.close()));
        process.off('exit', exitHandler);
        return killed;
      })();
      return stopped;
    },

    /** Whether anything was started that stop() would stop. */
    get running() {
      return children.length > 0 || servers.length > 0;
    },
  };

  /**
   * Start the fake Stripe and fake BTCPay with the secrets from the secrets file (so the gateway and
   * the fakes agree), sending their webhooks to the gateway. They answer before the gateway is up;
   * a webhook that finds it down is retried a few times, then dropped with a log line.
   * @param {Record<string, string>} vars
   */
  async function startPaymentFakes(vars) {
    const stripe = await startFakeStripe({
      port: ports.stripe,
      host,
      webhookUrl: `${urls.gateway}/api/webhooks/stripe`,
      webhookSecret: vars.STRIPE_WEBHOOK_SECRET,
      // A non-test key in the secrets file is not ours to check against; then any sk_test_ key works.
      secretKey: vars.STRIPE_SECRET_KEY?.startsWith('sk_test_') ? vars.STRIPE_SECRET_KEY : undefined,
      log: output('stripe'),
      logRequests: true,
    });
    servers.push(stripe);
    const btcpay = await startFakeBtcpay({
      port: ports.btcpay,
      host,
      webhookUrl: `${urls.gateway}/api/webhooks/btcpay`,
      webhookSecret: vars.BTCPAY_WEBHOOK_SECRET,
      apiKey: vars.BTCPAY_API_KEY,
      storeId: vars.BTCPAY_STORE_ID,
      log: output('btcpay'),
      logRequests: true,
    });
    servers.push(btcpay);
    say(`fake Stripe on ${stripe.url}, fake BTCPay on ${btcpay.url} (webhooks to ${urls.gateway}/api/webhooks/…)`);
    const file = customVarsFile ? varsFile : '.dev.vars';
    for (const [name, expected] of [
      ['STRIPE_API_BASE', urls.stripe],
      ['BTCPAY_URL', urls.btcpay],
    ]) {
      if (vars[name] !== expected) say(`note: ${file} sets ${name}=${vars[name]}, so the gateway does not use the fake at ${expected}`);
    }
  }

  return stack;
}

/** @typedef {ReturnType<typeof createStack>} Stack */

/**
 * How to run npm: through the npm that runs us (npm start sets npm_execpath), else `npm` on PATH.
 * @param {string[]} args
 */
function npmCommand(args) {
  const npmCli = process.env.npm_execpath;
  if (npmCli && /\.c?js$/.test(npmCli)) return { command: process.execPath, args: [npmCli, ...args] };
  return { command: 'npm', args };
}

/** @param {string} file */
function displayPath(file) {
  return file.startsWith(ROOT) ? file.slice(ROOT.length) : file;
}
