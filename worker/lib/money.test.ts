import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { affordableOutputTokens, costMicros, microsToUsd, type Price } from './money';

const price = fc.record({
  inputMicrosPer1M: fc.integer({ min: 0, max: 1_000_000_000 }),
  outputMicrosPer1M: fc.integer({ min: 0, max: 1_000_000_000 }),
  requestMicros: fc.integer({ min: 0, max: 100_000 }),
}) as fc.Arbitrary<Price>;
const tokens = fc.integer({ min: 0, max: 10_000_000 });

describe('costMicros', () => {
  it('rounds the exact cost up once, to the next whole µUSD', () => {
    fc.assert(
      fc.property(price, tokens, tokens, (p, input, output) => {
        const exactTimesMillion = BigInt(input) * BigInt(p.inputMicrosPer1M) + BigInt(output) * BigInt(p.outputMicrosPer1M);
        const cost = BigInt(costMicros(p, { inputTokens: input, outputTokens: output })) - BigInt(p.requestMicros);
        // cost is the smallest integer ≥ exact: cost × 1e6 ≥ exact > (cost − 1) × 1e6
        expect(cost * 1_000_000n >= exactTimesMillion).toBe(true);
        expect((cost - 1n) * 1_000_000n < exactTimesMillion).toBe(true);
      }),
    );
  });

  it('is monotonic in tokens and never charges less than the request price', () => {
    fc.assert(
      fc.property(price, tokens, tokens, fc.integer({ min: 0, max: 1000 }), (p, input, output, more) => {
        const base = costMicros(p, { inputTokens: input, outputTokens: output });
        expect(base).toBeGreaterThanOrEqual(p.requestMicros);
        expect(costMicros(p, { inputTokens: input + more, outputTokens: output })).toBeGreaterThanOrEqual(base);
        expect(costMicros(p, { inputTokens: input, outputTokens: output + more })).toBeGreaterThanOrEqual(base);
      }),
    );
  });

  it('charges one rounding per request, not per token class', () => {
    // 1 input token at 0.5 µUSD and 1 output token at 0.5 µUSD = exactly 1 µUSD, not 2.
    expect(costMicros({ inputMicrosPer1M: 500_000, outputMicrosPer1M: 500_000, requestMicros: 0 }, { inputTokens: 1, outputTokens: 1 })).toBe(1);
  });

  it('refuses non-integer token counts', () => {
    expect(() => costMicros({ inputMicrosPer1M: 1, outputMicrosPer1M: 1, requestMicros: 0 }, { inputTokens: 1.5, outputTokens: 0 })).toThrow(RangeError);
  });
});

describe('affordableOutputTokens', () => {
  it('returns the largest output whose cost fits the budget', () => {
    fc.assert(
      fc.property(
        price.filter((p) => p.outputMicrosPer1M > 0),
        fc.integer({ min: 0, max: 50_000_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        (p, budget, input) => {
          const t = affordableOutputTokens(p, budget, input);
          if (t < 0) {
            expect(costMicros(p, { inputTokens: input, outputTokens: 0 })).toBeGreaterThan(budget);
            return;
          }
          expect(costMicros(p, { inputTokens: input, outputTokens: t })).toBeLessThanOrEqual(budget);
          expect(costMicros(p, { inputTokens: input, outputTokens: t + 1 })).toBeGreaterThan(budget);
        },
      ),
    );
  });

  it('is unbounded when output is free and refuses a negative budget', () => {
    expect(affordableOutputTokens({ inputMicrosPer1M: 0, outputMicrosPer1M: 0, requestMicros: 0 }, 0, 10)).toBe(Number.MAX_SAFE_INTEGER);
    expect(affordableOutputTokens({ inputMicrosPer1M: 0, outputMicrosPer1M: 1, requestMicros: 0 }, -1, 0)).toBe(-1);
  });
});

describe('microsToUsd', () => {
  it('formats µUSD as dollars with six decimals, exactly', () => {
    expect(microsToUsd(0)).toBe('0.000000');
    expect(microsToUsd(10_000_000)).toBe('10.000000');
    expect(microsToUsd(1_234)).toBe('0.001234');
    expect(microsToUsd(-2_500_001)).toBe('-2.500001');
    fc.assert(
      fc.property(fc.integer({ min: -1e15, max: 1e15 }), (m) => {
        expect(Math.round(Number(microsToUsd(m)) * 1e6)).toBe(m);
      }),
    );
  });
});
