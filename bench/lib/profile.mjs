// @ts-check
/**
 * `--profile`: a V8 CPU profile of the gateway's isolate (worker and account object share it)
 * while it is under load, through workerd's inspector (Chrome DevTools protocol). Writes a
 * .cpuprofile (open it in Chrome DevTools → Performance, or VS Code) and summarises where the
 * samples fell: self time per function, and time per source module of the bundle.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
/** The WebSocket client wrangler itself uses (Node 20 has no global WebSocket). */
const WebSocket = createRequire(require.resolve('wrangler/package.json'))('ws');

/**
 * @typedef {{ id: number, callFrame: { functionName: string, url: string, lineNumber: number }, children?: number[], hitCount?: number }} ProfileNode
 * @typedef {{ nodes: ProfileNode[], samples: number[], timeDeltas: number[], startTime: number, endTime: number }} CpuProfile
 */

/**
 * Starts profiling the inspector target whose title mentions `match`; returns `stop()`.
 * @param {number} inspectorPort
 * @param {string} match
 */
export async function startProfile(inspectorPort, match) {
  const list = /** @type {Array<{ title: string, webSocketDebuggerUrl: string }>} */ (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json());
  const target = list.find((t) => t.title.includes(match)) ?? list[0];
  if (!target) throw new Error(`no inspector target on port ${inspectorPort}`);
  const socket = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  let nextId = 1;
  /** @type {Map<number, (value: any) => void>} */
  const pending = new Map();
  socket.on('message', (/** @type {Buffer} */ data) => {
    const message = JSON.parse(data.toString());
    if (message.id && pending.has(message.id)) {
      /** @type {(value: any) => void} */ (pending.get(message.id))(message.result);
      pending.delete(message.id);
    }
  });
  const send = (/** @type {string} */ method, /** @type {object} */ params = {}) =>
    new Promise((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      socket.send(JSON.stringify({ id, method, params }));
    });
  await send('Profiler.enable');
  await send('Profiler.setSamplingInterval', { interval: 200 });
  await send('Profiler.start');
  return {
    title: target.title,
    /** @returns {Promise<CpuProfile>} */
    async stop() {
      const { profile } = /** @type {{ profile: CpuProfile }} */ (await send('Profiler.stop'));
      socket.close();
      return profile;
    },
  };
}

/**
 * Where the samples fell: the heaviest functions by self time, and time per module (from the
 * `// path/to/file.ts` markers wrangler leaves in the bundle, when `bundleSource` is given).
 * @param {CpuProfile} profile
 * @param {{ top?: number, bundleSource?: string }} [options]
 */
export function summariseProfile(profile, { top = 15, bundleSource } = {}) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  // Counted in samples, not in time deltas: when the thread is descheduled (a busy 2-core
  // machine), the next sample carries the whole gap and would blame whatever ran then.
  /** @type {Map<number, number>} */
  const selfUs = new Map();
  for (const id of profile.samples) selfUs.set(id, (selfUs.get(id) ?? 0) + 1);
  const total = profile.samples.length;
  const modules = bundleSource ? moduleStarts(bundleSource) : [];
  /** @type {Map<string, number>} */
  const byFunction = new Map();
  /** @type {Map<string, number>} */
  const byModule = new Map();
  for (const [id, us] of selfUs) {
    const node = /** @type {ProfileNode} */ (byId.get(id));
    const { functionName, url, lineNumber } = node.callFrame;
    const module = url ? moduleAt(modules, lineNumber) : `(${functionName || 'native'})`;
    const name = `${functionName || '(anonymous)'} ${url ? `${module}:${lineNumber + 1}` : ''}`.trim();
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
    byModule.set(module, (byModule.get(module) ?? 0) + us);
  }
  const rank = (/** @type {Map<string, number>} */ m) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, share: us / total }));
  return { samples: total, sampledMs: (profile.endTime - profile.startTime) / 1000, functions: rank(byFunction), modules: rank(byModule) };
}

/** Line numbers (0-based) where each bundled source file starts. @param {string} source */
function moduleStarts(source) {
  /** @type {Array<{ line: number, file: string }>} */
  const starts = [];
  source.split('\n').forEach((text, line) => {
    const match = /^\/\/ ((?:worker|node_modules|\.\.\/)\S*\.(?:ts|js|mjs|cjs))$/.exec(text);
    if (match) starts.push({ line, file: match[1].replace(/^.*node_modules\//, 'node_modules/') });
  });
  return starts;
}

/** @param {Array<{ line: number, file: string }>} starts @param {number} line */
function moduleAt(starts, line) {
  let file = '(bundle)';
  for (const start of starts) {
    if (start.line > line) break;
    file = start.file;
  }
  return file;
}
