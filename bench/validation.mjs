#!/usr/bin/env node
// @ts-check
/**
 * Microbenchmark of the /v1 body validator (worker/routes/v1/validate-body.ts): nanoseconds per
 * validation of typical bodies, beside JSON.parse of the same bytes (which every request pays
 * anyway), so the validator's share of the hot path is visible. Bundled with esbuild and run
 * in Node's V8 (the same engine as workerd), single-threaded, after a warm-up; the median of
 * several timed batches.
 *
 *   node bench/validation.mjs            full (≈ 3 s)
 *   node bench/validation.mjs --smoke    quick (≈ 0.3 s), exits 1 if a body is refused
 *
 * `npm run bench` runs it too and puts the rows in its table.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const SOURCE = fileURLToPath(new URL('../worker/routes/v1/validate-body.ts', import.meta.url));

/** A realistic chat body of about 2 KB: system prompt, a few turns, a tool, sampling parameters. */
function typicalChat() {
  const sentence = 'The gateway forwards this request to a GPU origin after checking it. ';
  return {
    model: 'demo-llm',
    messages: [
      { role: 'system', content: `You are a helpful assistant. ${sentence.repeat(4)}` },
      { role: 'user', content: sentence.repeat(6) },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"price"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: sentence.repeat(3) },
      { role: 'assistant', content: sentence.repeat(4) },
      {
        role: 'user',
        content: [
          { type: 'text', text: sentence.repeat(2) },
          { type: 'image_url', image_url: { url: 'https://example.com/a.png', detail: 'low' } },
        ],
      },
    ],
    tools: [
      {
        type: 'function',
        function: { name: 'lookup', description: 'Look a fact up.', parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] } },
      },
    ],
    temperature: 0.7,
    top_p: 0.95,
    max_tokens: 256,
    stop: ['\n\n'],
    seed: 42,
    stream: true,
    stream_options: { include_usage: true },
    user: 'user-1234',
  };
}

/** A long conversation: 100 alternating turns of a sentence each. */
function hundredMessages() {
  return {
    model: 'demo-llm',
    messages: Array.from({ length: 100 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `Turn ${i}: a sentence of ordinary length for a chat.` })),
    temperature: 1,
    max_tokens: 512,
  };
}

/** Embeddings of 100 short strings. */
function embeddingBatch() {
  return { model: 'demo-embed', input: Array.from({ length: 100 }, (_, i) => `document ${i} to embed`), encoding_format: 'float' };
}

/** Bundles the validator into a temporary ES module and imports it. */
async function loadValidator() {
  const dir = await mkdtemp(join(os.tmpdir(), 'gw-validate-'));
  try {
    const out = await build({ entryPoints: [SOURCE], bundle: true, format: 'esm', platform: 'neutral', write: false, logLevel: 'silent' });
    const file = join(dir, 'validate-body.mjs');
    await writeFile(file, out.outputFiles[0].text);
    return /** @type {{ validateBody: (endpoint: string, body: object) => void }} */ (await import(pathToFileURL(file).href));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Median ns per call of `fn` over `batches` timed batches of `perBatch` calls, after a warm-up.
 * @param {() => unknown} fn @param {number} perBatch @param {number} batches
 */
function time(fn, perBatch, batches) {
  for (let i = 0; i < perBatch; i++) fn();
  const samples = [];
  for (let b = 0; b < batches; b++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < perBatch; i++) fn();
    samples.push(Number(process.hrtime.bigint() - start) / perBatch);
  }
  samples.sort((x, y) => x - y);
  return samples[Math.floor(samples.length / 2)];
}

/**
 * Measures every body; `smoke` runs a few thousand iterations instead of a few hundred thousand.
 * @param {{ smoke?: boolean }} [options]
 * @returns {Promise<Array<{ body: string, endpoint: string, bytes: number, validateNs: number, parseNs: number }>>}
 */
export async function measureValidation({ smoke = false } = {}) {
  const { validateBody } = await loadValidator();
  const cases = [
    { body: 'typical chat (tools, image part, 6 messages)', endpoint: 'chat', value: typicalChat() },
    { body: '100-message chat', endpoint: 'chat', value: hundredMessages() },
    { body: 'embeddings, 100 inputs', endpoint: 'embeddings', value: embeddingBatch() },
  ];
  // Warm every body up first, so the first one measured does not pay for the JIT alone.
  const parsedCases = cases.map((c) => JSON.parse(JSON.stringify(c.value)));
  for (let i = 0; i < (smoke ? 5_000 : 20_000); i++)
    cases.forEach((c, j) => {
      validateBody(c.endpoint, parsedCases[j]);
    });
  const rows = [];
  for (const c of cases) {
    const text = JSON.stringify(c.value);
    const parsed = JSON.parse(text);
    validateBody(c.endpoint, parsed); // throws if the benchmark's own body is invalid
    const perBatch = smoke ? 5_000 : 20_000;
    const batches = smoke ? 5 : 15;
    rows.push({
      body: c.body,
      endpoint: c.endpoint,
      bytes: Buffer.byteLength(text),
      validateNs: time(() => validateBody(c.endpoint, parsed), perBatch, batches),
      parseNs: time(() => JSON.parse(text), Math.ceil(perBatch / 10), batches),
    });
  }
  return rows;
}

/** @param {Awaited<ReturnType<typeof measureValidation>>} rows */
export function validationMarkdown(rows) {
  return [
    '| /v1 body validation (validate-body.ts, Node V8) | bytes | validate ns | JSON.parse ns | validate / parse |',
    '|---|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.body} | ${r.bytes.toLocaleString('en-US')} | ${Math.round(r.validateNs).toLocaleString('en-US')} | ${Math.round(r.parseNs).toLocaleString('en-US')} | ${(r.validateNs / r.parseNs).toFixed(2)}× |`,
    ),
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const smoke = process.argv.includes('--smoke');
  measureValidation({ smoke }).then(
    (rows) => console.log(validationMarkdown(rows)),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
