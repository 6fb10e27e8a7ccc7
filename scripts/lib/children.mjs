/** Child processes of `npm start`: spawned in their own process groups, stopped together. */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * @typedef {object} ChildSpec
 * @property {string} name       shown in messages, e.g. "gateway (wrangler dev)"
 * @property {string} command
 * @property {string[]} args
 * @property {string} [cwd]
 * @property {NodeJS.ProcessEnv} [env]
 * @property {(line: string) => void} print  receives every stdout/stderr line
 */

/**
 * Spawn a child in its own process group (so a terminal's Ctrl-C reaches only us and we stop
 * it, with everything it spawned, by killing the group) and pipe its lines to `print`.
 * @param {ChildSpec} spec
 */
export function spawnChild({ name, command, args, cwd, env, print }) {
  const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream }).on('line', print);
  /** @type {Promise<{ code: number | null, signal: NodeJS.Signals | null }>} */
  const exited = new Promise((resolve) => {
    // 'close', not 'exit': it comes after the output pipes drained, so a crashing child's last
    // lines (usually the reason) are printed before anyone reacts to its exit.
    child.once('close', (code, signal) => resolve({ code, signal }));
    child.once('error', (error) => {
      print(`could not start ${name}: ${error.message}`);
      resolve({ code: 127, signal: null });
    });
  });
  return { name, child, exited };
}

/** @typedef {ReturnType<typeof spawnChild>} Child */

/**
 * Signal a child's whole process group; ignores groups that are already gone. The group, not
 * the pid: wrangler runs a node wrapper, the CLI and workerd, and all of them must stop.
 * @param {Child} child
 * @param {NodeJS.Signals} signal
 */
function signalGroup(child, signal) {
  if (child.child.pid === undefined) return;
  try {
    process.kill(-child.child.pid, signal);
  } catch {
    // ESRCH: the group has already exited.
  }
}

/**
 * Stop children: SIGTERM to each process group, SIGKILL after `graceMs`; resolves once all
 * exited, with the names of those that had to be killed.
 * @param {Child[]} children
 * @param {number} [graceMs]
 * @returns {Promise<string[]>}
 */
export async function stopChildren(children, graceMs = 5000) {
  /** @type {string[]} */
  const killed = [];
  for (const child of children) signalGroup(child, 'SIGTERM');
  const timer = setTimeout(() => {
    for (const child of children) {
      if (child.child.exitCode !== null || child.child.signalCode !== null) continue;
      killed.push(child.name);
      signalGroup(child, 'SIGKILL');
    }
  }, graceMs);
  await Promise.all(children.map((child) => child.exited));
  clearTimeout(timer);
  // A leader that exited may leave members behind (e.g. workerd); they get no second chance.
  for (const child of children) signalGroup(child, 'SIGKILL');
  return killed;
}

/**
 * Last-resort synchronous cleanup (process 'exit' handler): SIGKILL every group still running.
 * @param {Child[]} children
 */
export function killChildrenNow(children) {
  for (const child of children) signalGroup(child, 'SIGKILL');
}
