// @ts-check
/**
 * One autocannon run (closed loop, keep-alive, `connections` in flight). Latency percentiles are
 * computed from every 2xx response time as autocannon reports it per response, not from its
 * summary histogram, whose 1 ms resolution hides what a gateway adds.
 */
import autocannon from 'autocannon';
import { Samples } from './stats.mjs';

/**
 * @typedef {object} LoadRun
 * @property {string} url
 * @property {Record<string, string>} headers
 * @property {string} body
 * @property {number} connections
 * @property {number} durationMs
 * @property {'json' | 'stream' | 'admit'} kind  what a sane body looks like
 */

/**
 * @typedef {object} LoadResult
 * @property {number} ok          2xx responses with a sane body
 * @property {number} non2xx
 * @property {number} errors
 * @property {number} timeouts
 * @property {number} mismatches  2xx responses whose body was not what `kind` promises
 * @property {Record<string, number>} statusCodes
 * @property {number} elapsedMs
 * @property {number} rps         sane 2xx per second
 * @property {number | null} p50  ms
 * @property {number | null} p99  ms
 */

/** Body checks cheap enough not to slow the load generator. */
const SANE = {
  json: (/** @type {string} */ body) => body.includes('"choices"') && body.trimEnd().endsWith('}'),
  stream: (/** @type {string} */ body) => body.trimEnd().endsWith('data: [DONE]'),
  admit: (/** @type {string} */ body) => body.startsWith('{"ok":true'),
};

/**
 * @param {LoadRun} run
 * @returns {Promise<LoadResult>}
 */
export async function runAutocannon({ url, headers, body, connections, durationMs, kind }) {
  const latencies = new Samples();
  /** @type {Record<string, number>} */
  const statusCodes = {};
  const started = performance.now();
  const instance = autocannon({
    url,
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body,
    connections,
    duration: durationMs / 1000,
    timeout: 30,
    verifyBody: SANE[kind],
  });
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1;
    if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
  });
  const result = await instance;
  const elapsedMs = performance.now() - started;
  const twoXx = result['2xx'];
  const ok = Math.max(0, twoXx - result.mismatches);
  return {
    ok,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    mismatches: result.mismatches,
    statusCodes,
    elapsedMs,
    rps: (ok * 1000) / elapsedMs,
    p50: latencies.percentile(50),
    p99: latencies.percentile(99),
  };
}
