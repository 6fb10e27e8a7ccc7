#!/usr/bin/env node
// @ts-check
/**
 * `npm run bench`: the gateway measured side by side with the runtime's floor (a bare
 * pass-through worker in the same workerd), a peer (Portkey) and the direct origin, all on
 * 127.0.0.1 of one machine. See bench/README.md for the method; results go to
 * bench/results/latest.{json,md} (or smoke.{json,md} with --smoke) and the table to stdout.
 *
 *   npm run bench                               full run (about 12 minutes on 2 cores)
 *   npm run bench -- --smoke                    CI: c=16, ~2 s each, exit 1 unless every target answered correctly
 *   npm run bench -- --duration 10 --runs 5 --concurrency 1,16,64,128 --busy 64,128,256
 *
 * Every process it starts is stopped on exit, on error and on Ctrl-C.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isPortFree } from '../scripts/lib/ports.mjs';
import { describeMachine } from './lib/machine.mjs';
import { measureBusyAccount, measureFloor, measureMatrix, measurer } from './lib/plan.mjs';
import { PORTKEY_VERSION } from './lib/portkey.mjs';
import { probe } from './lib/probe.mjs';
import { startProfile, summariseProfile } from './lib/profile.mjs';
import { Supervisor } from './lib/processes.mjs';
import { GOAL_CONCURRENCY, summarise, toMarkdown } from './lib/report.mjs';
import { BENCH_CREDIT_MICROS } from './lib/seed.mjs';
import { chatBody, portsFrom, startTargets } from './lib/targets.mjs';
import { measureValidation, validationMarkdown } from './validation.mjs';

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
const BUILD_DIR = join(BENCH_DIR, '.build');
const RESULTS_DIR = join(BENCH_DIR, 'results');

const { values: flags } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    runs: { type: 'string' },
    concurrency: { type: 'string' },
    busy: { type: 'string' },
    chunks: { type: 'string', default: '20' },
    'chunk-delay-ms': { type: 'string', default: '0' },
    'base-port': { type: 'string', default: '9300' },
    profile: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  console.log(
    'usage: npm run bench -- [--smoke] [--duration S] [--warmup S] [--runs N] [--concurrency 1,16,64] [--busy 64,128] [--chunks N] [--chunk-delay-ms MS] [--base-port P] [--profile]',
  );
  process.exit(0);
}

const list = (/** @type {string} */ s) =>
  s
    .split(',')
    .map((x) => Number(x.trim()))
    .filter((x) => Number.isInteger(x) && x > 0);
const settings = {
  smoke: flags.smoke,
  durationS: Number(flags.duration ?? (flags.smoke ? 2 : 5)),
  warmupS: Number(flags.warmup ?? (flags.smoke ? 0.5 : 2)),
  runs: Number(flags.runs ?? (flags.smoke ? 1 : 3)),
  concurrency: list(flags.concurrency ?? (flags.smoke ? '16' : '1,16,64')),
  busyConcurrency: list(flags.busy ?? (flags.smoke ? '16' : '64,128')),
  chunks: Number(flags.chunks),
  chunkDelayMs: Number(flags['chunk-delay-ms']),
  profile: flags.profile,
};
const ports = portsFrom(Number(flags['base-port']));
const say = (/** @type {string} */ line) => process.stderr.write(`bench: ${line}\n`);

const supervisor = new Supervisor();
const shutdown = async (/** @type {number} */ code) => {
  await supervisor.stopAll();
  process.exit(code);
};
process.on('SIGINT', () => {
  if (supervisor.stopping) process.exit(130);
  say('interrupted; stopping everything…');
  shutdown(130);
});
process.on('SIGTERM', () => shutdown(143));

/** @type {string[]} */
const failures = [];

async function main() {
  const started = Date.now();
  const loadBefore = os.loadavg()[0];
  // Other work on the machine skews absolute numbers (ratios less so): say so, and record it.
  if (loadBefore > 0.5) say(`the machine is busy (load average ${loadBefore.toFixed(2)}); expect noisy absolute numbers`);
  for (const [name, port] of Object.entries(ports)) {
    if (!(await isPortFree(port))) throw new Error(`port ${port} (for ${name}) is in use; stop what holds it or pass --base-port`);
  }
  // The validator microbenchmark first, while nothing else runs on the machine.
  const validation = await measureValidation({ smoke: settings.smoke });
  say(`body validation: ${validation.map((r) => `${r.body} ${Math.round(r.validateNs)} ns`).join('; ')}`);
  await rm(BUILD_DIR, { recursive: true, force: true });
  await mkdir(join(BUILD_DIR, 'logs'), { recursive: true });
  await mkdir(RESULTS_DIR, { recursive: true });

  const env = await startTargets(supervisor, {
    ports,
    buildDir: BUILD_DIR,
    chunks: settings.chunks,
    chunkDelayMs: settings.chunkDelayMs,
    profile: settings.profile,
    say,
  });
  const { targets, accountTarget, floorTargets, streamFloorTargets, expectedText } = env;
  /** @type {Record<string, string>} */
  const labels = Object.fromEntries([...targets, accountTarget, ...floorTargets, ...streamFloorTargets].map((t) => [t.id, t.label]));

  // Correctness first: a target that answers wrongly is not measured, it is reported.
  for (const target of targets) {
    for (const kind of /** @type {const} */ (['json', 'stream'])) {
      const result = await probe(target, kind, chatBody(kind), expectedText);
      if (!result.ok) failures.push(`${target.id} ${kind}: ${result.reason}`);
    }
  }
  for (const [kind, floorSet] of /** @type {const} */ ([
    ['json', floorTargets],
    ['stream', streamFloorTargets],
  ])) {
    for (const target of floorSet) {
      const result = await probe(target, kind, chatBody(kind), expectedText);
      if (!result.ok) failures.push(`${target.id} ${kind}: ${result.reason}`);
    }
  }
  if (failures.length) throw new Error(`targets answered incorrectly:\n  ${failures.join('\n  ')}`);
  say(`all ${targets.length} targets answer correctly (JSON and stream)`);

  const state = { failures, gatewayAnswered: 2 /* the two probes */, say };
  const measure = measurer(supervisor, state);
  const cells = await measureMatrix(targets, settings, measure, say);
  const gatewayTarget = /** @type {import('./lib/targets.mjs').Target} */ (targets.find((t) => t.id === 'gateway'));
  const busy = await measureBusyAccount(settings.smoke ? [accountTarget] : [gatewayTarget, accountTarget], settings, measure, say);
  const floor = await measureFloor(floorTargets, 'json', settings, measure, GOAL_CONCURRENCY, say);
  const streamFloor = await measureFloor(streamFloorTargets, 'stream', settings, measure, GOAL_CONCURRENCY, say);

  // Last, so the inspector session cannot disturb the measurements above (it slows workerd).
  const profile = settings.profile ? await profileGateway(gatewayTarget, measure, env.bundle.scriptPath) : undefined;
  const billing = await billingCheck(env.gateway, state.gatewayAnswered);
  const results = {
    schema: 1,
    date: new Date().toISOString(),
    durationS: Math.round((Date.now() - started) / 1000),
    machine: { ...describeMachine(), loadAverageBefore: loadBefore, loadAverageAfter: os.loadavg()[0] },
    settings,
    portkey: { version: PORTKEY_VERSION, nodeServer: env.portkey.nodeServer, shim: env.portkey.shim },
    bundle: env.bundle && { bytes: env.bundle.bytes, gzipBytes: env.bundle.gzipBytes, wranglerGzipKiB: env.bundle.wranglerGzipKiB },
    targets: Object.entries(labels).map(([id, label]) => ({ id, label })),
    labels,
    ...summarise({ cells, busy, floor, streamFloor, bundle: env.bundle, billing }),
    billing,
    validation,
    ...(profile ? { profile } : {}),
    failures,
    ok: failures.length === 0,
  };
  const name = settings.smoke ? 'smoke' : 'latest';
  const markdown = `${toMarkdown(results)}\n\n${validationMarkdown(validation)}`;
  await writeFile(join(RESULTS_DIR, `${name}.json`), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(join(RESULTS_DIR, `${name}.md`), `${markdown}\n`);
  console.log(markdown);
  say(`wrote bench/results/${name}.json and ${name}.md in ${results.durationS} s${failures.length ? ` with ${failures.length} problem(s)` : ''}`);
  return failures.length === 0 ? 0 : 1;
}

/**
 * CPU profiles of the gateway's isolate under JSON and stream load at c=16: written to
 * bench/.build/gateway-{json,stream}.cpuprofile, summarised on stderr and in the results.
 * @param {import('./lib/targets.mjs').Target} gateway
 * @param {import('./lib/plan.mjs').Measure} measure
 * @param {string} bundlePath
 */
async function profileGateway(gateway, measure, bundlePath) {
  const bundleSource = await readFile(bundlePath, 'utf8');
  /** @type {Record<string, ReturnType<typeof summariseProfile>>} */
  const summaries = {};
  for (const kind of /** @type {const} */ (['json', 'stream'])) {
    const session = await startProfile(ports.inspector, 'gateway');
    await measure(gateway, { tool: 'autocannon', kind, connections: 16, seconds: settings.durationS });
    const cpuProfile = await session.stop();
    const file = join(BUILD_DIR, `gateway-${kind}.cpuprofile`);
    await writeFile(file, JSON.stringify(cpuProfile));
    const summary = summariseProfile(cpuProfile, { bundleSource });
    summaries[kind] = summary;
    say(`profile of ${session.title}, ${kind} at c=16 (${summary.samples} samples), written to ${file}; share of samples by module, then by function:`);
    for (const m of summary.modules) say(`  ${(m.share * 100).toFixed(1).padStart(5)}%  ${m.name}`);
    for (const f of summary.functions) say(`  ${(f.share * 100).toFixed(1).padStart(5)}%  ${f.name}`);
  }
  return summaries;
}

/**
 * What the account was charged against what was answered, once every settle has arrived (they are
 * sent after the response, so the last few land after the load stops) and the outbox has drained.
 * A request whose client left early (autocannon stops mid-request) is charged what it produced,
 * so the debit is checked against the usage rows' own costs, not rows × one price. What the
 * object read from its state is asked of the object itself: held in flight by this life (must be
 * zero) and pooled from an earlier life (an eviction between runs turns marks into pools that are
 * held until they expire; reported, not an error).
 * @param {{ url: string, adminToken: string, accountId: string, mf: any }} gateway
 * @param {number} answered
 */
async function billingCheck(gateway, answered) {
  const namespace = await gateway.mf.getDurableObjectNamespace('ACCOUNT');
  const object = namespace.get(namespace.idFromName(gateway.accountId));
  /** @returns {Promise<{ balanceMicros: number, reservedMicros: number, pooledMicros: number, openReservations: number, pendingOutbox: number }>} */
  const summary = () => object.summary();
  let state = await summary();
  for (let waited = 0; (state.openReservations > 0 || state.pendingOutbox > 0) && waited < 30_000; waited += 500) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    state = await summary();
  }
  const db = await gateway.mf.getD1Database('DB');
  const rows = /** @type {{ n: number, cost: number | null, ids: number }} */ (
    await db
      .prepare('SELECT COUNT(*) AS n, SUM(cost_micros) AS cost, COUNT(DISTINCT id) AS ids FROM usage_events WHERE account_id = ?')
      .bind(gateway.accountId)
      .first()
  );
  return {
    answered,
    debitedMicros: BENCH_CREDIT_MICROS - state.balanceMicros,
    usageCostMicros: rows.cost ?? 0,
    usageRows: rows.n,
    distinctRequests: rows.ids,
    openReservations: state.openReservations,
    inFlightMicros: state.reservedMicros - state.pooledMicros,
    pooledMicros: state.pooledMicros,
    pendingOutbox: state.pendingOutbox,
  };
}

main()
  .then((code) => shutdown(code))
  .catch(async (error) => {
    if (supervisor.stopping) return;
    console.error(`bench failed: ${error instanceof Error ? error.message : error}`);
    await shutdown(1);
  });
