import OpenAI from 'openai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { accountStub, call, createWorld, installOrigin, sdk, settled, type World } from '../helpers';

afterEach(() => vi.restoreAllMocks());

const chat = (world: World, body: Record<string, unknown> = {}) =>
  call('/v1/chat/completions', {
    method: 'POST',
    auth: `Bearer ${world.apiKey}`,
    json: { model: world.model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 8, ...body },
  });

/** Sends the same request until one is refused (or `max` were accepted); the refusal and how many passed. */
async function chatUntilRefused(world: World, body: Record<string, unknown>, max: number): Promise<{ res: Response; ok: number }> {
  let ok = 0;
  for (;;) {
    const res = await chat(world, body);
    if (res.status !== 200 || ok === max) return { res, ok };
    ok += 1;
  }
}

async function expectError(res: Response, status: number, code: string) {
  const body = (await res.json()) as { error: { code: string; type: string; message: string } };
  expect(res.status, JSON.stringify(body)).toBe(status);
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  expect(body.error).toHaveProperty('param');
  expect(res.headers.get('x-request-id')).toMatch(/^req_/);
  return body;
}

/** The account holds nothing back once a request has failed. */
async function expectReleased(world: World, balance = 10_000_000) {
  const summary = await accountStub(world.accountId).summary();
  expect(summary.reservedMicros).toBe(0);
  expect(summary.balanceMicros).toBe(balance);
}

describe('400: malformed JSON and bad parameters', () => {
  it('refuses malformed JSON, non-objects and bad parameters in OpenAI shape', async () => {
    installOrigin();
    const world = await createWorld();
    const raw = (body: string) =>
      call('/v1/chat/completions', { method: 'POST', auth: `Bearer ${world.apiKey}`, body, headers: { 'content-type': 'application/json' } });
    expect((await expectError(await raw('{"model": '), 400, 'invalid_json')).error.type).toBe('invalid_request_error');
    await expectError(await raw('[1,2]'), 400, 'invalid_json');
    await expectError(await raw(''), 400, 'invalid_json');
    await expectError(await chat(world, { messages: [] }), 400, 'invalid_request');
    await expectError(await chat(world, { max_tokens: -5 }), 400, 'invalid_request');
    await expectError(await chat(world, { max_tokens: 1.5 }), 400, 'invalid_request');
    await expectError(await chat(world, { model: 42 }), 400, 'invalid_request');
    await expectError(await chat(world, { stream: 'yes' }), 400, 'invalid_request');
    await expectError(await chat(world, { n: 3 }), 400, 'invalid_request');
    await expectError(await call('/v1/embeddings', { method: 'POST', auth: `Bearer ${world.apiKey}`, json: { model: world.model } }), 400, 'invalid_request');
    await expect(world.client.chat.completions.create({ model: world.model, messages: [] })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expectReleased(world);
  });

  it('returns 404 model_not_found for an unknown model', async () => {
    installOrigin();
    const world = await createWorld();
    await expectError(await chat(world, { model: 'no-such-model' }), 404, 'model_not_found');
    await expect(world.client.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(
      OpenAI.NotFoundError,
    );
  });
});

describe('401: keys', () => {
  it('refuses missing, malformed, unknown and management keys', async () => {
    installOrigin();
    const world = await createWorld();
    const withKey = (auth?: string) =>
      call('/v1/chat/completions', { method: 'POST', auth, json: { model: world.model, messages: [{ role: 'user', content: 'x' }] } });
    expect((await expectError(await withKey(), 401, 'invalid_api_key')).error.type).toBe('authentication_error');
    await expectError(await withKey('Bearer sk-gw-not-a-real-key'), 401, 'invalid_api_key');
    await expectError(await withKey(`Bearer ${world.apiKey.slice(0, -1)}${world.apiKey.endsWith('a') ? 'b' : 'a'}`), 401, 'invalid_api_key');
    // Well formed (valid checksum) but never issued.
    const { generateKey } = await import('../../worker/lib/key-format');
    await expectError(await withKey(`Bearer ${generateKey('inference')}`), 401, 'invalid_api_key');
    await expectError(await withKey(`Bearer ${world.managementKey}`), 401, 'invalid_api_key');
    await expect(sdk('sk-gw-bogus').models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('refuses a malformed key without touching storage', async () => {
    const kvGet = vi.fn();
    const { env } = await import('cloudflare:workers');
    vi.spyOn(env.KEYS, 'get').mockImplementation(kvGet);
    const res = await call('/v1/models', { auth: 'Bearer sk-gw-0000000000000000000000000000zz' });
    expect(res.status).toBe(401);
    expect(kvGet).not.toHaveBeenCalled();
  });

  it('refuses an expired key', async () => {
    installOrigin();
    const world = await createWorld({ keyLimits: { expiresAt: Date.now() + 60_000 } });
    expect((await chat(world)).status).toBe(200);
    await call(`/api/account/keys/${world.keyId}`, { method: 'PATCH', auth: `Bearer ${world.managementKey}`, json: { expiresAt: Date.now() - 1 } });
    await expectError(await chat(world), 401, 'key_expired');
  });
});

describe('403: scopes', () => {
  it('refuses a model the key is not allowed to use, as PermissionDeniedError', async () => {
    installOrigin();
    const world = await createWorld({ keyLimits: { allowedServices: ['some-other-model'] } });
    expect((await expectError(await chat(world), 403, 'model_not_allowed')).error.type).toBe('permission_error');
    await expect(world.client.chat.completions.create({ model: world.model, messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(
      OpenAI.PermissionDeniedError,
    );
    await expectReleased(world);
  });
});

describe('402: credit and spend limits', () => {
  it('refuses when the balance cannot cover even a minimal request', async () => {
    installOrigin();
    const world = await createWorld({ balanceMicros: 50 });
    const body = await expectError(await chat(world), 402, 'insufficient_credit');
    expect(body.error.type).toBe('insufficient_quota');
    const error = await world.client.chat.completions.create({ model: world.model, messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error.status).toBe(402);
    await expectReleased(world, 50);
  });

  it("refuses once the key's lifetime spend limit is reached", async () => {
    installOrigin();
    const world = await createWorld({ keyLimits: { spendLimitMicros: 400 } });
    const { res, ok } = await chatUntilRefused(world, { max_tokens: 16 }, 1_000);
    await expectError(res, 402, 'spend_limit_exceeded');
    expect(ok).toBeGreaterThan(0);
    const key = await accountStub(world.accountId).getKey(world.keyId);
    expect(key!.spentMicros).toBeLessThanOrEqual(400);
  });

  it("refuses once the key's period spend limit is reached", async () => {
    installOrigin();
    const world = await createWorld({ keyLimits: { periodSpendLimitMicros: 300, period: 'day' } });
    const { res } = await chatUntilRefused(world, { max_tokens: 16 }, 50);
    await expectError(res, 402, 'spend_limit_exceeded');
    expect((await accountStub(world.accountId).getKey(world.keyId))!.periodSpentMicros).toBeLessThanOrEqual(300);
  });
});

describe('413: body too large', () => {
  it('refuses a body over the limit before parsing it', async () => {
    installOrigin();
    const world = await createWorld();
    const res = await chat(world, { messages: [{ role: 'user', content: 'x'.repeat(1_100_000) }] });
    await expectError(res, 413, 'payload_too_large');
    await expectReleased(world);
  });
});

describe('429: rate limits', () => {
  it('limits requests per minute with retry-after and OpenAI rate-limit headers', async () => {
    installOrigin();
    const world = await createWorld({ keyLimits: { requestsPerMinute: 3 } });
    for (let i = 0; i < 3; i++) expect((await chat(world)).status).toBe(200);
    const res = await chat(world);
    expect((await expectError(res, 429, 'rate_limit_requests')).error.type).toBe('rate_limit_error');
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(res.headers.get('x-ratelimit-limit-requests')).toBe('3');
    expect(res.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    await expect(world.client.chat.completions.create({ model: world.model, messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(
      OpenAI.RateLimitError,
    );
  });

  it('limits tokens per minute by reserving prompt plus max_tokens', async () => {
    const origin = installOrigin();
    const world = await createWorld({ keyLimits: { tokensPerMinute: { '*': 200 } } });
    // ~130-byte body → ~33 estimated prompt tokens + 100 = 133 reserved; settles at ~9 + 24..39.
    expect((await chat(world, { max_tokens: 100 })).status).toBe(200);
    await settled(world.accountId);
    const second = await chat(world, { max_tokens: 100 });
    expect(second.status, 'the first request was corrected down at settlement').toBe(200);
    const { res } = await chatUntilRefused(world, { max_tokens: 100 }, 10);
    await expectError(res, 429, 'rate_limit_tokens');
    expect(res.headers.get('x-ratelimit-limit-tokens')).toBe('200');
    const tooBig = await chat(world, { max_tokens: 500 });
    expect((await expectError(tooBig, 429, 'rate_limit_tokens')).error.message).toMatch(/too large/i);
    expect(origin.upstream.length).toBeGreaterThanOrEqual(2);
  });

  it('limits concurrent requests per key', async () => {
    installOrigin({ latencyMs: 300 });
    const world = await createWorld({ keyLimits: { maxConcurrent: 1 } });
    const first = chat(world);
    await new Promise((r) => setTimeout(r, 100));
    await expectError(await chat(world), 429, 'concurrency_limit');
    expect((await first).status).toBe(200);
    expect((await chat(world)).status).toBe(200);
  });

  it('frees a concurrency slot before the answer ends, so back-to-back requests of a one-slot key pass', async () => {
    installOrigin();
    const world = await createWorld({ keyLimits: { maxConcurrent: 1 } });
    for (let i = 0; i < 3; i++) expect((await chat(world)).status).toBe(200);
    for (let i = 0; i < 3; i++) {
      const res = await chat(world, { stream: true });
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('[DONE]');
    }
    expect((await chat(world)).status).toBe(200);
  });
});

describe('502/504: origin failures release the reservation and charge nothing', () => {
  it('answers 502 when the origin returns 5xx', async () => {
    installOrigin({ fail: 'status500' });
    const world = await createWorld();
    const body = await expectError(await chat(world), 502, 'origin_error');
    expect(body.error.message).not.toMatch(/server_error|stack|internal/i);
    await expect(world.client.chat.completions.create({ model: world.model, messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(
      OpenAI.InternalServerError,
    );
    await expectReleased(world);
  });

  it('answers 502 when the origin refuses the connection', async () => {
    installOrigin({ fail: 'refuse' });
    const world = await createWorld();
    await expectError(await chat(world), 502, 'origin_error');
    await expectError(await chat(world, { stream: true }), 502, 'origin_error');
    await expectReleased(world);
  });

  it('answers 504 when the origin does not answer in time', async () => {
    installOrigin({ fail: 'hang' });
    const world = await createWorld();
    await expectError(await chat(world), 504, 'origin_timeout');
    await expectReleased(world);
  });

  it('ends a stream the origin breaks with an error event and bills what was produced', async () => {
    installOrigin({ fail: 'midstream' });
    const world = await createWorld();
    const stream = await world.client.chat.completions.create({ model: world.model, messages: [{ role: 'user', content: 'x' }], max_tokens: 20, stream: true });
    let received = 0;
    const error = await (async () => {
      for await (const chunk of stream) if (chunk.choices[0]?.delta?.content) received += 1;
    })().catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    const summary = await accountStub(world.accountId).summary();
    expect(summary.reservedMicros).toBe(0);
    expect(summary.balanceMicros).toBeLessThan(10_000_000);
    expect(received).toBeGreaterThan(0);
  });
});

describe('/api errors', () => {
  it('uses the closed {error:{code,message,requestId}} shape', async () => {
    const res = await call('/api/account');
    const body = (await res.json()) as { error: { code: string; requestId: string } };
    expect(res.status).toBe(401);
    expect(body.error.code).toBe('unauthorized');
    expect(body.error.requestId).toBe(res.headers.get('x-request-id'));
    const missing = await call('/api/nothing-here');
    expect(missing.status).toBe(404);
  });
});

describe('parameters the reservation depends on', () => {
  it('clamps every output-length field the client sent', async () => {
    const origin = installOrigin();
    const world = await createWorld({ maxOutputTokens: 50 });
    await chat(world, { max_tokens: 40, max_completion_tokens: 4000 });
    expect(origin.upstream[0].body).toMatchObject({ max_tokens: 40, max_completion_tokens: 40 });
    await chat(world, { max_tokens: undefined, max_completion_tokens: 4000 });
    // max_tokens is always sent too: a server that predates max_completion_tokens would otherwise run unbounded.
    expect(origin.upstream[1].body).toMatchObject({ max_completion_tokens: 50, max_tokens: 50 });
  });

  it('refuses a batch of prompts on /v1/completions', async () => {
    installOrigin();
    const world = await createWorld();
    const res = await call('/v1/completions', {
      method: 'POST',
      auth: `Bearer ${world.apiKey}`,
      json: { model: world.model, prompt: ['a', 'b'], max_tokens: 4 },
    });
    await expectError(res, 400, 'invalid_request');
  });
});

describe('400: request bodies are validated before they reach the origin or the meter', () => {
  it('refuses malformed messages, prompts, inputs and out-of-range parameters, naming the parameter', async () => {
    const origin = installOrigin();
    const world = await createWorld();
    const param = async (res: Response, expected: string) => {
      const body = await expectError(res, 400, 'invalid_request');
      expect(body.error.type).toBe('invalid_request_error');
      expect((body.error as unknown as { param: string }).param).toBe(expected);
      return body;
    };
    await param(await chat(world, { messages: [null] }), 'messages[0]');
    await param(await chat(world, { messages: [1] }), 'messages[0]');
    await param(await chat(world, { messages: 'hi' }), 'messages');
    await param(await chat(world, { messages: [{ role: 'wizard', content: 'x' }] }), 'messages[0].role');
    await param(await chat(world, { messages: [{ role: 'user' }] }), 'messages[0].content');
    await param(
      await chat(world, {
        messages: [
          { role: 'user', content: 'a' },
          { role: 'user', content: 7 },
        ],
      }),
      'messages[1].content',
    );
    await param(await chat(world, { messages: [{ role: 'user', content: [{ type: 'text', text: 5 }] }] }), 'messages[0].content[0].text');
    await param(await chat(world, { messages: [{ role: 'user', content: [{ type: 'hologram' }] }] }), 'messages[0].content[0].type');
    await param(await chat(world, { messages: [{ role: 'user', content: null }] }), 'messages[0].content');
    await param(await chat(world, { messages: [{ role: 'tool', content: 'x' }] }), 'messages[0].tool_call_id');
    await param(await chat(world, { messages: Array.from({ length: 2049 }, () => ({ role: 'user', content: '' })) }), 'messages');
    await param(await chat(world, { temperature: 3 }), 'temperature');
    await param(await chat(world, { temperature: '1' }), 'temperature');
    await param(await chat(world, { top_p: 1.5 }), 'top_p');
    await param(await chat(world, { presence_penalty: -2.5 }), 'presence_penalty');
    await param(await chat(world, { frequency_penalty: 9 }), 'frequency_penalty');
    await param(await chat(world, { seed: 1.5 }), 'seed');
    await param(await chat(world, { logprobs: 'yes' }), 'logprobs');
    await param(await chat(world, { top_logprobs: 21 }), 'top_logprobs');
    await param(await chat(world, { max_completion_tokens: 0 }), 'max_completion_tokens');
    await param(await chat(world, { stop: ['a', 'b', 'c', 'd', 'e'] }), 'stop');
    await param(await chat(world, { stop: 5 }), 'stop');
    await param(await chat(world, { logit_bias: { 50256: 500 } }), 'logit_bias.50256');
    await param(await chat(world, { tools: [{ type: 'function' }] }), 'tools[0].function');
    await param(await chat(world, { tools: [{ type: 'function', function: { name: 3 } }] }), 'tools[0].function.name');
    await param(await chat(world, { tool_choice: 'sometimes' }), 'tool_choice');
    await param(await chat(world, { response_format: { type: 'yaml' } }), 'response_format.type');
    await param(await chat(world, { user: 'u'.repeat(257) }), 'user');
    await param(await chat(world, { stream_options: { include_usage: 'yes' } }), 'stream_options.include_usage');
    const completions = (json: Record<string, unknown>) =>
      call('/v1/completions', { method: 'POST', auth: `Bearer ${world.apiKey}`, json: { model: world.model, max_tokens: 4, ...json } });
    await param(await completions({ prompt: { text: 'x' } }), 'prompt');
    await param(await completions({ prompt: [1, 'two'] }), 'prompt[1]');
    await param(await completions({ prompt: [-1] }), 'prompt[0]');
    await param(await completions({ prompt: 'x', logprobs: 6 }), 'logprobs');
    const embeddings = (json: Record<string, unknown>) =>
      call('/v1/embeddings', { method: 'POST', auth: `Bearer ${world.apiKey}`, json: { model: world.model, ...json } });
    await param(await embeddings({ input: [null] }), 'input[0]');
    await param(await embeddings({ input: [[1, 2], 'x'] }), 'input[1]');
    await param(await embeddings({ input: Array.from({ length: 2049 }, () => 'x') }), 'input');
    await param(await embeddings({ input: 'x', dimensions: 0 }), 'dimensions');
    await param(await embeddings({ input: 'x', encoding_format: 'hex' }), 'encoding_format');
    expect(origin.upstream).toHaveLength(0);
    await expectReleased(world);
  });

  it('accepts every message and content shape the OpenAI API defines', async () => {
    const origin = installOrigin();
    const world = await createWorld();
    const res = await chat(world, {
      messages: [
        { role: 'developer', content: 'be brief' },
        { role: 'system', content: [{ type: 'text', text: 'really brief' }], name: 'sys' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'look' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA', detail: 'low' } },
            { type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } },
            { type: 'file', file: { file_data: 'data:application/pdf;base64,AAAA', filename: 'a.pdf' } },
          ],
        },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: '42' },
        { role: 'assistant', content: [{ type: 'refusal', refusal: 'no' }] },
        { role: 'function', name: 'f', content: null },
        { role: 'user', content: 'thanks' },
      ],
      temperature: 0,
      top_p: 1,
      presence_penalty: -2,
      frequency_penalty: 2,
      seed: -7,
      logprobs: true,
      top_logprobs: 20,
      stop: ['a', 'b', 'c', 'd'],
      logit_bias: { 50256: -100 },
      user: 'u'.repeat(256),
      parallel_tool_calls: false,
      tools: [{ type: 'function', function: { name: 'f', description: 'd', parameters: { type: 'object', properties: {} }, strict: true } }],
      tool_choice: { type: 'function', function: { name: 'f' } },
      response_format: { type: 'json_schema', json_schema: { name: 'out', schema: { type: 'object' }, strict: true } },
      stream_options: null,
      metadata: { team: 'a' },
    });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(origin.upstream).toHaveLength(1);
  });
});
