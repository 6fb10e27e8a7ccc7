// @ts-check
/**
 * The stream client: a closed loop of `connections` keep-alive connections, each sending one
 * streamed request after another for a fixed time, and timing for every response the first
 * body byte (TTFB: the first SSE event has reached the client), and the end of the stream.
 */
import http from 'node:http';
import { Samples } from './stats.mjs';

/**
 * @typedef {object} StreamRun
 * @property {string} url
 * @property {Record<string, string>} headers
 * @property {string} body
 * @property {number} connections
 * @property {number} durationMs
 */

/**
 * @typedef {object} StreamResult
 * @property {number} ok          responses with status 200 and a complete stream ending in [DONE]
 * @property {number} non2xx
 * @property {number} errors      connection errors
 * @property {number} mismatches  200s whose body did not end with `data: [DONE]`
 * @property {number} elapsedMs
 * @property {number} rps
 * @property {number | null} ttfbP50 ms
 * @property {number | null} ttfbP99 ms
 * @property {number | null} totalP50 ms
 * @property {number | null} totalP99 ms
 */

/**
 * Runs the loop and summarises it.
 * @param {StreamRun} run
 * @returns {Promise<StreamResult>}
 */
export async function measureStreams({ url, headers, body, connections, durationMs }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const payload = Buffer.from(body);
  const requestHeaders = { ...headers, 'content-type': 'application/json', 'content-length': String(payload.length) };
  const ttfb = new Samples();
  const total = new Samples();
  const counts = { ok: 0, non2xx: 0, errors: 0, mismatches: 0 };
  const started = performance.now();
  const deadline = started + durationMs;

  /** One request; resolves when its response ended or failed. */
  const once = () =>
    new Promise((resolve) => {
      const t0 = performance.now();
      let first = 0;
      let tail = '';
      const req = http.request(url, { method: 'POST', agent, headers: requestHeaders }, (res) => {
        res.on('data', (/** @type {Buffer} */ chunk) => {
          if (first === 0) first = performance.now();
          tail = (tail + chunk.toString('latin1')).slice(-64);
        });
        res.on('end', () => {
          const end = performance.now();
          if (res.statusCode !== 200) counts.non2xx++;
          else if (!tail.trimEnd().endsWith('data: [DONE]')) counts.mismatches++;
          else {
            counts.ok++;
            ttfb.push(first - t0);
            total.push(end - t0);
          }
          resolve(undefined);
        });
        res.on('error', () => {
          counts.errors++;
          resolve(undefined);
        });
      });
      req.on('error', () => {
        counts.errors++;
        resolve(undefined);
      });
      req.end(payload);
    });

  const loop = async () => {
    while (performance.now() < deadline) await once();
  };
  await Promise.all(Array.from({ length: connections }, loop));
  const elapsedMs = performance.now() - started;
  agent.destroy();
  return {
    ...counts,
    elapsedMs,
    rps: (counts.ok * 1000) / elapsedMs,
    ttfbP50: ttfb.percentile(50),
    ttfbP99: ttfb.percentile(99),
    totalP50: total.percentile(50),
    totalP99: total.percentile(99),
  };
}
