#!/usr/bin/env node
/**
 * Runs the demo origin (./origin.mjs) as a Node HTTP server.
 *
 *   node demo-origin/server.mjs --port 9100 --host 127.0.0.1 --latency-ms 0 \
 *     --tokens-per-second 40 --api-key <key> [--no-usage] [--default-max-tokens 32] \
 *     [--models demo-llm,demo-embed] [--fail status500|hang|refuse|midstream] [--log-requests]
 *
 * Every flag has an environment fallback: DEMO_ORIGIN_PORT, DEMO_ORIGIN_HOST,
 * DEMO_ORIGIN_LATENCY_MS, DEMO_ORIGIN_TOKENS_PER_SECOND, DEMO_ORIGIN_API_KEY,
 * DEMO_ORIGIN_SEND_USAGE (true|false), DEMO_ORIGIN_DEFAULT_MAX_TOKENS, DEMO_ORIGIN_MODELS,
 * DEMO_ORIGIN_FAIL, DEMO_ORIGIN_LOG_REQUESTS (true|false). Flags win over the environment.
 */
import { closeServer, listen, toWebRequest } from '../scripts/lib/node-http.mjs';
import http from 'node:http';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createDemoOrigin } from './origin.mjs';

/**
 * @typedef {import('./origin.d.mts').DemoOriginOptions & {
 *   port?: number, host?: string, logRequests?: boolean | ((line: string) => void)
 * }} StartOptions
 */

/**
 * Start the demo origin on a port (0 picks a free one).
 * @param {StartOptions} [options]
 * @returns {Promise<{ url: string, port: number, stats: import('./origin.d.mts').DemoOriginRequestRecord[], close(): Promise<void> }>}
 */
export async function startDemoOrigin({ port = 9100, host = '127.0.0.1', logRequests = false, ...options } = {}) {
  const origin = createDemoOrigin(options);
  const log = typeof logRequests === 'function' ? logRequests : logRequests ? console.log : undefined;
  const server = http.createServer({ noDelay: true }, (req, res) => {
    serve(origin, req, res, log).catch((error) => {
      console.error('demo origin: unexpected error', error);
      res.destroy();
    });
  });
  const { url, port: boundPort } = await listen(server, port, host);
  return {
    url,
    port: boundPort,
    stats: origin.stats,
    close: () => closeServer(server),
  };
}

/**
 * Adapt one node:http exchange to the web handler and stream its answer back chunk by chunk.
 * @param {(request: Request) => Promise<Response>} origin
 * @param {http.IncomingMessage} req
 * @param {http.ServerResponse} res
 * @param {((line: string) => void) | undefined} log
 */
async function serve(origin, req, res, log) {
  const disconnected = new AbortController();
  // 'close' before the response finished means the client went away: abort the handler.
  res.on('close', () => {
    if (!res.writableFinished) disconnected.abort(new DOMException('client disconnected', 'AbortError'));
  });
  const request = await toWebRequest(req, disconnected.signal);

  let response;
  try {
    response = await origin(request);
  } catch {
    // "refuse" and "hang" end here: drop the connection without an answer.
    req.socket.destroy();
    return;
  }
  res.writeHead(response.status, Object.fromEntries(response.headers));
  let sent = 0;
  try {
    if (response.body) {
      for await (const chunk of response.body) {
        sent += chunk.byteLength;
        // Each write goes out at once (noDelay), so every SSE event reaches the client as produced.
        if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve).once('close', resolve));
        if (disconnected.signal.aborted) break;
      }
    }
    res.end();
  } catch {
    res.destroy(); // the body errored ("midstream"): truncate the response like a dying server
  } finally {
    log?.(`${req.method} ${req.url} ${response.status} ${sent}B${disconnected.signal.aborted ? ' (client gone)' : ''}`);
  }
}

/** Parse flags with environment fallbacks. */
function cliOptions() {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'latency-ms': { type: 'string' },
      'tokens-per-second': { type: 'string' },
      'api-key': { type: 'string' },
      'no-usage': { type: 'boolean' },
      'default-max-tokens': { type: 'string' },
      models: { type: 'string' },
      fail: { type: 'string' },
      'log-requests': { type: 'boolean' },
    },
  });
  const env = process.env;
  const num = (/** @type {string | undefined} */ v) => (v === undefined || v === '' ? undefined : Number(v));
  const bool = (/** @type {string | undefined} */ v) => (v === undefined ? undefined : /^(1|true|yes)$/i.test(v));
  const models = values.models ?? env.DEMO_ORIGIN_MODELS;
  return {
    port: num(values.port ?? env.DEMO_ORIGIN_PORT),
    host: values.host ?? env.DEMO_ORIGIN_HOST,
    latencyMs: num(values['latency-ms'] ?? env.DEMO_ORIGIN_LATENCY_MS),
    tokensPerSecond: num(values['tokens-per-second'] ?? env.DEMO_ORIGIN_TOKENS_PER_SECOND),
    apiKey: values['api-key'] ?? (env.DEMO_ORIGIN_API_KEY || undefined),
    sendUsage: values['no-usage'] ? false : bool(env.DEMO_ORIGIN_SEND_USAGE),
    defaultMaxTokens: num(values['default-max-tokens'] ?? env.DEMO_ORIGIN_DEFAULT_MAX_TOKENS),
    models: models
      ? models
          .split(',')
          .map((m) => m.trim())
          .filter(Boolean)
      : undefined,
    fail: values.fail ?? (env.DEMO_ORIGIN_FAIL || undefined),
    logRequests: values['log-requests'] ?? bool(env.DEMO_ORIGIN_LOG_REQUESTS) ?? false,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const options = Object.fromEntries(Object.entries(cliOptions()).filter(([, v]) => v !== undefined));
  try {
    const server = await startDemoOrigin(options);
    const pace = options.tokensPerSecond ? `${options.tokensPerSecond} tokens/s` : 'unpaced';
    const auth = options.apiKey ? 'api key required' : 'no api key';
    console.log(`demo origin listening on ${server.url}/v1 (${auth}, ${pace})`);
    const stop = () => server.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  } catch (error) {
    console.error(`demo origin: ${error instanceof Error ? error.message : error}`);
    process.exit(1);
  }
}
