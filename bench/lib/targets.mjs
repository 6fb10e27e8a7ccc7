// @ts-check
/**
 * Starts everything the benchmark measures, all on 127.0.0.1, and describes each as a target:
 *   origin       the fast fake origin, called directly (the baseline for "latency added")
 *   passthrough  bench/passthrough.js in workerd: the runtime's own floor
 *   gateway      the real worker in workerd with its Durable Object, KV, D1 and AE, seeded
 *   portkey      @portkey-ai/gateway's Node server, pointed at the origin
 * plus the account Durable Object alone (bench/do-bench), for one busy account's ceiling.
 */
import { createWriteStream } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { completionBody, MODEL } from './origin.mjs';
import { portkeyCommand, portkeyHeaders } from './portkey.mjs';
import { waitForPort } from './processes.mjs';
import { seedBench } from './seed.mjs';
import { applyMigrations, bundleWorker, readWranglerToml, startWorker } from './workers.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ORIGIN_SCRIPT = fileURLToPath(new URL('./origin.mjs', import.meta.url));
const CREDENTIAL_SECRET = 'BENCH_ORIGIN_KEY';

/**
 * @typedef {object} Target
 * @property {string} id
 * @property {string} label
 * @property {string} url        POST here
 * @property {Record<string, string>} headers
 * @property {number[]} pids     server process roots (CPU is read over their trees)
 * @property {boolean} [billed]
 */

/**
 * @typedef {object} Ports
 * @property {number} origin
 * @property {number} passthrough
 * @property {number} gateway
 * @property {number} portkey
 * @property {number} accountObject
 * @property {number} inspector    the gateway's DevTools inspector (--profile)
 */

/** Ports from a base: origin, pass-through, gateway, Portkey, account object. @param {number} base @returns {Ports} */
export function portsFrom(base) {
  return { origin: base, passthrough: base + 1, gateway: base + 2, portkey: base + 3, accountObject: base + 4, inspector: base + 5, floor: base + 6 };
}

/**
 * Spawns a Node server as a tracked child and waits for its port.
 * @param {import('./processes.mjs').Supervisor} supervisor
 * @param {{ name: string, args: string[], port: number, logFile: string }} spec
 */
async function startNodeServer(supervisor, { name, args, port, logFile }) {
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = supervisor.spawn({
    name,
    command: process.execPath,
    args,
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'production' },
    print: (line) => log.write(`${line}\n`),
  });
  const exited = new AbortController();
  child.exited.then(() => exited.abort());
  if (!(await waitForPort(port, { signal: exited.signal }))) throw new Error(`${name} did not listen on 127.0.0.1:${port}; see ${logFile}`);
  return /** @type {number} */ (child.child.pid);
}

/**
 * Builds, starts and seeds every target.
 * @param {import('./processes.mjs').Supervisor} supervisor
 * @param {{ ports: Ports, buildDir: string, chunks: number, chunkDelayMs: number, profile: boolean, say: (line: string) => void }} options
 */
export async function startTargets(supervisor, { ports, buildDir, chunks, chunkDelayMs, profile, say }) {
  const logs = join(buildDir, 'logs');
  const compat = await readWranglerToml(join(ROOT, 'wrangler.toml'));

  say('bundling the gateway and the account-object bench worker (wrangler deploy --dry-run)…');
  const bundle = await bundleWorker(supervisor, { name: 'gateway', config: join(ROOT, 'wrangler.toml'), outDir: join(buildDir, 'gateway'), cwd: ROOT });
  const doBundle = await bundleWorker(supervisor, {
    name: 'do-bench',
    config: join(ROOT, 'bench', 'do-bench', 'wrangler.toml'),
    outDir: join(buildDir, 'do-bench'),
    cwd: ROOT,
  });

  say('starting the origin, Portkey and four workerd instances…');
  const originUrl = `http://127.0.0.1:${ports.origin}`;
  const originKey = randomBytes(16).toString('hex');
  const originPid = await startNodeServer(supervisor, {
    name: 'fake origin',
    port: ports.origin,
    logFile: join(logs, 'origin.log'),
    args: [ORIGIN_SCRIPT, '--port', String(ports.origin), '--chunks', String(chunks), '--chunk-delay-ms', String(chunkDelayMs)],
  });
  const portkey = portkeyCommand(ports.portkey);
  const portkeyPid = await startNodeServer(supervisor, { name: 'Portkey', port: ports.portkey, logFile: join(logs, 'portkey.log'), args: portkey.args });

  const passthrough = await startWorker(supervisor, {
    name: 'passthrough',
    scriptPath: join(ROOT, 'bench', 'passthrough.js'),
    port: ports.passthrough,
    compat,
    bindings: { ORIGIN_URL: originUrl, ORIGIN_KEY: originKey },
    logFile: join(logs, 'passthrough.log'),
  });
  const adminToken = randomBytes(24).toString('hex');
  const gateway = await startWorker(supervisor, {
    name: 'gateway',
    scriptPath: bundle.scriptPath,
    port: ports.gateway,
    compat,
    stateDir: join(buildDir, 'state', 'gateway'),
    bindings: { ...compat.vars, ADMIN_TOKEN: adminToken, [CREDENTIAL_SECRET]: originKey },
    logFile: join(logs, 'gateway.log'),
    ...(profile ? { inspectorPort: ports.inspector } : {}),
  });
  const accountObject = await startWorker(supervisor, {
    name: 'do-bench',
    scriptPath: doBundle.scriptPath,
    port: ports.accountObject,
    compat,
    stateDir: join(buildDir, 'state', 'do-bench'),
    bindings: {},
    logFile: join(logs, 'do-bench.log'),
  });

  const floor = await startWorker(supervisor, {
    name: 'floor',
    scriptPath: join(ROOT, 'bench', 'floor', 'worker.js'),
    port: ports.floor,
    compat,
    stateDir: join(buildDir, 'state', 'floor'),
    objects: { FLOOR: 'FloorObject' },
    bindings: { ORIGIN_URL: originUrl, ORIGIN_KEY: originKey },
    logFile: join(logs, 'floor.log'),
  });

  say('applying D1 migrations and seeding the gateway through its admin API…');
  await applyMigrations(gateway.mf, join(ROOT, 'migrations'));
  await applyMigrations(accountObject.mf, join(ROOT, 'migrations'));
  const seeded = await seedBench({ gatewayUrl: gateway.url, adminToken, originUrl, model: MODEL, credentialSecret: CREDENTIAL_SECRET });
  const setup = await fetch(`${accountObject.url}/setup`, { method: 'POST' });
  if (setup.status !== 200) throw new Error(`account-object bench setup answered ${setup.status}: ${await setup.text()}`);

  const chat = '/v1/chat/completions';
  /** @type {Target[]} */
  const targets = [
    { id: 'origin', label: 'origin (direct)', url: originUrl + chat, headers: { authorization: `Bearer ${originKey}` }, pids: [originPid] },
    { id: 'passthrough', label: 'pass-through worker', url: passthrough.url + chat, headers: {}, pids: passthrough.pids },
    { id: 'gateway', label: 'gateway', url: gateway.url + chat, headers: { authorization: `Bearer ${seeded.apiKey}` }, pids: gateway.pids, billed: true },
    { id: 'portkey', label: 'Portkey', url: `http://127.0.0.1:${ports.portkey}${chat}`, headers: portkeyHeaders(originUrl), pids: [portkeyPid] },
  ];
  /** @type {Target} */
  const accountTarget = {
    id: 'account-object',
    label: 'account object alone (admit + settle)',
    url: `${accountObject.url}/admit-settle`,
    headers: {},
    pids: accountObject.pids,
  };
  /** The runtime's cost of the design's contract, with none of the gateway's own work (bench/floor/worker.js). @type {Target[]} */
  const floorTargets = [
    { id: 'floor-direct', label: 'forward only', url: `${floor.url}/direct${chat}`, headers: {}, pids: floor.pids },
    { id: 'floor-rpc', label: '+ one RPC to an object that does nothing', url: `${floor.url}/rpc${chat}`, headers: {}, pids: floor.pids },
    { id: 'floor-write', label: '+ one RPC with one write transaction', url: `${floor.url}/write${chat}`, headers: {}, pids: floor.pids },
    { id: 'floor-write2', label: '+ two RPCs, a write transaction each (admit, settle)', url: `${floor.url}/write2${chat}`, headers: {}, pids: floor.pids },
    {
      id: 'floor-mem',
      label: 'the contract now: admit in memory, settle after the response, group-committed',
      url: `${floor.url}/mem${chat}`,
      headers: {},
      pids: floor.pids,
    },
  ];
  /** The same for streams: what reading a stream in JavaScript costs before any metering. @type {Target[]} */
  const streamFloorTargets = [
    { id: 'floor-direct', label: 'forward only', url: `${floor.url}/direct${chat}`, headers: {}, pids: floor.pids },
    { id: 'floor-relay', label: '+ a JavaScript relay that changes nothing', url: `${floor.url}/relay${chat}`, headers: {}, pids: floor.pids },
    {
      id: 'floor-mem-relay',
      label: '+ the contract now around that relay (admit in memory, settle at the end, group-committed)',
      url: `${floor.url}/mem-relay${chat}`,
      headers: {},
      pids: floor.pids,
    },
  ];
  return {
    targets,
    accountTarget,
    floorTargets,
    streamFloorTargets,
    bundle,
    portkey,
    gateway: { url: gateway.url, adminToken, accountId: seeded.accountId, mf: gateway.mf },
    expectedText: JSON.parse(completionBody(chunks)).choices[0].message.content,
  };
}

/**
 * The request bodies every chat target receives.
 * @param {'json' | 'stream'} kind
 */
export function chatBody(kind) {
  return JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'Say hello' }], max_tokens: 64, ...(kind === 'stream' ? { stream: true } : {}) });
}
