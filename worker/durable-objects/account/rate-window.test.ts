import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fits, limitState, retryAfterMs, WINDOW_MS, windowUsage } from './rate-window';

const cells = fc.record({
  previous: fc.integer({ min: 0, max: 1000 }),
  current: fc.integer({ min: 0, max: 1000 }),
  elapsed: fc.integer({ min: 0, max: WINDOW_MS - 1 }),
});

describe('sliding window', () => {
  it('counts the previous cell in proportion to the part of it still inside the window', () => {
    expect(windowUsage({ previous: 100, current: 10, elapsed: 0 })).toBe(110);
    expect(windowUsage({ previous: 100, current: 10, elapsed: WINDOW_MS / 2 })).toBe(60);
    expect(fits({ previous: 0, current: 4, elapsed: 0 }, 1, 5)).toBe(true);
    expect(fits({ previous: 0, current: 5, elapsed: 0 }, 1, 5)).toBe(false);
  });

  it('says to retry exactly when the request would first fit', () => {
    fc.assert(
      fc.property(cells, fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 1000 }), (c, cost, limit) => {
        if (fits(c, cost, limit)) return;
        const wait = retryAfterMs(c, cost, limit);
        if (cost > limit) {
          expect(wait).toBeNull();
          return;
        }
        expect(wait).not.toBeNull();
        const at = c.elapsed + (wait as number);
        const later = at < WINDOW_MS ? { ...c, elapsed: at } : { previous: at < 2 * WINDOW_MS ? c.current : 0, current: 0, elapsed: at % WINDOW_MS };
        expect(fits(later, cost, limit)).toBe(true);
      }),
    );
  });

  it('reports remaining capacity for the headers', () => {
    expect(limitState({ previous: 0, current: 3, elapsed: 1000 }, 10)).toEqual({ limit: 10, remaining: 7, resetMs: 2 * WINDOW_MS - 1000 });
  });
});
