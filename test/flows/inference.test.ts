import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { accountStub, call, createWorld, eventually, installOrigin } from '../helpers';
import { readSse } from '../sse';

afterEach(() => vi.restoreAllMocks());

const PRICE = { inputMicrosPer1M: 1_000_000, outputMicrosPer1M: 2_000_000, requestMicros: 10 };
const cost = (input: number, output: number) =>
  Math.ceil((input * PRICE.inputMicrosPer1M + output * PRICE.outputMicrosPer1M) / 1_000_000) + PRICE.requestMicros;

describe('POST /v1/chat/completions', () => {
  it('bills the origin-reported usage exactly and tells the client cost, balance, price version and limits', async () => {
    const origin = installOrigin();
    const world = await createWorld({ prices: PRICE, keyLimits: { requestsPerMinute: 100, tokensPerMinute: { '*': 100_000 } } });
    const { data, response } = await world.client.chat.completions
      .create({ model: world.model, messages: [{ role: 'user', content: 'one two three' }], max_tokens: 10 })
      .withResponse();
    expect(data.usage).toMatchObject({ prompt_tokens: 3 + 3 + 3, completion_tokens: 10 });
    const expected = cost(9, 10);
    expect(Number(response.headers.get('x-gateway-cost-micros'))).toBe(expected);
    expect(response.headers.get('x-gateway-cost-usd')).toBe(`0.0000${expected}`.slice(0, 8));
    expect(Number(response.headers.get('x-gateway-balance-micros'))).toBe(10_000_000 - expected);
    expect(response.headers.get('x-gateway-price-version')).toBe('1');
    expect(response.headers.get('x-gateway-usage-estimated')).toBe('false');
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
    expect(response.headers.get('x-ratelimit-limit-requests')).toBe('100');
    expect(response.headers.get('x-ratelimit-remaining-requests')).toBe('99');
    expect(response.headers.get('x-ratelimit-limit-tokens')).toBe('100000');
    expect(response.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+m?\d*s$/);
    // The origin got its own credential, the public model mapped to its model, never the client key.
    const sent = origin.upstream[0];
    expect(sent.headers.get('authorization')).toBe(`Bearer ${env.ORIGIN_TEST_KEY}`);
    expect(JSON.stringify([...sent.headers])).not.toContain(world.apiKey);
    expect(sent.body.model).toBe('demo-llm');
    expect(sent.body.max_tokens).toBe(10);
  });

  it('streams through the SDK, forces usage upstream, hides the usage chunk and tells the cost in a comment', async () => {
    const origin = installOrigin();
    const world = await createWorld({ prices: PRICE });
    const stream = await world.client.chat.completions.create({
      model: world.model,
      messages: [{ role: 'user', content: 'stream me' }],
      max_tokens: 12,
      stream: true,
    });
    let text = '';
    const chunks: any[] = [];
    for await (const chunk of stream) {
      chunks.push(chunk);
      text += chunk.choices[0]?.delta?.content ?? '';
    }
    expect(origin.upstream[0].body.stream_options).toEqual({ include_usage: true });
    expect(text.trim().split(' ')).toHaveLength(12);
    expect(chunks.some((c) => c.usage)).toBe(false);
    // OpenAI's shape: no chunk with empty choices unless the client asked for usage.
    expect(chunks.every((c) => c.choices.length > 0 && !('gateway' in c))).toBe(true);
    expect(chunks[chunks.length - 1].choices[0].finish_reason).toBe('length');
    expect((await accountStub(world.accountId).summary()).balanceMicros).toBe(10_000_000 - cost(8, 12));

    // The cost travels in an SSE comment before [DONE], which SSE parsers skip.
    const res = await call('/v1/chat/completions', {
      method: 'POST',
      auth: `Bearer ${world.apiKey}`,
      json: { model: world.model, messages: [{ role: 'user', content: 'stream me' }], max_tokens: 12, stream: true },
    });
    const read = await readSse(res);
    expect(read.done).toBe(true);
    expect(read.raw.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(read.gateway).toMatchObject({ cost_micros: cost(8, 12), price_version: 1, usage_estimated: false, balance_micros: 10_000_000 - 2 * cost(8, 12) });
  });

  it('passes the usage chunk on to a client that asked for it', async () => {
    installOrigin();
    const world = await createWorld({ prices: PRICE });
    const stream = await world.client.chat.completions.create({
      model: world.model,
      messages: [{ role: 'user', content: 'count' }],
      max_tokens: 5,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: any[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    // The usage chunk is the last one, with empty choices, as OpenAI sends it; it is the only such chunk.
    const last = chunks[chunks.length - 1];
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ prompt_tokens: 7, completion_tokens: 5 });
    expect(chunks.filter((c) => c.choices.length === 0)).toHaveLength(1);
    expect('gateway' in last).toBe(false);
  });

  it('synthesises the usage chunk from the settled figures when the origin sent none', async () => {
    installOrigin({ sendUsage: false });
    const world = await createWorld({ prices: PRICE });
    const res = await call('/v1/chat/completions', {
      method: 'POST',
      auth: `Bearer ${world.apiKey}`,
      json: {
        model: world.model,
        messages: [{ role: 'user', content: 'no usage here' }],
        max_tokens: 6,
        stream: true,
        stream_options: { include_usage: true },
      },
    });
    const read = await readSse(res);
    const last = read.chunks[read.chunks.length - 1];
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual({ prompt_tokens: 9, completion_tokens: 6, total_tokens: 15 });
    expect(read.gateway).toMatchObject({ cost_micros: cost(9, 6), usage_estimated: true });
  });

  it('clamps a missing max_tokens to what the balance affords', async () => {
    const origin = installOrigin();
    // 2 µUSD per output token; 300 µUSD of credit; the body is ~130 bytes → ~162 µUSD of worst-case input.
    const world = await createWorld({ prices: PRICE, balanceMicros: 300, maxOutputTokens: 4096 });
    await world.client.chat.completions.create({ model: world.model, messages: [{ role: 'user', content: 'hi' }] });
    const sent = origin.upstream[0].body.max_tokens;
    expect(sent).toBeGreaterThan(16);
    expect(sent).toBeLessThan(100);
    expect((await accountStub(world.accountId).summary()).balanceMicros).toBeGreaterThanOrEqual(0);
  });

  it('counts tokens with the tokenizer and marks the charge estimated when the origin reports no usage', async () => {
    installOrigin({ sendUsage: false });
    const world = await createWorld({ prices: PRICE });
    const { data, response } = await world.client.chat.completions
      .create({ model: world.model, messages: [{ role: 'user', content: 'no usage here' }], max_tokens: 6 })
      .withResponse();
    expect(data.usage).toBeUndefined();
    expect(response.headers.get('x-gateway-usage-estimated')).toBe('true');
    // cl100k: "no usage here" = 3 tokens + 3 per message + 3; each demo word is one token.
    expect(Number(response.headers.get('x-gateway-cost-micros'))).toBe(cost(9, 6));

    const res = await call('/v1/chat/completions', {
      method: 'POST',
      auth: `Bearer ${world.apiKey}`,
      json: { model: world.model, messages: [{ role: 'user', content: 'no usage here' }], max_tokens: 6, stream: true },
    });
    expect((await readSse(res)).gateway).toMatchObject({ cost_micros: cost(9, 6), usage_estimated: true });
  });
});

describe('POST /v1/completions and /v1/embeddings', () => {
  it('serves legacy completions, streamed and not', async () => {
    installOrigin();
    const world = await createWorld({ prices: PRICE });
    const done = await world.client.completions.create({ model: world.model, prompt: 'alpha beta', max_tokens: 4 });
    expect(done.choices[0].text.trim().split(' ')).toHaveLength(4);
    expect(done.usage).toMatchObject({ prompt_tokens: 2, completion_tokens: 4 });
    const stream = await world.client.completions.create({ model: world.model, prompt: 'alpha beta', max_tokens: 4, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
    expect(text).toBe(done.choices[0].text);
    const res = await call('/v1/completions', {
      method: 'POST',
      auth: `Bearer ${world.apiKey}`,
      json: { model: world.model, prompt: 'alpha beta', max_tokens: 4, stream: true },
    });
    expect((await readSse(res)).gateway.cost_micros).toBe(cost(2, 4));
  });

  it('serves embeddings and bills input tokens only', async () => {
    installOrigin();
    const world = await createWorld({ prices: PRICE });
    const { data, response } = await world.client.embeddings.create({ model: world.model, input: ['one two', 'three'] }).withResponse();
    expect(data.data).toHaveLength(2);
    expect(data.usage.prompt_tokens).toBe(3);
    expect(Number(response.headers.get('x-gateway-cost-micros'))).toBe(cost(3, 0));
  });
});

describe('GET /v1/models', () => {
  it('lists only the models this key may use', async () => {
    installOrigin();
    const world = await createWorld();
    const other = await createWorld();
    const all = await world.client.models.list();
    expect(all.data.map((m) => m.id)).toEqual(expect.arrayContaining([world.model, other.model]));
    const res = await call(`/api/account/keys/${world.keyId}`, {
      method: 'PATCH',
      auth: `Bearer ${world.managementKey}`,
      json: { allowedServices: [world.model] },
    });
    expect(res.status).toBe(200);
    const scoped = await world.client.models.list();
    expect(scoped.data.map((m) => m.id)).toEqual([world.model]);
  });
});

describe('the hot path', () => {
  it('makes exactly one account-object round trip before calling the origin, and one data point per request', async () => {
    const getStub = vi.spyOn(env.ACCOUNT, 'get');
    const writes = vi.spyOn(env.USAGE, 'writeDataPoint');
    const origin = installOrigin();
    const world = await createWorld();
    getStub.mockClear();
    let stubsBeforeOrigin = -1;
    const fetchSpy = globalThis.fetch as unknown as ReturnType<typeof vi.fn>;
    const routed = fetchSpy.getMockImplementation() as (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;
    fetchSpy.mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
      if (stubsBeforeOrigin < 0) stubsBeforeOrigin = getStub.mock.calls.length;
      return routed(input, init);
    });
    await world.client.chat.completions.create({ model: world.model, messages: [{ role: 'user', content: 'x' }], max_tokens: 3 });
    expect(origin.stats).toHaveLength(1);
    expect(stubsBeforeOrigin).toBe(1);
    // The data point is written once the settle lands, after the response.
    await eventually(() => writes.mock.calls.length > 0);
    expect(writes).toHaveBeenCalledTimes(1);
    expect(writes.mock.calls[0][0]).toMatchObject({ indexes: [world.accountId] });
  });

  it('answers 503 with retry-after when the account object cannot be reached', async () => {
    installOrigin();
    const world = await createWorld();
    vi.spyOn(env.ACCOUNT, 'get').mockImplementation(() => ({ admit: () => Promise.reject(new Error('Durable Object is overloaded')) }) as never);
    const res = await call('/v1/chat/completions', {
      method: 'POST',
      auth: `Bearer ${world.apiKey}`,
      json: { model: world.model, messages: [{ role: 'user', content: 'x' }] },
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
  });
});
