// @ts-check
/**
 * Workers in workerd through Miniflare 4 (the one wrangler ships; the root miniflare is a v5
 * alpha for the test pool and needs Node 22): bundle with `wrangler deploy --dry-run`, run each
 * bundle in its own Miniflare instance (its own workerd process, so its CPU can be read apart),
 * served on a fixed 127.0.0.1 port through a direct socket: load goes straight into the worker,
 * with none of Miniflare's entry worker or Node proxy in between.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { childPids } from './cpu.mjs';

const require = createRequire(import.meta.url);
const WRANGLER_BIN = require.resolve('wrangler/bin/wrangler.js');
/** Miniflare as wrangler resolves it (v4 on Node 20). */
const MINIFLARE_PATH = createRequire(require.resolve('wrangler/package.json')).resolve('miniflare');
/** Offline and quiet, as in `npm start`. */
const WRANGLER_ENV = { ...process.env, WRANGLER_HIDE_BANNER: 'true', WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', CI: '1' };

/**
 * Compatibility settings and vars from a wrangler.toml (the few keys the benchmark needs, read
 * with patterns rather than a TOML parser: keys must be on one line each).
 * @param {string} file
 */
export async function readWranglerToml(file) {
  const text = await readFile(file, 'utf8');
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(text)?.[1];
  const flags = /^compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(text)?.[1] ?? '';
  if (!date) throw new Error(`${file}: no compatibility_date`);
  const varsBlock = /^\[vars\]\n([\s\S]*?)(?=^\[)/m.exec(text)?.[1] ?? '';
  /** @type {Record<string, string>} */
  const vars = {};
  for (const [, key, value] of varsBlock.matchAll(/^([A-Z0-9_]+)\s*=\s*"([^"]*)"/gm)) vars[key] = value;
  return { compatibilityDate: date, compatibilityFlags: [...flags.matchAll(/"([^"]+)"/g)].map((m) => m[1]), vars };
}

/**
 * Bundles a worker exactly as `wrangler deploy` would, without uploading.
 * @param {import('./processes.mjs').Supervisor} supervisor
 * @param {{ name: string, config: string, outDir: string, cwd: string }} options
 * @returns {Promise<{ scriptPath: string, outDir: string, bytes: number, gzipBytes: number, wranglerGzipKiB: number | null }>}
 */
export async function bundleWorker(supervisor, { name, config, outDir, cwd }) {
  /** @type {string[]} */
  const lines = [];
  const child = supervisor.spawn({
    name: `wrangler build of ${name}`,
    command: process.execPath,
    args: [WRANGLER_BIN, 'deploy', '--dry-run', '--config', config, '--outdir', outDir],
    cwd,
    env: WRANGLER_ENV,
    print: (line) => lines.push(line),
  });
  const { code } = await child.exited;
  if (code !== 0) throw new Error(`bundling ${name} failed (exit ${code}):\n${lines.slice(-30).join('\n')}`);
  // Wrangler names the bundle after the entry file (worker/index.ts → index.js).
  const scripts = (await readdir(outDir)).filter((f) => f.endsWith('.js'));
  if (scripts.length !== 1) throw new Error(`bundling ${name}: expected one .js file in ${outDir}, found ${scripts.join(', ') || 'none'}`);
  const scriptPath = join(outDir, scripts[0]);
  const source = await readFile(scriptPath);
  // Wrangler's own figure is what the platform's size limit applies to; keep ours beside it.
  const gzip = /gzip:\s*([\d.]+)\s*KiB/.exec(lines.join('\n'))?.[1];
  return {
    scriptPath,
    outDir,
    bytes: (await stat(scriptPath)).size,
    gzipBytes: gzipSync(source, { level: 9 }).length,
    wranglerGzipKiB: gzip ? Number(gzip) : null,
  };
}

/**
 * @typedef {object} WorkerSpec
 * @property {string} name
 * @property {string} scriptPath   a bundled ES module
 * @property {number} port         served on 127.0.0.1:port
 * @property {{ compatibilityDate: string, compatibilityFlags: string[] }} compat
 * @property {Record<string, string>} bindings  vars and secrets
 * @property {string} [stateDir]   when set: KV KEYS, D1 DB, DO ACCOUNT (SQLite), AE USAGE, persisted here
 * @property {string} logFile      the runtime's stdout/stderr
 * @property {number} [inspectorPort] open the DevTools inspector here (profiling only: it slows workerd)
 * @property {Record<string, string>} [objects] instead of the gateway's bindings: only these SQLite Durable Object classes (binding → class), persisted in stateDir
 */

/**
 * Starts one worker in its own workerd.
 * @param {import('./processes.mjs').Supervisor} supervisor
 * @param {WorkerSpec} spec
 * @returns {Promise<{ url: string, pids: number[], mf: import('miniflare').Miniflare }>}
 */
export async function startWorker(supervisor, { name, scriptPath, port, compat, bindings, stateDir, logFile, inspectorPort, objects }) {
  const { Miniflare } = /** @type {typeof import('miniflare')} */ (await import(MINIFLARE_PATH));
  const log = createWriteStream(logFile, { flags: 'a' });
  const stateful = objects
    ? { durableObjects: Object.fromEntries(Object.entries(objects).map(([binding, className]) => [binding, { className, useSQLite: true }])) }
    : stateDir
      ? {
          kvNamespaces: { KEYS: 'bench-keys' },
          d1Databases: { DB: 'bench-db' },
          durableObjects: { ACCOUNT: { className: 'AccountObject', useSQLite: true } },
          analyticsEngineDatasets: { USAGE: { dataset: 'bench_usage' } },
        }
      : {};
  const before = new Set(childPids(process.pid));
  const mf = new Miniflare({
    host: '127.0.0.1',
    port: 0, // Miniflare's own entry socket, unused by the load
    logRequests: false,
    ...(inspectorPort ? { inspectorPort } : {}),
    handleRuntimeStdio(stdout, stderr) {
      stdout.pipe(log, { end: false });
      stderr.pipe(log, { end: false });
    },
    ...(stateDir ? { kvPersist: join(stateDir, 'kv'), d1Persist: join(stateDir, 'd1'), durableObjectsPersist: join(stateDir, 'do') } : {}),
    workers: [
      {
        name,
        // The bundle is listed as one module rather than scanned for imports: Miniflare's scanner
        // refuses the dynamic `import(name)` that better-auth's database layer carries (never
        // reached on D1).
        modulesRoot: join(scriptPath, '..'),
        modules: [{ type: 'ESModule', path: scriptPath }],
        compatibilityDate: compat.compatibilityDate,
        compatibilityFlags: compat.compatibilityFlags,
        bindings,
        ...stateful,
        unsafeDirectSockets: [{ host: '127.0.0.1', port }],
      },
    ],
  });
  supervisor.onStop(name, async () => {
    await mf.dispose();
    log.end();
  });
  await mf.ready;
  const pids = childPids(process.pid).filter((pid) => !before.has(pid));
  return { url: `http://127.0.0.1:${port}`, pids, mf };
}

/**
 * Applies every D1 migration (migrations/NNNN_*.sql, in order; drizzle's statement breakpoints
 * split statements) to a fresh database.
 * @param {import('miniflare').Miniflare} mf
 * @param {string} dir
 */
export async function applyMigrations(mf, dir) {
  const db = await mf.getD1Database('DB');
  const files = (await readdir(dir)).filter((f) => /^\d+_.*\.sql$/.test(f)).sort();
  for (const file of files) {
    const sql = await readFile(join(dir, file), 'utf8');
    const statements = sql
      .split('--> statement-breakpoint')
      .map((s) => s.trim())
      .filter(Boolean);
    await db.batch(statements.map((s) => db.prepare(s)));
  }
  return files;
}

/** Makes sure a directory exists. @param {string} dir */
export async function ensureDir(dir) {
  await mkdir(dir, { recursive: true });
}
