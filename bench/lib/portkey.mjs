// @ts-check
/**
 * The open-source Portkey gateway (`@portkey-ai/gateway`, a Node server through
 * @hono/node-server), started from its bin in headless mode. It does no auth, limits or
 * billing: it forwards to the origin named by `x-portkey-custom-host`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const PORTKEY_DIR = dirname(require.resolve('@portkey-ai/gateway/package.json'));
const SHIM = fileURLToPath(new URL('./portkey-fetch-shim.mjs', import.meta.url));

/** The installed Portkey version. */
export const PORTKEY_VERSION = /** @type {string} */ (JSON.parse(readFileSync(join(PORTKEY_DIR, 'package.json'), 'utf8')).version);

/**
 * The version of `@hono/node-server` that Portkey resolves (node_modules lookup from its folder).
 * @returns {string | null}
 */
export function portkeyNodeServerVersion() {
  for (let dir = PORTKEY_DIR; ; dir = dirname(dir)) {
    const file = join(dir, 'node_modules', '@hono', 'node-server', 'package.json');
    if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')).version;
    if (dirname(dir) === dir) return null;
  }
}

/** Whether the installed node-server needs the fetch shim (see portkey-fetch-shim.mjs). */
function needsShim(/** @type {string | null} */ version) {
  if (!version) return false;
  const [major, minor, patch] = version.split('.').map(Number);
  return major === 1 && (minor > 14 || (minor === 14 && patch > 2));
}

/**
 * The command line that starts Portkey on a port.
 * @param {number} port
 * @returns {{ args: string[], shim: boolean, nodeServer: string | null }}
 */
export function portkeyCommand(port) {
  const nodeServer = portkeyNodeServerVersion();
  const shim = needsShim(nodeServer);
  return {
    args: [...(shim ? ['--import', SHIM] : []), join(PORTKEY_DIR, 'build', 'start-server.js'), `--port=${port}`, '--headless'],
    shim,
    nodeServer,
  };
}

/**
 * Request headers that route a call through Portkey to our origin (the custom host must end in
 * /v1: Portkey appends /chat/completions).
 * @param {string} originUrl
 */
export function portkeyHeaders(originUrl) {
  return { 'x-portkey-provider': 'openai', 'x-portkey-custom-host': `${originUrl}/v1`, authorization: 'Bearer fake' };
}
