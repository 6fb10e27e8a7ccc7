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
import { ApiError } from '../../errors';
import type { Endpoint } from '../../services/catalog';

type Json = Record<string, unknown>;

/** Bounds. OpenAI documents the tool, stop, top_logprobs and embedding-input ones; the rest keep a 1 MB body cheap to check. */
export const LIMITS = {
  messages: 2048,
  contentParts: 1024,
  toolCalls: 1024,
  tools: 128,
  stop: 4,
  logitBias: 1024,
  metadata: 16,
  user: 256,
  model: 256,
  embeddingInputs: 2048,
  promptTokens: 1_048_576,
  /** Nesting of free-form objects (tool parameters, JSON schemas, metadata). */
  depth: 64,
} as const;

const ROLES = ['system', 'developer', 'user', 'assistant', 'tool', 'function'];
/** Content part types each role may send (OpenAI's ChatCompletion*MessageParam). */
const TEXT_ONLY = new Set(['text']);
const USER_PARTS = new Set(['text', 'image_url', 'input_audio', 'file']);
const ASSISTANT_PARTS = new Set(['text', 'refusal']);
const TOOL_CHOICE_MODES = ['none', 'auto', 'required'];
const RESPONSE_FORMATS = ['text', 'json_object', 'json_schema'];

function fail(param: string, message: string): never {
  throw new ApiError({ code: 'invalid_request', message, param });
}

/** OpenAI's words for a JSON value's type. */
function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'an integer' : 'a decimal';
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v}`;
}

const invalidType = (param: string, expected: string, v: unknown): never =>
  fail(param, `Invalid type for '${param}': expected ${expected}, but got ${typeName(v)} instead.`);
const missing = (param: string): never => fail(param, `Missing required parameter: '${param}'.`);
const invalidValue = (param: string, v: unknown, allowed: readonly string[]): never =>
  fail(param, `Invalid value: '${String(v).slice(0, 64)}'. Supported values are: ${allowed.map((a) => `'${a}'`).join(', ')}.`);
const tooLong = (param: string, max: number, length: number): never =>
  fail(param, `Invalid '${param}': array too long. Expected an array with maximum length ${max}, but got an array with length ${length} instead.`);
const emptyArray = (param: string): never =>
  fail(param, `Invalid '${param}': empty array. Expected an array with minimum length 1, but got an empty array instead.`);

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const absent = (v: unknown) => v === undefined || v === null;

function number(param: string, v: unknown, min: number, max: number): void {
  if (typeof v !== 'number' || !Number.isFinite(v)) return invalidType(param, 'a number', v);
  if (v < min) fail(param, `Invalid '${param}': number below minimum value. Expected a value >= ${min}, but got ${v} instead.`);
  if (v > max) fail(param, `Invalid '${param}': number above maximum value. Expected a value <= ${max}, but got ${v} instead.`);
}

function integer(param: string, v: unknown, min: number, max: number): void {
  if (typeof v !== 'number' || !Number.isInteger(v)) return invalidType(param, 'an integer', v);
  if (v < min) fail(param, `Invalid '${param}': integer below minimum value. Expected a value >= ${min}, but got ${v} instead.`);
  if (v > max) fail(param, `Invalid '${param}': integer above maximum value. Expected a value <= ${max}, but got ${v} instead.`);
}

function string(param: string, v: unknown, maxLength = Infinity): void {
  if (typeof v !== 'string') return invalidType(param, 'a string', v);
  if (v.length > maxLength) fail(param, `Invalid '${param}': string too long. Expected a string with maximum length ${maxLength}, but got a string with length ${v.length} instead.`);
}

function oneOf(param: string, v: unknown, allowed: readonly string[]): void {
  if (typeof v !== 'string') return invalidType(param, 'a string', v);
  if (!allowed.includes(v)) invalidValue(param, v, allowed);
}

/** A free-form JSON object (tool parameters, a JSON schema) nested at most LIMITS.depth deep. */
function object(param: string, v: unknown): void {
  if (!isObject(v)) return invalidType(param, 'an object', v);
  if (!shallowerThan(v, LIMITS.depth)) fail(param, `Invalid '${param}': nested deeper than ${LIMITS.depth} levels.`);
}

function shallowerThan(v: unknown, depth: number): boolean {
  if (typeof v !== 'object' || v === null) return true;
  if (depth === 0) return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!shallowerThan(v[i], depth - 1)) return false;
  } else {
    for (const k in v) if (!shallowerThan((v as Json)[k], depth - 1)) return false;
  }
  return true;
}

// ---- optional top-level parameters (absent or null means "use the default") ----

const optNumber = (b: Json, k: string, min: number, max: number) => absent(b[k]) || number(k, b[k], min, max);
const optInteger = (b: Json, k: string, min: number, max: number) => absent(b[k]) || integer(k, b[k], min, max);
const optBoolean = (b: Json, k: string) => absent(b[k]) || typeof b[k] === 'boolean' || invalidType(k, 'a boolean', b[k]);
const optString = (b: Json, k: string, max?: number) => absent(b[k]) || string(k, b[k], max);
const optOneOf = (b: Json, k: string, allowed: readonly string[]) => absent(b[k]) || oneOf(k, b[k], allowed);

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
    if (isObject(options) && !absent(options.include_usage) && typeof options.include_usage !== 'boolean') invalidType('stream_options.include_usage', 'a boolean', options.include_usage);
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

function checkMessages(messages: unknown): void {
  if (messages === undefined) missing('messages');
  if (!Array.isArray(messages)) return invalidType('messages', 'an array', messages);
  if (messages.length === 0) emptyArray('messages');
  if (messages.length > LIMITS.messages) tooLong('messages', LIMITS.messages, messages.length);
  for (let i = 0; i < messages.length; i++) checkMessage(messages[i], i);
}

function checkMessage(m: unknown, i: number): void {
  const at = (field: string) => `messages[${i}].${field}`;
  if (!isObject(m)) return invalidType(`messages[${i}]`, 'an object', m);
  const role = m.role;
  if (role === undefined) missing(at('role'));
  if (typeof role !== 'string') return invalidType(at('role'), 'a string', role);
  if (!absent(m.name)) string(at('name'), m.name, 256);
  switch (role) {
    case 'system':
    case 'developer':
      return checkContent(m, i, TEXT_ONLY, false);
    case 'user':
      return checkContent(m, i, USER_PARTS, false);
    case 'tool':
      if (m.tool_call_id === undefined) missing(at('tool_call_id'));
      string(at('tool_call_id'), m.tool_call_id, 256);
      return checkContent(m, i, TEXT_ONLY, false);
    case 'function':
      if (m.name === undefined) missing(at('name'));
      if (m.content !== null) checkContent(m, i, TEXT_ONLY, false);
      return;
    case 'assistant': {
      if (!absent(m.tool_calls)) checkToolCalls(m.tool_calls, i);
      if (!absent(m.function_call)) {
        if (!isObject(m.function_call)) invalidType(at('function_call'), 'an object', m.function_call);
        else {
          string(at('function_call.name'), m.function_call.name);
          string(at('function_call.arguments'), m.function_call.arguments);
        }
      }
      if (!absent(m.refusal)) string(at('refusal'), m.refusal);
      if (!absent(m.audio)) object(at('audio'), m.audio);
      // Content may be null (or absent) only when the message carries something else to say.
      const hasOther = !absent(m.tool_calls) || !absent(m.function_call) || !absent(m.refusal) || !absent(m.audio);
      return checkContent(m, i, ASSISTANT_PARTS, hasOther);
    }
    default:
      return invalidValue(at('role'), role, ROLES);
  }
}

function checkContent(m: Json, i: number, parts: ReadonlySet<string>, nullable: boolean): void {
  const content = m.content;
  if (typeof content === 'string') return;
  if (absent(content)) {
    if (nullable) return;
    if (content === undefined) missing(`messages[${i}].content`);
    return invalidType(`messages[${i}].content`, 'a string or an array of content parts', content);
  }
  if (!Array.isArray(content)) return invalidType(`messages[${i}].content`, 'a string or an array of content parts', content);
  if (content.length > LIMITS.contentParts) tooLong(`messages[${i}].content`, LIMITS.contentParts, content.length);
  for (let j = 0; j < content.length; j++) checkPart(content[j], i, j, parts);
}

function checkPart(part: unknown, i: number, j: number, allowed: ReadonlySet<string>): void {
  const at = (field: string) => `messages[${i}].content[${j}]${field}`;
  if (!isObject(part)) return invalidType(at(''), 'an object', part);
  const type = part.type;
  if (type === undefined) missing(at('.type'));
  if (typeof type !== 'string') return invalidType(at('.type'), 'a string', type);
  if (!allowed.has(type)) return invalidValue(at('.type'), type, [...allowed]);
  switch (type) {
    case 'text':
      return string(at('.text'), part.text);
    case 'refusal':
      return string(at('.refusal'), part.refusal);
    case 'image_url': {
      const image = part.image_url;
      if (!isObject(image)) return invalidType(at('.image_url'), 'an object', image);
      string(at('.image_url.url'), image.url);
      if (!absent(image.detail)) oneOf(at('.image_url.detail'), image.detail, ['auto', 'low', 'high']);
      return;
    }
    case 'input_audio': {
      const audio = part.input_audio;
      if (!isObject(audio)) return invalidType(at('.input_audio'), 'an object', audio);
      string(at('.input_audio.data'), audio.data);
      return string(at('.input_audio.format'), audio.format, 32);
    }
    case 'file': {
      const file = part.file;
      if (!isObject(file)) return invalidType(at('.file'), 'an object', file);
      if (absent(file.file_data) && absent(file.file_id)) missing(at('.file.file_data'));
      if (!absent(file.file_data)) string(at('.file.file_data'), file.file_data);
      if (!absent(file.file_id)) string(at('.file.file_id'), file.file_id, 256);
      if (!absent(file.filename)) string(at('.file.filename'), file.filename, 1024);
      return;
    }
  }
}

function checkToolCalls(calls: unknown, i: number): void {
  const at = `messages[${i}].tool_calls`;
  if (!Array.isArray(calls)) return invalidType(at, 'an array', calls);
  if (calls.length > LIMITS.toolCalls) tooLong(at, LIMITS.toolCalls, calls.length);
  for (let j = 0; j < calls.length; j++) {
    const call = calls[j];
    if (!isObject(call)) return invalidType(`${at}[${j}]`, 'an object', call);
    string(`${at}[${j}].id`, call.id, 256);
    if (call.type === 'custom') {
      if (!isObject(call.custom)) return invalidType(`${at}[${j}].custom`, 'an object', call.custom);
      string(`${at}[${j}].custom.name`, call.custom.name);
      string(`${at}[${j}].custom.input`, call.custom.input);
      continue;
    }
    oneOf(`${at}[${j}].type`, call.type, ['function', 'custom']);
    const fn = call.function;
    if (!isObject(fn)) return invalidType(`${at}[${j}].function`, 'an object', fn);
    string(`${at}[${j}].function.name`, fn.name);
    string(`${at}[${j}].function.arguments`, fn.arguments);
  }
}

function checkTools(tools: unknown): void {
  if (!Array.isArray(tools)) return invalidType('tools', 'an array', tools);
  if (tools.length > LIMITS.tools) tooLong('tools', LIMITS.tools, tools.length);
  for (let i = 0; i < tools.length; i++) {
    const tool = tools[i];
    if (!isObject(tool)) return invalidType(`tools[${i}]`, 'an object', tool);
    if (tool.type === undefined) missing(`tools[${i}].type`);
    oneOf(`tools[${i}].type`, tool.type, ['function', 'custom']);
    const key = tool.type as 'function' | 'custom';
    const fn = tool[key];
    if (fn === undefined) missing(`tools[${i}].${key}`);
    if (!isObject(fn)) return invalidType(`tools[${i}].${key}`, 'an object', fn);
    if (fn.name === undefined) missing(`tools[${i}].${key}.name`);
    string(`tools[${i}].${key}.name`, fn.name, 64);
    if (!absent(fn.description)) string(`tools[${i}].${key}.description`, fn.description);
    if (!absent(fn.parameters)) object(`tools[${i}].${key}.parameters`, fn.parameters);
    if (!absent(fn.strict) && typeof fn.strict !== 'boolean') invalidType(`tools[${i}].${key}.strict`, 'a boolean', fn.strict);
    if (!absent(fn.format)) object(`tools[${i}].${key}.format`, fn.format);
  }
}

function checkFunctions(functions: unknown): void {
  if (!Array.isArray(functions)) return invalidType('functions', 'an array', functions);
  if (functions.length > LIMITS.tools) tooLong('functions', LIMITS.tools, functions.length);
  for (let i = 0; i < functions.length; i++) {
    const fn = functions[i];
    if (!isObject(fn)) return invalidType(`functions[${i}]`, 'an object', fn);
    if (fn.name === undefined) missing(`functions[${i}].name`);
    string(`functions[${i}].name`, fn.name, 64);
    if (!absent(fn.parameters)) object(`functions[${i}].parameters`, fn.parameters);
  }
}

function checkToolChoice(choice: unknown): void {
  if (typeof choice === 'string') return oneOf('tool_choice', choice, TOOL_CHOICE_MODES);
  if (!isObject(choice)) return invalidType('tool_choice', 'a string or an object', choice);
  oneOf('tool_choice.type', choice.type, ['function', 'custom', 'allowed_tools']);
  if (choice.type === 'allowed_tools') {
    const allowed = choice.allowed_tools;
    if (!isObject(allowed)) return invalidType('tool_choice.allowed_tools', 'an object', allowed);
    oneOf('tool_choice.allowed_tools.mode', allowed.mode, ['auto', 'required']);
    if (!Array.isArray(allowed.tools)) return invalidType('tool_choice.allowed_tools.tools', 'an array', allowed.tools);
    if (allowed.tools.length > LIMITS.tools) tooLong('tool_choice.allowed_tools.tools', LIMITS.tools, allowed.tools.length);
    for (let i = 0; i < allowed.tools.length; i++) object(`tool_choice.allowed_tools.tools[${i}]`, allowed.tools[i]);
    return;
  }
  const key = choice.type as 'function' | 'custom';
  const named = choice[key];
  if (!isObject(named)) return invalidType(`tool_choice.${key}`, 'an object', named);
  string(`tool_choice.${key}.name`, named.name, 64);
}

function checkResponseFormat(format: unknown): void {
  if (!isObject(format)) return invalidType('response_format', 'an object', format);
  if (format.type === undefined) missing('response_format.type');
  oneOf('response_format.type', format.type, RESPONSE_FORMATS);
  if (format.type !== 'json_schema') return;
  const schema = format.json_schema;
  if (!isObject(schema)) return invalidType('response_format.json_schema', 'an object', schema);
  string('response_format.json_schema.name', schema.name, 64);
  if (!absent(schema.description)) string('response_format.json_schema.description', schema.description);
  if (!absent(schema.schema)) object('response_format.json_schema.schema', schema.schema);
  if (!absent(schema.strict) && typeof schema.strict !== 'boolean') invalidType('response_format.json_schema.strict', 'a boolean', schema.strict);
}

function checkMetadata(metadata: unknown): void {
  if (!isObject(metadata)) return invalidType('metadata', 'an object', metadata);
  let n = 0;
  for (const key in metadata) {
    if (++n > LIMITS.metadata) fail('metadata', `Invalid 'metadata': at most ${LIMITS.metadata} keys.`);
    if (key.length > 64) fail('metadata', `Invalid 'metadata': keys are at most 64 characters.`);
    string(`metadata.${key}`, metadata[key], 512);
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
