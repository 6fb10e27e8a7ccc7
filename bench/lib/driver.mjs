// @ts-check
/**
 * The load-generator process: `node bench/lib/driver.mjs '<json>'` runs one measurement and
 * prints its result as one JSON line. It runs apart from every server (and from the
 * orchestrator), so the servers' event loops never share a thread with the load. It also reads
 * the CPU time of the server processes named in `cpuRoots` right before and after the load, so
 * the CPU window is exactly the load window, and reports its own CPU (is the generator the limit?).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { runAutocannon } from './autocannon-run.mjs';
import { cpuMs, processTree } from './cpu.mjs';
import { measureStreams } from './ttfb.mjs';

/** Work the server finishes after its last response (settlement in waitUntil) still counts. */
const CPU_TAIL_MS = 150;

/**
 * @typedef {import('./autocannon-run.mjs').LoadRun & { tool: 'autocannon' | 'streams', cpuRoots: number[] }} DriverInput
 */

const input = /** @type {DriverInput} */ (JSON.parse(process.argv[2] ?? '{}'));
const pids = processTree(input.cpuRoots ?? []);
const selfBefore = process.cpuUsage();
const serverBefore = cpuMs(pids);
const result = input.tool === 'streams' ? await measureStreams(input) : await runAutocannon(input);
await sleep(CPU_TAIL_MS);
const serverCpuMs = cpuMs(pids) - serverBefore;
const self = process.cpuUsage(selfBefore);
process.stdout.write(`${JSON.stringify({ ...result, serverCpuMs, driverCpuMs: (self.user + self.system) / 1000 })}\n`);
