// @ts-check
/**
 * Everything the benchmark starts, so that it all stops: child processes (each in its own
 * process group, via `npm start`'s helpers) and in-process handles such as Miniflare instances
 * (whose workerd children Miniflare itself stops). `stopAll` is safe to call more than once.
 */
import net from 'node:net';
import { killChildrenNow, spawnChild, stopChildren } from '../../scripts/lib/children.mjs';

/** @typedef {import('../../scripts/lib/children.mjs').Child} Child */

/** Tracks children and closers; stops them all on demand (also on Ctrl-C and on exit). */
export class Supervisor {
  constructor() {
    /** @type {Child[]} */
    this.children = [];
    /** @type {Array<{ name: string, close: () => Promise<unknown> }>} */
    this.closers = [];
    this.stopping = false;
    process.on('exit', () => killChildrenNow(this.children));
  }

  /**
   * Spawns a tracked child process.
   * @param {import('../../scripts/lib/children.mjs').ChildSpec} spec
   */
  spawn(spec) {
    const child = spawnChild(spec);
    this.children.push(child);
    child.exited.then(() => {
      const at = this.children.indexOf(child);
      if (at >= 0) this.children.splice(at, 1);
    });
    return child;
  }

  /**
   * Registers something to close when stopping (closed in reverse order of registration).
   * @param {string} name
   * @param {() => Promise<unknown>} close
   */
  onStop(name, close) {
    this.closers.push({ name, close });
  }

  /** Closes every handle, then stops every child process group; reports what failed. */
  async stopAll() {
    if (this.stopping) return;
    this.stopping = true;
    for (const { name, close } of this.closers.reverse()) {
      try {
        await close();
      } catch (error) {
        console.error(`bench: stopping ${name} failed: ${error instanceof Error ? error.message : error}`);
      }
    }
    const killed = await stopChildren([...this.children]);
    if (killed.length > 0) console.error(`bench: killed ${killed.join(', ')} after it ignored SIGTERM`);
  }
}

/**
 * Waits until something accepts TCP connections on host:port.
 * @param {number} port
 * @param {{ host?: string, timeoutMs?: number, signal?: AbortSignal }} [options]
 * @returns {Promise<boolean>}
 */
export async function waitForPort(port, { host = '127.0.0.1', timeoutMs = 30_000, signal } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !signal?.aborted) {
    const open = await new Promise((resolve) => {
      const socket = net.connect({ port, host });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}
