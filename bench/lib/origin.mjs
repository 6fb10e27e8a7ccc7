// @ts-check
/**
 * The fast fake origin: an OpenAI-compatible chat endpoint that answers from precomputed
 * buffers, so the benchmark measures the gateway rather than the origin. POST
 * /v1/chat/completions returns a fixed small completion, or with `"stream": true` an SSE stream
 * of N `chat.completion.chunk`s, a usage chunk with `choices: []`, then `data: [DONE]`.
 *
 * Runs as its own process (`node bench/lib/origin.mjs --port 9300 --chunks 20`) so it does not
 * share an event loop with the orchestrator; prints `ready <url>` once listening.
 */
import http from 'node:http';
import { parseArgs } from 'node:util';

export const MODEL = 'bench-llm';
const CREATED = 1_700_000_000;
const PROMPT_TOKENS = 12;

/**
 * The fixed non-streamed completion.
 * @param {number} chunks completion tokens (one per stream chunk, so both modes bill alike)
 */
export function completionBody(chunks) {
  return JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created: CREATED,
    model: MODEL,
    choices: [{ index: 0, message: { role: 'assistant', content: 'tok '.repeat(chunks).trim() }, finish_reason: 'stop' }],
    usage: { prompt_tokens: PROMPT_TOKENS, completion_tokens: chunks, total_tokens: PROMPT_TOKENS + chunks },
  });
}

/**
 * The SSE events of one stream, each a complete `data: …\n\n` frame.
 * @param {number} chunks
 * @returns {string[]}
 */
export function streamEvents(chunks) {
  const chunk = (/** @type {object} */ delta, /** @type {string | null} */ finish) =>
    JSON.stringify({
      id: 'chatcmpl-bench',
      object: 'chat.completion.chunk',
      created: CREATED,
      model: MODEL,
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
  const events = [];
  for (let i = 0; i < chunks; i++) events.push(chunk(i === 0 ? { role: 'assistant', content: 'tok' } : { content: ' tok' }, i === chunks - 1 ? 'stop' : null));
  events.push(
    JSON.stringify({
      id: 'chatcmpl-bench',
      object: 'chat.completion.chunk',
      created: CREATED,
      model: MODEL,
      choices: [],
      usage: { prompt_tokens: PROMPT_TOKENS, completion_tokens: chunks, total_tokens: PROMPT_TOKENS + chunks },
    }),
  );
  events.push('[DONE]');
  return events.map((data) => `data: ${data}\n\n`);
}

/**
 * A request handler for the fake origin.
 * @param {{ chunks?: number, chunkDelayMs?: number }} [options]
 * @returns {http.RequestListener}
 */
export function originHandler({ chunks = 20, chunkDelayMs = 0 } = {}) {
  const completion = Buffer.from(completionBody(chunks));
  const frames = streamEvents(chunks).map((frame) => Buffer.from(frame));
  return function fakeOrigin(req, res) {
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found","type":"invalid_request_error"}}');
      return;
    }
    /** @type {Buffer[]} */
    const parts = [];
    req.on('data', (part) => parts.push(part));
    req.on('end', () => {
      // The body is small; a substring test keeps the origin cheap and tolerates any key order.
      const stream = /"stream"\s*:\s*true/.test(Buffer.concat(parts).toString());
      if (!stream) {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': completion.length }).end(completion);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
      if (chunkDelayMs <= 0) {
        // One write per event (one HTTP chunk each), all in this tick: no pacing, no waiting.
        for (let i = 0; i < frames.length - 1; i++) res.write(frames[i]);
        res.end(frames[frames.length - 1]);
        return;
      }
      let i = 0;
      const next = () => {
        if (res.destroyed) return;
        res.write(frames[i++]);
        if (i < frames.length) setTimeout(next, chunkDelayMs);
        else res.end();
      };
      next();
    });
  };
}

/**
 * Starts the fake origin.
 * @param {{ port: number, host?: string, chunks?: number, chunkDelayMs?: number }} options
 * @returns {Promise<{ url: string, close: () => Promise<void> }>}
 */
export function startOrigin({ port, host = '127.0.0.1', ...options }) {
  const server = http.createServer({ keepAliveTimeout: 60_000 }, originHandler(options));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      resolve({
        url: `http://${host}:${port}`,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const { values } = parseArgs({
    options: { port: { type: 'string' }, chunks: { type: 'string', default: '20' }, 'chunk-delay-ms': { type: 'string', default: '0' } },
  });
  const origin = await startOrigin({ port: Number(values.port), chunks: Number(values.chunks), chunkDelayMs: Number(values['chunk-delay-ms']) });
  console.log(`ready ${origin.url}`);
  process.on('SIGTERM', () => origin.close().then(() => process.exit(0)));
}
