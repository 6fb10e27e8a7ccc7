/**
 * Starts the browser tests' stack once for the whole run and stops it afterwards, also when
 * tests fail or time out (vitest runs the returned teardown; a process 'exit' handler inside the
 * stack kills anything still running if the run dies another way). Everything lives in a fresh
 * temporary directory (D1/KV/DO state, the secrets file, the demo record, wrangler's dev
 * registry) that is removed at the end. The stack's output goes to .local/e2e/stack.log.
 */
import { createWriteStream, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { ROOT, startStack } from '../scripts/lib/stack.mjs';
import { tagged } from '../scripts/lib/output.mjs';
import { freePorts, isPortFree } from '../scripts/lib/ports.mjs';
import { E2E_PORTS } from './ports';

export interface E2EStack {
  gatewayUrl: string;
  dashboardUrl: string;
  stripeUrl: string;
  btcpayUrl: string;
  /** The local webhook inbox (fake-providers/webhook-inbox.mjs). */
  inboxUrl: string;
  adminToken: string;
  /** The demo admin seeded like npm start seeds it (sign-up + outbox verification; role admin). */
  admin: { email: string; password: string };
  /** The demo user: owner of the demo organisation, with its ~60 days of demo history. */
  user: { email: string; password: string };
  logFile: string;
  startedAt: number;
}

declare module 'vitest' {
  export interface ProvidedContext {
    stack: E2EStack;
  }
}

export default async function setup(project: TestProject) {
  const startedAt = Date.now();
  const dir = await mkdtemp(join(tmpdir(), 'gateway-e2e-'));

  const logDir = join(ROOT, '.local', 'e2e');
  await mkdir(logDir, { recursive: true });
  const logFile = join(logDir, 'stack.log');
  const log = createWriteStream(logFile);
  const ports = await choosePorts();
  const stack = await startStack({
    ports,
    stateDir: join(dir, 'state'),
    devVarsFile: join(dir, 'dev.vars'),
    demoFile: join(dir, 'demo.json'),
    registryPath: join(dir, 'wrangler-registry'),
    // MAIL_MODE=outbox, LOCAL_DEV=1, BETTER_AUTH_SECRET and ADMIN_EMAILS (the demo admin's address) come from
    // ensureDevVars like for npm start; the dashboard's own URL is written by the stack.

    tokensPerSecond: 0,
    watchConfig: false,
    // No cron ticker: a test that needs a scheduled job runs it itself, so none runs behind its back.
    cron: false,
    // Its own build of the dashboard, so a run never disturbs (or is disturbed by) another stack
    // serving dashboard/dist. E2E_BUILD=0 serves dashboard/dist as it is instead.
    build: process.env.E2E_BUILD !== '0',
    dashboardDir: process.env.E2E_BUILD !== '0' ? join(dir, 'dashboard-dist') : undefined,
    output: (tag) => tagged(tag, { stream: log as unknown as NodeJS.WriteStream }),
  }).catch(async (error: unknown) => {
    await new Promise((resolve) => log.end(resolve));
    const tail = (await readFile(logFile, 'utf8').catch(() => '')).split('\n').slice(-60).join('\n');
    await rm(dir, { recursive: true, force: true });
    throw new Error(`the e2e stack did not start: ${error instanceof Error ? error.message : error}\n--- last lines of ${logFile} ---\n${tail}`);
  });
  // If vitest exits without running the teardown (Ctrl-C), the stack's own exit handler kills its
  // processes (registered during start, so it runs first) and this removes the state.
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  process.once('exit', removeDir);
  if (!stack.dashboardUp) {
    await stack.stop();
    await rm(dir, { recursive: true, force: true });
    throw new Error(`the e2e dashboard did not answer on ${stack.urls.dashboard}; see ${logFile}`);
  }
  const ready = Date.now();
  console.log(`e2e: stack up in ${((ready - startedAt) / 1000).toFixed(1)} s (dashboard ${stack.urls.dashboard}, log ${logFile})`);

  const provided: E2EStack = {
    gatewayUrl: stack.urls.gateway,
    dashboardUrl: stack.urls.dashboard,
    stripeUrl: stack.urls.stripe,
    btcpayUrl: stack.urls.btcpay,
    inboxUrl: stack.urls.inbox,
    adminToken: stack.vars.ADMIN_TOKEN,
    admin: { email: String(stack.demo?.adminEmail), password: String(stack.demo?.adminPassword) },
    user: { email: String(stack.demo?.userEmail), password: String(stack.demo?.userPassword) },
    logFile,
    startedAt,
  };
  project.provide('stack', provided);

  return async () => {
    const killed = await stack.stop();
    if (killed.length > 0) console.log(`e2e: killed ${killed.join(' and ')} after it ignored SIGTERM`);
    await new Promise((resolve) => log.end(resolve));
    await rm(dir, { recursive: true, force: true });
    process.off('exit', removeDir);
    const end = Date.now();
    console.log(
      `e2e: stack up ${((ready - startedAt) / 1000).toFixed(1)} s, tests ${((end - ready) / 1000).toFixed(1)} s (stop included), ` +
        `whole run ${((end - startedAt) / 1000).toFixed(1)} s`,
    );
  };
}

/**
 * E2E_PORTS when all are free; otherwise (another run of these tests, say) free ports the
 * OS picks. Nothing depends on the numbers: the stack is told its own URLs.
 */
async function choosePorts(): Promise<Record<keyof typeof E2E_PORTS, number>> {
  const names = Object.keys(E2E_PORTS) as Array<keyof typeof E2E_PORTS>;
  const free = await Promise.all(names.map((name) => isPortFree(E2E_PORTS[name])));
  if (free.every(Boolean)) return { ...E2E_PORTS };
  const picked = await freePorts(names.length);
  console.log(`e2e: some of the ports ${Object.values(E2E_PORTS).join(', ')} are taken; using ${picked.join(', ')}`);
  return Object.fromEntries(names.map((name, i) => [name, picked[i]])) as Record<keyof typeof E2E_PORTS, number>;
}
