// @ts-check
/**
 * A fake OpenAI-compatible GPU server as a web-standard handler `(Request) => Promise<Response>`.
 * Runs unchanged in Node (demo-origin/server.mjs) and inside workerd (tests inject it as fetch),
 * so it uses web APIs only. Output is deterministic; the token rules are in ./generation.mjs.
 */
import { createEndpoints } from './endpoints.mjs';
import { json, openAIError } from './responses.mjs';
import { sleep, untilAborted } from './sse.mjs';

export { chatPromptTokens, inputTokens } from './generation.mjs';

/** @typedef {import('./origin.d.mts').DemoOriginOptions} DemoOriginOptions */
/** @typedef {import('./origin.d.mts').DemoOriginRequestRecord} DemoOriginRequestRecord */
/** @typedef {import('./origin.d.mts').DemoOrigin} DemoOrigin */

const FAILURES = ['status500', 'hang', 'refuse', 'midstream'];
/** Fixed `created` of the model list, so responses are reproducible. */
const MODELS_CREATED = 1_767_225_600;

/**
 * Create a demo origin handler; `handler.stats` gets one live-updated record per request.
 * @param {DemoOriginOptions} [options]
 * @returns {DemoOrigin}
 */
export function createDemoOrigin({
  apiKey,
  latencyMs = 0,
  tokensPerSecond = 0,
  sendUsage = true,
  defaultMaxTokens = 32,
  models = ['demo-llm', 'demo-embed'],
  fail,
} = {}) {
  if (!(latencyMs >= 0)) throw new TypeError(`latencyMs must be >= 0, got ${latencyMs}`);
  if (!(tokensPerSecond >= 0)) throw new TypeError(`tokensPerSecond must be >= 0, got ${tokensPerSecond}`);
  if (!Number.isInteger(defaultMaxTokens) || defaultMaxTokens < 1) {
    throw new TypeError(`defaultMaxTokens must be a positive integer, got ${defaultMaxTokens}`);
  }
  if (fail !== undefined && !FAILURES.includes(fail)) throw new TypeError(`unknown fail mode: ${fail}`);
  const endpoints = createEndpoints({
    sendUsage,
    defaultMaxTokens,
    delayMs: tokensPerSecond > 0 ? 1000 / tokensPerSecond : 0,
    fail,
  });
  const served = new Set(models);
  const modelList = {
    object: 'list',
    data: models.map((id) => ({ id, object: 'model', created: MODELS_CREATED, owned_by: 'demo' })),
  };
  /** @type {DemoOriginRequestRecord[]} */
  const stats = [];

  /** @param {Request} request */
  async function demoOrigin(request) {
    const url = new URL(request.url);
    /** @type {DemoOriginRequestRecord} */
    const record = {
      path: url.pathname,
      model: null,
      stream: false,
      promptTokens: 0,
      tokensSent: 0,
      aborted: false,
      completed: false,
      status: null,
    };
    stats.push(record);
    if (fail === 'refuse') {
      const cause = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      throw new TypeError('fetch failed', { cause });
    }
    try {
      if (fail === 'hang') await untilAborted(request.signal);
      await sleep(latencyMs, request.signal);
      const response = await route(request, url, record);
      record.status = response.status;
      return response;
    } catch (error) {
      if (request.signal.aborted) record.aborted = true;
      throw error;
    }
  }

  /**
   * @param {Request} request
   * @param {URL} url
   * @param {DemoOriginRequestRecord} record
   * @returns {Promise<Response>}
   */
  async function route(request, url, record) {
    if (!url.pathname.startsWith('/v1/')) return notFound(url);
    if (apiKey !== undefined && request.headers.get('authorization') !== `Bearer ${apiKey}`) {
      return openAIError(401, 'Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key');
    }
    if (fail === 'status500') {
      return openAIError(500, 'The server had an error while processing your request.', 'server_error');
    }
    if (url.pathname === '/v1/models') {
      if (request.method !== 'GET') return methodNotAllowed(request);
      record.completed = true;
      return json(200, modelList);
    }
    const endpoint = endpoints.get(url.pathname);
    if (!endpoint) return notFound(url);
    if (request.method !== 'POST') return methodNotAllowed(request);

    let body;
    try {
      body = JSON.parse(await request.text());
    } catch {
      return openAIError(400, 'We could not parse the JSON body of your request.', 'invalid_request_error');
    }
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      return openAIError(400, 'The request body must be a JSON object.', 'invalid_request_error');
    }
    if (typeof body.model !== 'string') {
      return openAIError(400, 'You must provide a model parameter.', 'invalid_request_error', null, 'model');
    }
    record.model = body.model;
    if (!served.has(body.model)) {
      const message = `The model \`${body.model}\` does not exist or you do not have access to it.`;
      return openAIError(404, message, 'invalid_request_error', 'model_not_found', 'model');
    }
    record.stream = body.stream === true;
    return endpoint(body, request, record);
  }

  return Object.assign(demoOrigin, { stats });
}

/** @param {URL} url */
function notFound(url) {
  return openAIError(404, `Unknown request URL: ${url.pathname}.`, 'invalid_request_error', 'unknown_url');
}

/** @param {Request} request */
function methodNotAllowed(request) {
  const message = `Method ${request.method} is not allowed here.`;
  return openAIError(405, message, 'invalid_request_error', 'method_not_allowed');
}
