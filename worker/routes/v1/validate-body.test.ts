import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../errors';
import { LIMITS, validateBody } from './validate-body';

const chat = (extra: Record<string, unknown> = {}) => ({ model: 'm', messages: [{ role: 'user', content: 'hi' }], ...extra });

/** The ApiError a body is refused with (fails the test when it is accepted or throws anything else). */
function refusal(endpoint: 'chat' | 'completions' | 'embeddings', body: Record<string, unknown>): ApiError {
  try {
    validateBody(endpoint, body);
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    return error as ApiError;
  }
  throw new Error(`accepted ${JSON.stringify(body).slice(0, 200)}`);
}

describe('validateBody', () => {
  it('accepts a minimal chat, completion and embedding request', () => {
    expect(() => validateBody('chat', chat())).not.toThrow();
    expect(() => validateBody('completions', { model: 'm', prompt: 'x' })).not.toThrow();
    expect(() => validateBody('completions', { model: 'm', prompt: [1, 2, 3] })).not.toThrow();
    expect(() => validateBody('embeddings', { model: 'm', input: [[1, 2], [3]] })).not.toThrow();
    expect(() => validateBody('embeddings', { model: 'm', input: ['a', 'b'], encoding_format: 'base64', dimensions: 256 })).not.toThrow();
  });

  it('refuses a message that is not an object, naming its index', () => {
    for (const m of [null, 1, 'hi', [], true]) expect(refusal('chat', chat({ messages: [{ role: 'user', content: 'x' }, m] })).param).toBe('messages[1]');
  });

  it('refuses an unknown role with the supported values in the message', () => {
    const e = refusal('chat', chat({ messages: [{ role: 'root', content: 'x' }] }));
    expect(e.param).toBe('messages[0].role');
    expect(e.message).toBe("Invalid value: 'root'. Supported values are: 'system', 'developer', 'user', 'assistant', 'tool', 'function'.");
    expect(e.status).toBe(400);
  });

  it('allows null content only where OpenAI does', () => {
    expect(() =>
      validateBody(
        'chat',
        chat({ messages: [{ role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] }] }),
      ),
    ).not.toThrow();
    expect(() => validateBody('chat', chat({ messages: [{ role: 'function', name: 'f', content: null }] }))).not.toThrow();
    expect(refusal('chat', chat({ messages: [{ role: 'assistant', content: null }] })).param).toBe('messages[0].content');
    expect(refusal('chat', chat({ messages: [{ role: 'system', content: null }] })).param).toBe('messages[0].content');
  });

  it('refuses content parts of a type the role cannot send', () => {
    expect(refusal('chat', chat({ messages: [{ role: 'system', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] })).param).toBe(
      'messages[0].content[0].type',
    );
    expect(refusal('chat', chat({ messages: [{ role: 'user', content: [{ type: 'refusal', refusal: 'no' }] }] })).param).toBe('messages[0].content[0].type');
    expect(refusal('chat', chat({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 7 } }] }] })).param).toBe(
      'messages[0].content[0].image_url.url',
    );
    expect(refusal('chat', chat({ messages: [{ role: 'user', content: [{ type: 'file', file: {} }] }] })).param).toBe('messages[0].content[0].file.file_data');
  });

  it('bounds the number of messages and of tools', () => {
    const many = Array.from({ length: LIMITS.messages + 1 }, () => ({ role: 'user', content: '' }));
    expect(refusal('chat', chat({ messages: many })).message).toMatch(/maximum length 2048, but got an array with length 2049/);
    expect(() => validateBody('chat', chat({ messages: many.slice(1) }))).not.toThrow();
    const tools = Array.from({ length: LIMITS.tools + 1 }, (_, i) => ({ type: 'function', function: { name: `f${i}` } }));
    expect(refusal('chat', chat({ tools })).param).toBe('tools');
  });

  it('refuses deeply nested tool parameters before anything re-serialises them', () => {
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 200; i++) deep = { a: deep };
    expect(refusal('chat', chat({ tools: [{ type: 'function', function: { name: 'f', parameters: deep } }] })).param).toBe('tools[0].function.parameters');
  });

  it('checks every numeric parameter against its documented range', () => {
    const cases: Array<[string, unknown]> = [
      ['temperature', 2.01],
      ['temperature', -0.1],
      ['top_p', 1.01],
      ['presence_penalty', 2.5],
      ['frequency_penalty', -3],
      ['seed', 0.5],
      ['top_logprobs', 21],
      ['top_logprobs', -1],
      ['max_tokens', 0],
      ['max_completion_tokens', 2.5],
      ['temperature', Number.NaN],
      ['logprobs', 1],
      ['user', 'x'.repeat(257)],
      ['stop', ['1', '2', '3', '4', '5']],
    ];
    for (const [param, value] of cases) expect(refusal('chat', chat({ [param]: value })).param, `${param}=${value}`).toBe(param);
    expect(refusal('chat', chat({ temperature: 3 })).message).toBe(
      "Invalid 'temperature': number above maximum value. Expected a value <= 2, but got 3 instead.",
    );
    for (const [param, value] of [
      ['temperature', 2],
      ['top_p', 0],
      ['seed', -1],
      ['top_logprobs', 0],
      ['stop', 'x'],
      ['temperature', null],
    ] as const) {
      expect(() => validateBody('chat', chat({ [param]: value }))).not.toThrow();
    }
  });

  it('refuses a logit_bias that is not token id → −100..100, or too large', () => {
    expect(refusal('chat', chat({ logit_bias: { abc: 1 } })).param).toBe('logit_bias.abc');
    expect(refusal('chat', chat({ logit_bias: { 1: 101 } })).param).toBe('logit_bias.1');
    const big = Object.fromEntries(Array.from({ length: LIMITS.logitBias + 1 }, (_, i) => [String(i), 1]));
    expect(refusal('chat', chat({ logit_bias: big })).param).toBe('logit_bias');
  });

  it('accepts every tool_choice and response_format shape and refuses others', () => {
    for (const tool_choice of [
      'none',
      'auto',
      'required',
      { type: 'function', function: { name: 'f' } },
      { type: 'allowed_tools', allowed_tools: { mode: 'auto', tools: [{ type: 'function', function: { name: 'f' } }] } },
    ]) {
      expect(() => validateBody('chat', chat({ tool_choice }))).not.toThrow();
    }
    expect(refusal('chat', chat({ tool_choice: { type: 'function' } })).param).toBe('tool_choice.function');
    for (const type of ['text', 'json_object']) expect(() => validateBody('chat', chat({ response_format: { type } }))).not.toThrow();
    expect(refusal('chat', chat({ response_format: { type: 'json_schema' } })).param).toBe('response_format.json_schema');
    expect(refusal('chat', chat({ response_format: 'json' })).param).toBe('response_format');
  });

  it('refuses prompts and inputs that are neither text nor token ids', () => {
    expect(refusal('completions', { model: 'm' }).param).toBe('prompt');
    expect(refusal('completions', { model: 'm', prompt: [1.5] }).param).toBe('prompt[0]');
    expect(refusal('completions', { model: 'm', prompt: [] }).param).toBe('prompt');
    expect(refusal('embeddings', { model: 'm', input: '' }).param).toBe('input');
    expect(refusal('embeddings', { model: 'm', input: ['a', ''] }).param).toBe('input[1]');
    expect(refusal('embeddings', { model: 'm', input: [[]] }).param).toBe('input[0]');
    expect(refusal('embeddings', { model: 'm', input: { text: 'a' } }).param).toBe('input');
  });

  it('refuses a missing, empty, non-string or huge model', () => {
    for (const model of [undefined, '', 42, 'm'.repeat(LIMITS.model + 1)]) expect(refusal('chat', { ...chat(), model }).param).toBe('model');
  });
});

// ---- properties over random bodies ----

const junk = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(undefined, null, Number.NaN, Infinity, -1, 1e300));
const maybe = <T>(arb: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 12, arbitrary: arb }, { weight: 1, arbitrary: junk }, { weight: 6, arbitrary: fc.constant(undefined) });
/** Usually valid, sometimes junk: for required fields. */
const usually = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ weight: 15, arbitrary: arb }, { weight: 1, arbitrary: junk });
const text = fc.string({ maxLength: 8 });
const part = fc.oneof(
  fc.record({ type: fc.constant('text'), text: usually(text) }),
  fc.record({ type: fc.constant('image_url'), image_url: usually(fc.record({ url: usually(text) })) }),
  fc.record({ type: fc.constant('refusal'), refusal: usually(text) }),
  fc.record({ type: maybe(fc.constantFrom('file', 'input_audio', 'video')) }),
);
const message = fc.record(
  {
    role: usually(fc.constantFrom('system', 'developer', 'user', 'user', 'user', 'assistant', 'tool', 'function', 'robot')),
    content: fc.oneof(
      { weight: 6, arbitrary: text },
      { weight: 3, arbitrary: fc.array(usually(part), { maxLength: 3 }) },
      { weight: 1, arbitrary: fc.constant(null) },
      { weight: 1, arbitrary: junk },
    ),
    name: maybe(text),
    tool_call_id: usually(text),
    tool_calls: maybe(
      fc.array(
        fc.record({
          id: usually(text),
          type: usually(fc.constant('function')),
          function: usually(fc.record({ name: usually(text), arguments: usually(text) })),
        }),
        { maxLength: 2 },
      ),
    ),
  },
  { requiredKeys: ['role', 'content'] },
);
const chatBody = fc.record(
  {
    model: usually(fc.constantFrom('demo-llm', 'demo-llm', '')),
    messages: usually(fc.array(usually(message), { minLength: 1, maxLength: 3 })),
    temperature: maybe(fc.double({ min: -0.2, max: 2.2, noNaN: false })),
    top_p: maybe(fc.double({ min: -0.1, max: 1.1 })),
    presence_penalty: maybe(fc.double({ min: -2.2, max: 2.2 })),
    top_logprobs: maybe(fc.integer({ min: -1, max: 21 })),
    max_tokens: maybe(fc.integer({ min: -2, max: 100 })),
    stop: maybe(fc.oneof(text, fc.array(maybe(text), { maxLength: 6 }))),
    tool_choice: maybe(fc.constantFrom('auto', 'none', 'sometimes')),
  },
  { requiredKeys: ['model', 'messages'] },
);
const promptLike = fc.oneof(
  text,
  fc.array(maybe(text), { maxLength: 3 }),
  fc.array(maybe(fc.integer({ min: -2, max: 9 })), { maxLength: 3 }),
  fc.array(fc.array(maybe(fc.nat(9)), { maxLength: 3 }), { maxLength: 2 }),
  junk,
);
const otherBody = fc.record(
  { model: maybe(fc.constant('m')), prompt: promptLike, input: promptLike, dimensions: maybe(fc.integer({ min: -1, max: 9 })) },
  { requiredKeys: [] },
);

/** Runs the validator; returns whether it accepted, and fails on anything but a 400 ApiError. */
function accepts(endpoint: 'chat' | 'completions' | 'embeddings', body: Record<string, unknown>): boolean {
  try {
    validateBody(endpoint, body);
    return true;
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 400 || error.code !== 'invalid_request' || !error.param) throw error;
    return false;
  }
}

const inRange = (v: unknown, min: number, max: number) => v === undefined || v === null || (typeof v === 'number' && v >= min && v <= max);
const isText = (v: unknown) => typeof v === 'string';
const isTokens = (v: unknown) => Array.isArray(v) && v.length > 0 && v.every((t) => Number.isSafeInteger(t) && (t as number) >= 0);

describe('validateBody on random bodies', () => {
  it('never throws anything but a 400 ApiError, for any JSON at all', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('chat', 'completions', 'embeddings' as const),
        fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 4 })),
        (endpoint, body) => {
          accepts(endpoint, body);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('accepts only chat bodies whose messages and parameters have the documented shape', () => {
    let accepted = 0;
    fc.assert(
      fc.property(chatBody, (body) => {
        if (!accepts('chat', body)) return;
        accepted += 1;
        expect(typeof body.model === 'string' && body.model.length > 0).toBe(true);
        expect(Array.isArray(body.messages) && body.messages.length > 0).toBe(true);
        for (const m of body.messages as Array<Record<string, unknown>>) {
          expect(['system', 'developer', 'user', 'assistant', 'tool', 'function']).toContain(m.role);
          const content = m.content;
          if (content === null || content === undefined) expect(['assistant', 'function']).toContain(m.role);
          else if (Array.isArray(content))
            for (const p of content as Array<Record<string, unknown>>) expect(typeof p === 'object' && p !== null && typeof p.type === 'string').toBe(true);
          else expect(typeof content).toBe('string');
          if (m.role === 'tool') expect(typeof m.tool_call_id).toBe('string');
        }
        expect(inRange(body.temperature, 0, 2) && inRange(body.top_p, 0, 1) && inRange(body.presence_penalty, -2, 2) && inRange(body.top_logprobs, 0, 20)).toBe(
          true,
        );
        expect(body.max_tokens == null || (Number.isInteger(body.max_tokens) && (body.max_tokens as number) > 0)).toBe(true);
        expect(body.stop == null || isText(body.stop) || (Array.isArray(body.stop) && body.stop.length <= 4 && body.stop.every(isText))).toBe(true);
      }),
      { numRuns: 2000 },
    );
    expect(accepted, 'the generator reaches valid bodies too').toBeGreaterThan(20);
  });

  it('accepts only prompts and inputs that are text or token ids', () => {
    fc.assert(
      fc.property(otherBody, (body) => {
        if (accepts('completions', body)) {
          const p = body.prompt;
          expect(p === null || isText(p) || isTokens(p) || (Array.isArray(p) && p.length > 0 && (p.every(isText) || p.every(isTokens)))).toBe(true);
        }
        if (accepts('embeddings', body)) {
          const i = body.input;
          const nonEmptyText = (v: unknown) => typeof v === 'string' && v.length > 0;
          expect(nonEmptyText(i) || isTokens(i) || (Array.isArray(i) && i.length > 0 && (i.every(nonEmptyText) || i.every(isTokens)))).toBe(true);
          expect(inRange(body.dimensions, 1, 65_536)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
