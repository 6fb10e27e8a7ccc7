// @ts-check
/**
 * Runs one measurement in a fresh load-generator process (bench/lib/driver.mjs) and returns
 * what it measured. The process is tracked, so Ctrl-C stops it with everything else.
 */
import { fileURLToPath } from 'node:url';

const DRIVER = fileURLToPath(new URL('./driver.mjs', import.meta.url));

/**
 * @param {import('./processes.mjs').Supervisor} supervisor
 * @param {import('./driver.mjs').DriverInput} input
 * @returns {Promise<Record<string, any>>}
 */
export async function drive(supervisor, input) {
  /** @type {string[]} */
  const lines = [];
  const child = supervisor.spawn({
    name: 'load generator',
    command: process.execPath,
    args: [DRIVER, JSON.stringify(input)],
    print: (line) => lines.push(line),
  });
  const { code, signal } = await child.exited;
  const last = lines.at(-1) ?? '';
  if (code !== 0 || !last.startsWith('{')) {
    throw new Error(`load generator failed (${signal ?? `exit ${code}`}): ${lines.slice(-10).join('\n')}`);
  }
  return JSON.parse(last);
}
