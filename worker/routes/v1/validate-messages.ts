/**
 * @module routes/v1/validate-messages
 * Chat's own shapes: messages by role and their content parts, tool calls, tools, functions,
 * tool_choice, response_format and metadata, as OpenAI's ChatCompletion*Param types define them.
 */
import { LIMITS, fail, invalidType, missing, invalidValue, tooLong, emptyArray, isObject, absent, string, oneOf, object, type Json } from './validate-json';

const ROLES = ['system', 'developer', 'user', 'assistant', 'tool', 'function'];
/** Content part types each role may send (OpenAI's ChatCompletion*MessageParam). */
const TEXT_ONLY = new Set(['text']);
const USER_PARTS = new Set(['text', 'image_url', 'input_audio', 'file']);
const ASSISTANT_PARTS = new Set(['text', 'refusal']);
const TOOL_CHOICE_MODES = ['none', 'auto', 'required'];
const RESPONSE_FORMATS = ['text', 'json_object', 'json_schema'];

export function checkMessages(messages: unknown): void {
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

export function checkTools(tools: unknown): void {
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
    checkFunctionDefinition(`tools[${i}].${key}`, fn);
    if (!absent(fn.strict) && typeof fn.strict !== 'boolean') invalidType(`tools[${i}].${key}.strict`, 'a boolean', fn.strict);
    if (!absent(fn.format)) object(`tools[${i}].${key}.format`, fn.format);
  }
}

export function checkFunctions(functions: unknown): void {
  if (!Array.isArray(functions)) return invalidType('functions', 'an array', functions);
  if (functions.length > LIMITS.tools) tooLong('functions', LIMITS.tools, functions.length);
  for (let i = 0; i < functions.length; i++) {
    const fn = functions[i];
    if (!isObject(fn)) return invalidType(`functions[${i}]`, 'an object', fn);
    checkFunctionDefinition(`functions[${i}]`, fn);
  }
}

/** A function's definition, as a tool or in the legacy `functions`: a name, and optional description and JSON-schema parameters. */
function checkFunctionDefinition(at: string, fn: Json): void {
  if (fn.name === undefined) missing(`${at}.name`);
  string(`${at}.name`, fn.name, 64);
  if (!absent(fn.description)) string(`${at}.description`, fn.description);
  if (!absent(fn.parameters)) object(`${at}.parameters`, fn.parameters);
}

export function checkToolChoice(choice: unknown): void {
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

export function checkResponseFormat(format: unknown): void {
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

export function checkMetadata(metadata: unknown): void {
  if (!isObject(metadata)) return invalidType('metadata', 'an object', metadata);
  let n = 0;
  for (const key in metadata) {
    if (++n > LIMITS.metadata) fail('metadata', `Invalid 'metadata': at most ${LIMITS.metadata} keys.`);
    if (key.length > 64) fail('metadata', `Invalid 'metadata': keys are at most 64 characters.`);
    string(`metadata.${key}`, metadata[key], 512);
  }
}
