// scratch: account object alone, c=64, 5 s; prints req/s and CPU µs per pair
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import autocannon from 'autocannon';
import { Supervisor } from './lib/processes.mjs';
import { bundleWorker, readWranglerToml, startWorker, ensureDir } from './lib/workers.mjs';
import { cpuMs } from './lib/cpu.mjs';
const ROOT = new URL('..', import.meta.url).pathname;
const sup = new Supervisor();
const build = '/tmp/dob/build';
await rm(build, { recursive: true, force: true }); await ensureDir(join(build, 'logs'));
const compat = await readWranglerToml(join(ROOT, 'wrangler.toml'));
const b = await bundleWorker(sup, { name: 'do-bench', config: join(ROOT, 'bench/do-bench/wrangler.toml'), outDir: join(build, 'do'), cwd: ROOT });
const w = await startWorker(sup, { name: 'do-bench', scriptPath: b.scriptPath, port: 9399, compat, stateDir: join(build, 'state'), bindings: {}, logFile: join(build, 'logs/do.log') });
await fetch(w.url + '/setup', { method: 'POST' }).then((r) => r.text()).then(console.log);
const c = Number(process.argv[2] ?? 64);
const run = (d) => new Promise((res) => autocannon({ url: w.url + '/admit-settle', method: 'POST', connections: c, duration: d }, (e, r) => res(r)));
await run(2);
for (let i = 0; i < 2; i++) {
  const t0 = cpuMs(w.pids)*1000;
  const r = await run(5);
  const t1 = cpuMs(w.pids)*1000;
  console.log(`c=${c} ${Math.round(r.requests.average)} req/s, 2xx ${r['2xx']} non2xx ${r.non2xx}, cpu ${Math.round((t1 - t0) / r['2xx'])} µs/pair, p50 ${r.latency.p50}`);
}
console.log(await fetch(w.url + '/summary').then((r) => r.text()).catch(() => ''));
await sup.stopAll();
process.exit(0);
