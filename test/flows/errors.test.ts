import OpenAI from 'openai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { accountStub, call, createWorld, installOrigin, sdk, type World } from '../helpers';

afterEach(() => vi.restoreAllMocks());

const chat = (world: World, body: Record<string, unknown> = {}) =>
  call('/v1/chat/completions', { method: 'POST', auth: `Bearer ${world.apiKey}`, json: { model: world.model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 8, ...body } });

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
    const raw = (body: string) => call('/v1/chat/completions', { method: 'POST', auth: `Bearer ${world.apiKey}`, body, headers: { 'content-type': 'application/json' } });
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
    await expect(world.client.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });
});

describe('401: keys', () => {
  it('refuses missing, malformed, unknown and management keys', async () => {
    installOrigin();
    const world = await createWorld();
    const withKey = (auth?: string) => call('/v1/chat/completions', { method: 'POST', auth, json: { model: world.model, messages: [{ role: 'user', content: 'x' }] } });
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
    await expect(world.client.chat.completions.create({ model: world.model, messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
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
    let ok = 0;
    let res: Response;
    while ((res = await chat(world, { max_tokens: 16 })).status === 200) ok += 1;
    await expectError(res, 402, 'spend_limit_exceeded');
    expect(ok).toBeGreaterThan(0);
    const key = await accountStub(world.accountId).getKey(world.keyId);
    expect(key!.spentMicros).toBeLessThanOrEqual(400);
  });

  it("refuses once the key's period spend limit is reached", async () => {
    installOrigin();
    const world = await createWorld({ keyLimits: { periodSpendLimitMicros: 300, period: 'day' } });
    let res: Response;
    for (let i = 0; i < 50 && (res = await chat(world, { max_tokens: 16 })).status === 200; i++);
    await expectError(res!, 402, 'spend_limit_exceeded');
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
    await expect(world.client.chat.completions.create({ model: world.model, messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(OpenAI.RateLimitError);
  });

  it('limits tokens per minute by reserving prompt plus max_tokens', async () => {
    const origin = installOrigin();
    const world = await createWorld({ keyLimits: { tokensPerMinute: { '*': 200 } } });
    // ~130-byte body → ~33 estimated prompt tokens + 100 = 133 reserved; settles at ~9 + 24..39.
    expect((await chat(world, { max_tokens: 100 })).status).toBe(200);
    const second = await chat(world, { max_tokens: 100 });
    expect(second.status, 'the first request was corrected down at settlement').toBe(200);
    let res: Response;
    for (let i = 0; i < 10 && (res = await chat(world, { max_tokens: 100 })).status === 200; i++);
    await expectError(res!, 429, 'rate_limit_tokens');
    expect(res!.headers.get('x-ratelimit-limit-tokens')).toBe('200');
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
});

describe('502/504: origin failures release the reservation and charge nothing', () => {
  it('answers 502 when the origin returns 5xx', async () => {
    installOrigin({ fail: 'status500' });
    const world = await createWorld();
    const body = await expectError(await chat(world), 502, 'origin_error');
    expect(body.error.message).not.toMatch(/server_error|stack|internal/i);
    await expect(world.client.chat.completions.create({ model: world.model, messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(OpenAI.InternalServerError);
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
    const res = await call('/v1/completions', { method: 'POST', auth: `Bearer ${world.apiKey}`, json: { model: world.model, prompt: ['a', 'b'], max_tokens: 4 } });
    await expectError(res, 400, 'invalid_request');
  });
});
