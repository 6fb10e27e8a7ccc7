// @ts-check
/**
 * The demo origin's generation endpoints: chat completions, legacy completions, embeddings.
 * Each receives a parsed body whose model is already known to be served.
 */
import { chatPromptTokens, completionFor, embeddingBase64, embeddingFor, inputTokens, messageText } from './generation.mjs';
import { brokenBody, invalidRequest, json, JSON_HEADERS, SSE_HEADERS } from './responses.mjs';
import { pacedSseStream } from './sse.mjs';

/** @typedef {import('./origin.d.mts').DemoOriginRequestRecord} DemoOriginRequestRecord */
/** @typedef {import('./origin.d.mts').DemoOriginFailure} DemoOriginFailure */
/** @typedef {import('./sse.mjs').SseEvent} SseEvent */
/** @typedef {Record<string, unknown>} Json */
/** @typedef {(body: Json, request: Request, record: DemoOriginRequestRecord) => Response} EndpointHandler */

/** Tokens a "midstream" failure lets through before the stream errors. */
const MIDSTREAM_TOKENS = 3;

/**
 * Build the POST endpoint table for one origin configuration.
 * @param {object} config
 * @param {boolean} config.sendUsage
 * @param {number} config.defaultMaxTokens
 * @param {number} config.delayMs pause between stream chunks
 * @param {DemoOriginFailure} [config.fail]
 * @returns {Map<string, EndpointHandler>}
 */
export function createEndpoints({ sendUsage, defaultMaxTokens, delayMs, fail }) {
  /**
   * The body every generation endpoint shares: an SSE stream, buffered JSON, or a broken body.
   * @param {object} args
   * @param {Json} args.body
   * @param {Request} args.request
   * @param {DemoOriginRequestRecord} args.record
   * @param {Json} args.full the complete non-streamed response, usage excluded
   * @param {Json} args.usage
   * @param {number} args.completionTokens
   * @param {Json} args.chunkHead id, object, created, model of every chunk
   * @param {(extra: Json) => SseEvent[]} args.events content chunks (before usage and [DONE])
   */
  function respond({ body, request, record, full, usage, completionTokens, chunkHead, events }) {
    if (!record.stream) {
      const text = JSON.stringify(sendUsage ? { ...full, usage } : full);
      if (fail === 'midstream') return new Response(brokenBody(text), { headers: JSON_HEADERS });
      record.tokensSent = completionTokens;
      record.completed = true;
      return new Response(text, { headers: JSON_HEADERS });
    }
    const streamOptions = /** @type {Json | null | undefined} */ (body.stream_options);
    // Usage goes out only when asked for, and then every other chunk says `usage: null` (OpenAI).
    const includeUsage = sendUsage && streamOptions?.include_usage === true;
    const all = events(includeUsage ? { usage: null } : {});
    if (includeUsage) all.push({ data: { ...chunkHead, choices: [], usage }, tokens: 0 });
    all.push({ data: '[DONE]', tokens: 0 });
    const stream = pacedSseStream({
      events: all,
      delayMs,
      signal: request.signal,
      record,
      failAfterTokens: fail === 'midstream' ? MIDSTREAM_TOKENS : undefined,
    });
    return new Response(stream, { headers: SSE_HEADERS });
  }

  /** @type {EndpointHandler} */
  function chatCompletions(body, request, record) {
    const messages = body.messages;
    if (!Array.isArray(messages) || messages.length === 0) {
      return invalidRequest('messages must be a non-empty array.', 'messages');
    }
    const maxTokens = maxTokensOf(body, defaultMaxTokens);
    if (maxTokens instanceof Response) return maxTokens;
    const promptKey = messages.map((m) => messageText(m?.content)).join('\n');
    const { tokens, finishReason } = completionFor(promptKey, maxTokens);
    record.promptTokens = chatPromptTokens(messages);
    const id = `chatcmpl-${crypto.randomUUID()}`;
    const created = unixNow();
    const model = body.model;
    const chunkHead = { id, object: 'chat.completion.chunk', created, model };
    const last = tokens.length - 1;
    /** @param {Json} delta @param {string | null} finishReason @param {Json} extra */
    const chunk = (delta, finishReason, extra) => ({
      ...chunkHead,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      ...extra,
    });
    return respond({
      body,
      request,
      record,
      completionTokens: tokens.length,
      usage: usageOf(record.promptTokens, tokens.length),
      full: {
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: tokens.join(''), refusal: null },
            logprobs: null,
            finish_reason: finishReason,
          },
        ],
      },
      chunkHead,
      events: (extra) => [
        // Like OpenAI and vLLM: the role arrives first with empty content, then one token per chunk.
        { data: chunk({ role: 'assistant', content: '' }, null, extra), tokens: 0 },
        ...tokens.map((t, i) => ({
          data: chunk({ content: t }, i === last ? finishReason : null, extra),
          tokens: 1,
        })),
      ],
    });
  }

  /** @type {EndpointHandler} */
  function completions(body, request, record) {
    const prompts = inputList(body.prompt);
    if (!prompts) return invalidRequest('prompt must be a string or an array.', 'prompt');
    const maxTokens = maxTokensOf(body, defaultMaxTokens);
    if (maxTokens instanceof Response) return maxTokens;
    // One choice per prompt, as OpenAI and vLLM do for batched prompts.
    const outputs = prompts.map((p) => completionFor(typeof p === 'string' ? p : JSON.stringify(p), maxTokens));
    record.promptTokens = prompts.reduce((sum, p) => sum + inputTokens(p), 0);
    const completionTokens = outputs.reduce((sum, o) => sum + o.tokens.length, 0);
    const chunkHead = {
      id: `cmpl-${crypto.randomUUID()}`,
      object: 'text_completion',
      created: unixNow(),
      model: body.model,
    };
    return respond({
      body,
      request,
      record,
      completionTokens,
      usage: usageOf(record.promptTokens, completionTokens),
      full: {
        ...chunkHead,
        choices: outputs.map((o, index) => ({
          index,
          text: o.tokens.join(''),
          logprobs: null,
          finish_reason: o.finishReason,
        })),
      },
      chunkHead,
      events: (extra) =>
        outputs.flatMap((o, index) =>
          o.tokens.map((text, i) => ({
            data: {
              ...chunkHead,
              choices: [{ index, text, logprobs: null, finish_reason: i === o.tokens.length - 1 ? o.finishReason : null }],
              ...extra,
            },
            tokens: 1,
          })),
        ),
    });
  }

  /** @type {EndpointHandler} */
  function embeddings(body, _request, record) {
    const inputs = inputList(body.input);
    if (!inputs || inputs.some((input) => inputTokens(input) === 0)) {
      return invalidRequest('input must be a non-empty string or array.', 'input');
    }
    // The OpenAI SDK asks for base64 by default and decodes it itself.
    const base64 = body.encoding_format === 'base64';
    record.stream = false;
    record.promptTokens = inputs.reduce((sum, input) => sum + inputTokens(input), 0);
    record.completed = true;
    return json(200, {
      object: 'list',
      data: inputs.map((input, index) => {
        const vector = embeddingFor(input);
        return { object: 'embedding', index, embedding: base64 ? embeddingBase64(vector) : vector };
      }),
      model: body.model,
      ...(sendUsage ? { usage: { prompt_tokens: record.promptTokens, total_tokens: record.promptTokens } } : {}),
    });
  }

  return new Map([
    ['/v1/chat/completions', chatCompletions],
    ['/v1/completions', completions],
    ['/v1/embeddings', embeddings],
  ]);
}

function unixNow() {
  return Math.floor(Date.now() / 1000);
}

/**
 * @param {number} prompt
 * @param {number} completion
 */
function usageOf(prompt, completion) {
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/**
 * max_tokens ?? max_completion_tokens ?? the default, or a 400 response when invalid.
 * @param {Json} body
 * @param {number} fallback
 * @returns {number | Response}
 */
function maxTokensOf(body, fallback) {
  const param = body.max_tokens != null ? 'max_tokens' : 'max_completion_tokens';
  const value = body[param] ?? fallback;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1) return value;
  return invalidRequest(`${param} must be a positive integer.`, param);
}

/**
 * Normalise a prompt/input field: a string, strings, token ids, or arrays of token ids.
 * @param {unknown} value
 * @returns {Array<string | number[]> | null} null when the shape is not accepted
 */
function inputList(value) {
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value) || value.length === 0) return null;
  if (value.every((v) => typeof v === 'number')) return [value];
  const isIds = (/** @type {unknown} */ v) => Array.isArray(v) && v.every((n) => typeof n === 'number');
  return value.every((v) => typeof v === 'string' || isIds(v)) ? value : null;
}
