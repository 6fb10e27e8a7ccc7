/**
 * @module routes/v1/validate-body
 * Strict, hand-written validation of `/v1` request bodies against OpenAI's documented shapes, so
 * garbage never reaches an origin or the meter. It is on the hot path: one pass over the parsed
 * JSON, no re-serialisation, no allocation on success beyond what a loop needs; the parameter
 * path (`messages[3].content[0].text`) is only built when a check fails.
 *
 * Only fields OpenAI defines are checked; unknown fields are left to the forwarding allow-list
 * (worker/origins). Failures are 400 `invalid_request` with OpenAI's `param` and message wording.
 */
import type { Endpoint } from '../../services/catalog';
import {
  LIMITS,
  fail,
  invalidType,
  missing,
  tooLong,
  emptyArray,
  isObject,
  absent,
  number,
  integer,
  string,
  oneOf,
  object,
  optNumber,
  optInteger,
  optBoolean,
  optString,
  optOneOf,
  type Json,
} from './validate-json';
import { checkMessages, checkTools, checkFunctions, checkToolChoice, checkResponseFormat, checkMetadata } from './validate-messages';

export { LIMITS } from './validate-json';

/** Parameters shared by chat and completions. */
function checkSampling(b: Json): void {
  optNumber(b, 'temperature', 0, 2);
  optNumber(b, 'top_p', 0, 1);
  optNumber(b, 'presence_penalty', -2, 2);
  optNumber(b, 'frequency_penalty', -2, 2);
  optInteger(b, 'seed', -Number.MAX_VALUE, Number.MAX_VALUE);
  optInteger(b, 'max_tokens', 1, Number.MAX_SAFE_INTEGER);
  optBoolean(b, 'stream');
  optString(b, 'user', LIMITS.user);
  const options = b.stream_options;
  if (!absent(options)) {
    object('stream_options', options);
    if (isObject(options) && !absent(options.include_usage) && typeof options.include_usage !== 'boolean')
      invalidType('stream_options.include_usage', 'a boolean', options.include_usage);
  }
  const stop = b.stop;
  if (!absent(stop) && typeof stop !== 'string') {
    if (!Array.isArray(stop)) invalidType('stop', 'a string or an array of strings', stop);
    else {
      if (stop.length > LIMITS.stop) tooLong('stop', LIMITS.stop, stop.length);
      for (let i = 0; i < stop.length; i++) if (typeof stop[i] !== 'string') invalidType(`stop[${i}]`, 'a string', stop[i]);
    }
  }
  const bias = b.logit_bias;
  if (!absent(bias)) {
    if (!isObject(bias)) invalidType('logit_bias', 'an object', bias);
    else {
      let n = 0;
      for (const token in bias) {
        if (++n > LIMITS.logitBias) fail('logit_bias', `Invalid 'logit_bias': at most ${LIMITS.logitBias} tokens may be biased.`);
        if (!/^\d{1,10}$/.test(token)) fail(`logit_bias.${token.slice(0, 32)}`, `Invalid 'logit_bias': keys must be token ids, got '${token.slice(0, 32)}'.`);
        number(`logit_bias.${token}`, bias[token], -100, 100);
      }
    }
  }
}

// ---- chat ----

function checkChat(b: Json): void {
  checkMessages(b.messages);
  checkSampling(b);
  optInteger(b, 'max_completion_tokens', 1, Number.MAX_SAFE_INTEGER);
  optBoolean(b, 'logprobs');
  optInteger(b, 'top_logprobs', 0, 20);
  optBoolean(b, 'parallel_tool_calls');
  optBoolean(b, 'store');
  optString(b, 'reasoning_effort', 32);
  optString(b, 'service_tier', 32);
  optString(b, 'verbosity', 32);
  if (!absent(b.tools)) checkTools(b.tools);
  if (!absent(b.tool_choice)) checkToolChoice(b.tool_choice);
  if (!absent(b.response_format)) checkResponseFormat(b.response_format);
  if (!absent(b.functions)) checkFunctions(b.functions);
  const functionCall = b.function_call;
  if (typeof functionCall === 'string') oneOf('function_call', functionCall, ['none', 'auto']);
  else if (!absent(functionCall)) {
    if (!isObject(functionCall)) invalidType('function_call', 'a string or an object', functionCall);
    else string('function_call.name', functionCall.name, 64);
  }
  for (const k of ['audio', 'prediction', 'web_search_options'] as const) if (!absent(b[k])) object(k, b[k]);
  if (!absent(b.metadata)) checkMetadata(b.metadata);
  if (!absent(b.modalities)) {
    if (!Array.isArray(b.modalities)) invalidType('modalities', 'an array', b.modalities);
    else for (let i = 0; i < b.modalities.length; i++) oneOf(`modalities[${i}]`, b.modalities[i], ['text', 'audio']);
  }
}

// ---- completions and embeddings ----

const tokenId = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** An array of token ids, checked in one loop. */
function tokens(param: string, list: unknown[], max: number): void {
  if (list.length > max) tooLong(param, max, list.length);
  for (let i = 0; i < list.length; i++) {
    if (!tokenId(list[i])) {
      if (typeof list[i] === 'number' && Number.isInteger(list[i])) integer(`${param}[${i}]`, list[i], 0, Number.MAX_SAFE_INTEGER);
      invalidType(`${param}[${i}]`, 'a token id (an integer)', list[i]);
    }
  }
}

/** A string, an array of strings, an array of token ids, or an array of token-id arrays. */
function textOrTokens(param: string, v: unknown, maxItems: number, nonEmpty: boolean): void {
  if (typeof v === 'string') {
    if (nonEmpty && v === '') fail(param, `Invalid '${param}': empty string. Expected a non-empty string.`);
    return;
  }
  if (!Array.isArray(v)) return invalidType(param, 'a string or an array', v);
  if (v.length === 0) emptyArray(param);
  const first = v[0];
  if (typeof first === 'number') return tokens(param, v, LIMITS.promptTokens);
  if (v.length > maxItems) tooLong(param, maxItems, v.length);
  const arrays = Array.isArray(first);
  for (let i = 0; i < v.length; i++) {
    const item = v[i];
    if (arrays) {
      if (!Array.isArray(item)) return invalidType(`${param}[${i}]`, 'an array of token ids', item);
      if (item.length === 0) emptyArray(`${param}[${i}]`);
      tokens(`${param}[${i}]`, item, LIMITS.promptTokens);
    } else {
      if (typeof item !== 'string') return invalidType(`${param}[${i}]`, 'a string', item);
      if (nonEmpty && item === '') fail(`${param}[${i}]`, `Invalid '${param}[${i}]': empty string. Expected a non-empty string.`);
    }
  }
}

function checkCompletions(b: Json): void {
  if (b.prompt === undefined) missing('prompt');
  if (b.prompt !== null) textOrTokens('prompt', b.prompt, LIMITS.embeddingInputs, false);
  checkSampling(b);
  optInteger(b, 'logprobs', 0, 5);
  optBoolean(b, 'echo');
  optString(b, 'suffix');
}

function checkEmbeddings(b: Json): void {
  if (b.input === undefined) missing('input');
  textOrTokens('input', b.input, LIMITS.embeddingInputs, true);
  optInteger(b, 'dimensions', 1, 65_536);
  optOneOf(b, 'encoding_format', ['float', 'base64']);
  optString(b, 'user', LIMITS.user);
}

/** Throws a 400 `invalid_request` ApiError naming the first parameter that breaks OpenAI's shape for the endpoint. */
export function validateBody(endpoint: Endpoint, body: Json): void {
  const model = body.model;
  if (model === undefined || model === '') fail('model', 'You must provide a model parameter.');
  string('model', model, LIMITS.model);
  if (endpoint === 'chat') checkChat(body);
  else if (endpoint === 'completions') checkCompletions(body);
  else checkEmbeddings(body);
}
