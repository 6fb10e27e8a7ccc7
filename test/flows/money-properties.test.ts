/**
 * Property tests over random request bodies and random origin behaviour (issue 10): whatever a
 * client sends and whatever the origin does, the gateway answers no 5xx, charges in all no more
 * than the credit, leaves nothing reserved once every request is settled, and its journal adds
 * up to the balance.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { accountStub, call, createWorld, drainAlarms, eventually } from '../helpers';
import { type HostileOptions, routeOrigin } from '../hostile-origin';

afterEach(() => vi.restoreAllMocks());

const PRICE = { inputMicrosPer1M: 1_000_000, outputMicrosPer1M: 20_000_000, requestMicros: 10 };
const CREDIT = 3_000;

const scalar = fc.oneof(fc.integer({ min: -5, max: 1e6 }), fc.double({ noNaN: false }), fc.string({ maxLength: 8 }), fc.boolean(), fc.constant(null));
const anyValue = fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 6 }), scalar, { maxKeys: 3 }));
const message = fc.oneof(
  fc.record({ role: fc.constantFrom('user', 'system', 'assistant', 'tool', 'robot'), content: fc.oneof(fc.string({ maxLength: 40 }), anyValue) }),
  anyValue,
);
const body = fc.record(
  {
    messages: fc.oneof(fc.array(message, { minLength: 0, maxLength: 4 }), anyValue),
    max_tokens: fc.oneof(fc.integer({ min: -3, max: 5000 }), anyValue),
    stream: fc.oneof(fc.boolean(), anyValue),
    stream_options: fc.oneof(fc.record({ include_usage: fc.boolean() }), anyValue),
    n_predict: fc.integer({ min: 1, max: 100_000 }),
    temperature: anyValue,
    ignore_eos: fc.boolean(),
  },
  { requiredKeys: ['messages'] },
);
const originBehaviour: fc.Arbitrary<HostileOptions> = fc.oneof(
  fc.constant({}),
  fc.constant({ honourNPredict: true }),
  fc.record({ ignoreMaxTokens: fc.integer({ min: 0, max: 400 }) }),
  fc.constant({ usage: (p: number) => ({ prompt_tokens: p * 100, completion_tokens: 1e9, total_tokens: 1 }) }),
  fc.constant({ usage: () => ({ prompt_tokens: -1, completion_tokens: 'many' }) }),
  fc.constant({ usage: () => null }),
);

describe('whatever the client sends and the origin does', () => {
  it('answers no 5xx, charges no more than the credit and leaves nothing reserved', async () => {
    const origin = { options: {} as HostileOptions };
    // One origin for the whole run; a request meets the behaviour set last when it reaches the
    // origin (cases run concurrently), which is as random as the cases themselves.
    routeOrigin(() => origin.options);
    const world = await createWorld({ prices: PRICE, balanceMicros: CREDIT, maxOutputTokens: 512 });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(body, originBehaviour), { minLength: 1, maxLength: 4 }), async (cases) => {
        const responses = await Promise.all(
          cases.map(async ([json, behaviour]) => {
            origin.options = behaviour;
            const res = await call('/v1/chat/completions', { method: 'POST', auth: `Bearer ${world.apiKey}`, json: { model: world.model, ...json } });
            await res.text();
            return res.status;
          }),
        );
        for (const status of responses) expect(status, JSON.stringify(cases)).toBeLessThan(500);
      }),
      { numRuns: 40, seed: 1010 },
    );
    const stub = accountStub(world.accountId);
    await eventually(async () => (await stub.summary()).openReservations === 0, 10_000);
    const summary = await stub.summary();
    expect(summary.reservedMicros).toBe(0);
    expect(summary.balanceMicros).toBeGreaterThanOrEqual(0);
    const journal = await stub.journal({ limit: 500 });
    const charged = -journal.filter((e) => e.kind === 'usage').reduce((sum, e) => sum + e.amountMicros, 0);
    expect(charged).toBeLessThanOrEqual(CREDIT);
    expect(journal.reduce((sum, e) => sum + e.amountMicros, 0)).toBe(summary.balanceMicros);
    await drainAlarms(world.accountId);
  }, 120_000);
});
