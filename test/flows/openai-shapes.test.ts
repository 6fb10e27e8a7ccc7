/**
 * Responses carry every field OpenAI's published schema marks as required (openai-openapi:
 * Model, ListModelsResponse, CreateChatCompletionResponse, CreateChatCompletionStreamResponse,
 * ChatCompletionResponseMessage), so strict clients and generated types accept them unchanged.
 */
import OpenAI from 'openai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { call, createWorld, installOrigin } from '../helpers';

afterEach(() => vi.restoreAllMocks());

type Shape = { [field: string]: (v: unknown) => boolean };
const str = (v: unknown) => typeof v === 'string';
const int = (v: unknown) => Number.isInteger(v);
const nullOr = (f: (v: unknown) => boolean) => (v: unknown) => v === null || f(v);
const is = (x: unknown) => (v: unknown) => v === x;
const oneOf =
  (...xs: unknown[]) =>
  (v: unknown) =>
    xs.includes(v);
const FINISH = ['stop', 'length', 'tool_calls', 'content_filter', 'function_call'];

/** Fails naming each required field that is missing or of the wrong type. */
function expectShape(value: unknown, shape: Shape, where: string): void {
  expect(value, where).toBeTypeOf('object');
  const record = value as Record<string, unknown>;
  const wrong = Object.entries(shape)
    .filter(([field, ok]) => !(field in record) || !ok(record[field]))
    .map(([field]) => `${where}.${field}`);
  expect(wrong, JSON.stringify(value)).toEqual([]);
}

const MODEL: Shape = { id: str, object: is('model'), created: int, owned_by: str };

describe('GET /v1/models/{model}', () => {
  it('retrieves a model the key may use through the SDK', async () => {
    installOrigin();
    const world = await createWorld();
    const model = await world.client.models.retrieve(world.model);
    expectShape(model, MODEL, 'model');
    expect(model.id).toBe(world.model);
  });

  it("answers 404 model_not_found in OpenAI's shape for an unknown or not-allowed model", async () => {
    installOrigin();
    const world = await createWorld();
    const limited = await createWorld({ keyLimits: { allowedServices: ['something-else'] } });
    for (const [key, model] of [
      [world.apiKey, 'no-such-model'],
      [limited.apiKey, limited.model],
    ]) {
      const res = await call(`/v1/models/${encodeURIComponent(model)}`, { auth: `Bearer ${key}` });
      expect(res.status).toBe(404);
      const body = (await res.json()) as { error: Record<string, unknown> };
      expect(body.error).toMatchObject({ type: 'invalid_request_error', code: 'model_not_found', param: 'model' });
      expect(body.error.message).toContain(model);
    }
    await expect(world.client.models.retrieve('no-such-model')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('needs a valid key like every /v1 route', async () => {
    const res = await call('/v1/models/demo-llm', { auth: 'Bearer sk-gw-bogus' });
    expect(res.status).toBe(401);
  });
});

describe('response bodies have every field the OpenAI schema requires', () => {
  it('GET /v1/models', async () => {
    installOrigin();
    const world = await createWorld();
    const res = await call('/v1/models', { auth: `Bearer ${world.apiKey}` });
    const body = (await res.json()) as { data: unknown[] };
    expectShape(body, { object: is('list'), data: Array.isArray }, 'list');
    expect(body.data.length).toBeGreaterThan(0);
    body.data.forEach((m, i) => {
      expectShape(m, MODEL, `data[${i}]`);
    });
  });

  it('a non-streamed chat completion', async () => {
    installOrigin();
    const world = await createWorld();
    const res = await call('/v1/chat/completions', {
      method: 'POST',
      auth: `Bearer ${world.apiKey}`,
      json: { model: world.model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { choices: unknown[]; usage?: unknown };
    expectShape(body, { id: str, object: is('chat.completion'), created: int, model: is(world.model), choices: Array.isArray }, 'completion');
    expect(body.choices).toHaveLength(1);
    const choice = body.choices[0] as { message: unknown };
    expectShape(
      choice,
      { index: int, finish_reason: oneOf(...FINISH), logprobs: nullOr((v) => typeof v === 'object'), message: (v) => typeof v === 'object' },
      'choices[0]',
    );
    expectShape(choice.message, { role: is('assistant'), content: nullOr(str), refusal: nullOr(str) }, 'choices[0].message');
    if (body.usage !== undefined) expectShape(body.usage, { prompt_tokens: int, completion_tokens: int, total_tokens: int }, 'usage');
  });

  it('the chunks of a streamed chat completion', async () => {
    installOrigin();
    const world = await createWorld();
    const res = await call('/v1/chat/completions', {
      method: 'POST',
      auth: `Bearer ${world.apiKey}`,
      json: { model: world.model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 3, stream: true },
    });
    // As an SSE parser reads it: data lines only (the gateway's `: gateway` comment is skipped).
    const events = (await res.text())
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map((l) => l.slice(6).trim())
      .filter((e) => e !== '[DONE]');
    const chunks = events.map((e) => JSON.parse(e) as { choices: unknown[] });
    expect(chunks.length).toBeGreaterThan(3);
    chunks.forEach((chunk, i) => {
      // (model: the origin's name today; mapping it to the public name is the stream meter's job.)
      expectShape(chunk, { id: str, object: is('chat.completion.chunk'), created: int, model: str, choices: Array.isArray }, `chunk ${i}`);
      chunk.choices.forEach((c, j) => {
        expectShape(c, { index: int, delta: (v) => typeof v === 'object' && v !== null, finish_reason: nullOr(oneOf(...FINISH)) }, `chunk ${i}.choices[${j}]`);
      });
    });
  });
});
