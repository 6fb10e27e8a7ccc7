// @ts-check
/**
 * Deterministic "model output" for the demo origin: completion text, prompt token counts and
 * embedding vectors, all derived from a hash of the input so tests can predict every number.
 *
 * Token rules (documented contract, relied on by tests):
 * - Completion text is a sequence of words from VOCABULARY, each with a leading space. Every such
 *   word is exactly one token in both cl100k_base and o200k_base, so a tokenizer that counts
 *   stream deltas agrees with the reported completion_tokens.
 * - Natural length is 24 + hash % 16 words; max_tokens cuts it (finish_reason 'length').
 * - Chat prompt tokens: whitespace-separated words in every message's text content,
 *   plus 3 per message, plus 3. Non-text content parts count 0.
 * - Legacy completion / embedding prompt tokens: whitespace-separated words of each string
 *   input, or the length of each token-id array input, summed.
 */

/** One-token words (leading space included when used); verified against cl100k and o200k. */
export const VOCABULARY = Object.freeze([
  'lorem',
  'ipsum',
  'dolor',
  'sit',
  'amet',
  'the',
  'model',
  'runs',
  'on',
  'a',
  'small',
  'GPU',
  'and',
  'each',
  'word',
  'is',
  'one',
  'token',
  'for',
  'this',
  'demo',
  'server',
  'that',
  'streams',
  'text',
  'back',
  'to',
  'you',
  'while',
  'gateway',
  'counts',
  'every',
  'piece',
  'of',
  'output',
  'with',
  'care',
  'so',
  'billing',
  'stays',
  'exact',
  'over',
  'time',
  'data',
  'light',
  'fast',
  'edge',
  'cloud',
  'node',
  'price',
  'credit',
  'key',
  'rate',
  'limit',
  'stream',
  'chunk',
  'reply',
  'ready',
  'quiet',
  'green',
  'blue',
  'river',
  'stone',
  'paper',
]);

/** Dimension of every embedding vector. */
export const EMBEDDING_DIMENSION = 8;

/**
 * FNV-1a 32-bit hash of a string (UTF-16 code units; deterministic across runtimes).
 * @param {string} text
 */
export function hash32(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Small seeded PRNG (mulberry32), returning floats in [0, 1).
 * @param {number} seed
 */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Number of whitespace-separated words in a string.
 * @param {string} text
 */
export function countWords(text) {
  const trimmed = String(text).trim();
  return trimmed === '' ? 0 : trimmed.split(/\s+/).length;
}

/**
 * Text of one chat message's content: a string, or the text parts of a content-part array.
 * @param {unknown} content
 * @returns {string}
 */
export function messageText(content) {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part) => (part && typeof part === 'object' && typeof part.text === 'string' ? part.text : '')).join(' ');
}

/**
 * Prompt tokens of a chat request: words in all message text + 3 per message + 3.
 * @param {ReadonlyArray<{ content?: unknown }>} messages
 */
export function chatPromptTokens(messages) {
  let tokens = 3;
  for (const message of messages) tokens += countWords(messageText(message?.content)) + 3;
  return tokens;
}

/**
 * Prompt tokens of one legacy-completion prompt or embedding input (string or token ids).
 * @param {string | ReadonlyArray<number>} input
 */
export function inputTokens(input) {
  return typeof input === 'string' ? countWords(input) : input.length;
}

/**
 * The deterministic completion for a prompt, cut at maxTokens.
 * @param {string} promptKey text the output is derived from
 * @param {number} maxTokens
 * @returns {{ tokens: string[], finishReason: 'stop' | 'length' }}
 *   tokens: one entry per token, each a word with its leading space.
 */
export function completionFor(promptKey, maxTokens) {
  const h = hash32(promptKey);
  const natural = 24 + (h % 16);
  const length = Math.min(natural, maxTokens);
  const next = prng(h);
  /** @type {string[]} */
  const tokens = [];
  for (let i = 0; i < length; i++) tokens.push(` ${VOCABULARY[Math.floor(next() * VOCABULARY.length)]}`);
  return { tokens, finishReason: length < natural ? 'length' : 'stop' };
}

/**
 * A deterministic unit-length vector for an embedding input.
 * @param {string | ReadonlyArray<number>} input
 * @returns {number[]}
 */
export function embeddingFor(input) {
  const next = prng(hash32(typeof input === 'string' ? input : JSON.stringify(input)));
  const raw = Array.from({ length: EMBEDDING_DIMENSION }, () => next() * 2 - 1);
  const norm = Math.hypot(...raw) || 1;
  // Rounded through float32 so the JSON and base64 encodings carry the same numbers.
  return raw.map((x) => Math.fround(x / norm));
}

/**
 * Base64 of the little-endian float32 bytes of a vector (OpenAI's encoding_format "base64").
 * @param {number[]} vector
 */
export function embeddingBase64(vector) {
  const view = new DataView(new ArrayBuffer(vector.length * 4));
  vector.forEach((x, i) => {
    view.setFloat32(i * 4, x, true);
  });
  const bytes = new Uint8Array(view.buffer);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}
