// @ts-check
/** What the benchmark ran on and with: quoted beside every result. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';

const require = createRequire(import.meta.url);

/** @param {string} from a package.json path to resolve from @param {string} name */
function versionOf(from, name) {
  try {
    return /** @type {string} */ (createRequire(from)(`${name}/package.json`).version);
  } catch {
    return null;
  }
}

/** Machine and tool versions. */
export function describeMachine() {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    cpu = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpu;
  } catch {
    // not Linux
  }
  const wrangler = require.resolve('wrangler/package.json');
  const miniflare = createRequire(wrangler).resolve('miniflare/package.json');
  return {
    cpu,
    cores: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    wrangler: versionOf(wrangler, 'wrangler') ?? require('wrangler/package.json').version,
    miniflare: versionOf(miniflare, 'miniflare') ?? JSON.parse(readFileSync(miniflare, 'utf8')).version,
    workerd: versionOf(miniflare, 'workerd'),
    autocannon: require('autocannon/package.json').version,
  };
}
