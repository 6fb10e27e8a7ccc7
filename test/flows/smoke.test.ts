import { afterEach, describe, expect, it, vi } from 'vitest';
import { createWorld, installOrigin, accountStub } from '../helpers';

afterEach(() => vi.restoreAllMocks());

describe('gateway smoke', () => {
  it('answers a chat completion through the OpenAI SDK and charges it', async () => {
    installOrigin();
    const world = await createWorld();
    const { data, response } = await world.client.chat.completions
      .create({ model: world.model, messages: [{ role: 'user', content: 'hello there' }], max_tokens: 8 })
      .withResponse();
    expect(data.choices[0].message.content).toBeTruthy();
    expect(data.model).toBe(world.model);
    const cost = Number(response.headers.get('x-gateway-cost-micros'));
    expect(cost).toBeGreaterThan(0);
    const summary = await accountStub(world.accountId).summary();
    expect(summary.balanceMicros).toBe(10_000_000 - cost);
    expect(summary.reservedMicros).toBe(0);
  });
});
