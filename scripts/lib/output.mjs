/** Tagged, quiet-ish console output for `npm start`: one short tag per source, noise dropped. */
import { stripVTControlCharacters } from 'node:util';

const COLORS = { start: 35, d1: 34, origin: 33, stripe: 94, btcpay: 93, inbox: 92, gateway: 36, dash: 32 };
const WIDTH = Math.max(...Object.keys(COLORS).map((tag) => tag.length));

/**
 * Lines from wrangler that carry no news for someone running the demo: banners, the bindings
 * table (printed on every reconnect), telemetry notes, and the health polls of this script
 * and of the dashboard page.
 */
const NOISE = [
  /^\s*$/,
  /^\s*⛅️ wrangler/,
  /^[─\s]+$/,
  /^Your Worker (and resources are simulated locally|has access to the following bindings)/,
  /^\s*(Binding\s+Resource|env\.[A-Z_]+ )/,
  /^Service bindings, Durable Object bindings, and Tail consumers/,
  /^⎔ (Connection status updated|Reloading local server)/,
  /^✨ Compiled Worker successfully/,
  /^Cloudflare collects anonymous telemetry/,
  /^🪵 {1,2}Logs were written to/,
  /^\[wrangler:info\] (GET|HEAD) \/api\/health /,
  /^No bindings found\.?$/,
];

/**
 * A line printer for one source.
 * @param {keyof typeof COLORS} tag
 * @param {{ stream?: NodeJS.WriteStream, filter?: boolean }} [options] filter: drop NOISE lines
 * @returns {(line: string) => void}
 */
export function tagged(tag, { stream = process.stdout, filter = false } = {}) {
  const label = tag.padEnd(WIDTH);
  const prefix = stream.isTTY ? `\x1b[${COLORS[tag]}m${label}\x1b[0m │ ` : `${label} │ `;
  return (line) => {
    const plain = stripVTControlCharacters(line);
    if (filter && NOISE.some((pattern) => pattern.test(plain))) return;
    stream.write(`${prefix + (stream.isTTY ? line : plain)}\n`);
  };
}
