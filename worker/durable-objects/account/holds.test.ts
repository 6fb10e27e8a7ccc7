/**
 * Holds: running totals of what is in flight, marks persisted in coarse steps, and pools after a
 * restart (holds.ts). The restart cases run against the object's real SQLite storage.
 */
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { accountStub, createWorld } from '../../../test/helpers';
import { HOLD_BALANCE } from './buckets';
import { Holds } from './holds';
import type { Grant } from './types';

const T0 = 1_800_000_000_000;
const LIFE = 60_000;

/** A grant holding `micros` on the balance (and whatever else `also` names). */
function grant(requestId: string, micros: number, also: Record<string, number> = {}, at = T0): Grant {
  return {
    requestId,
    keyId: 'key_1',
    serviceId: 'svc_1',
    model: 'm',
    endpoint: 'chat',
    priceVersion: 1,
    price: { inputMicrosPer1M: 1_000_000, outputMicrosPer1M: 1_000_000, requestMicros: 0 },
    reservedMicros: micros,
    maxOutputTokens: 10,
    promptTokensUpper: 10,
    reservedTokens: 20,
    promptTokensEstimate: 5,
    tokensWindowStart: at,
    keyPeriod: 'month',
    createdAt: at,
    expiresAt: at + LIFE,
    holds: { [HOLD_BALANCE]: micros, ...also },
  };
}

describe('holds', () => {
  it('keeps running totals: admission reads them, settling takes exactly the grant out', () => {
    const holds = new Holds();
    const slot = { 'key:key_1:n': 1 };
    holds.add(grant('a', 3_000, slot));
    holds.add(grant('b', 5_000, slot));
    holds.add(grant('c', 7, slot));
    expect(holds.held(HOLD_BALANCE, T0)).toBe(8_007);
    expect(holds.held('key:key_1:n', T0)).toBe(3);
    expect(holds.take('b')?.reservedMicros).toBe(5_000);
    expect(holds.take('b')).toBeUndefined();
    expect(holds.held(HOLD_BALANCE, T0)).toBe(3_007);
    holds.take('a');
    holds.take('c');
    expect(holds.held(HOLD_BALANCE, T0)).toBe(0);
    expect(holds.size).toBe(0);
  });

  it('raises a mark only when the in-flight amount passes it, in doubling steps capped by the limit', () => {
    const holds = new Holds();
    expect(holds.add(grant('a', 3_000))).toBe(true); // first mark: the minimum step, 10,000 µUSD
    expect(holds.add(grant('b', 3_000))).toBe(false); // 6,000 ≤ 10,000
    expect(holds.add(grant('c', 3_000))).toBe(false); // 9,000
    expect(holds.add(grant('d', 3_000))).toBe(true); // 12,000 > 10,000: raised to 24,000
    for (const id of ['e', 'f', 'g', 'h']) expect(holds.add(grant(id, 3_000))).toBe(false); // up to 24,000
    expect(holds.add(grant('i', 3_000))).toBe(true);
    // A cap (what the bucket's limit still allows) bounds the mark.
    const capped = new Holds();
    capped.add(grant('x', 3_000), { [HOLD_BALANCE]: 4_000 });
    expect(capped.add(grant('y', 1_000), { [HOLD_BALANCE]: 4_000 })).toBe(false); // mark 4,000 holds 4,000
    expect(capped.add(grant('z', 1), { [HOLD_BALANCE]: 4_000 })).toBe(true);
  });

  it('turns marks into pools in a new life, charges settles of the old life against them, never below zero, and releases them on expiry', async () => {
    const world = await createWorld();
    await runInDurableObject(accountStub(world.accountId), (_instance, state) => {
      const sql = state.storage.sql;
      const before = state.storage.transactionSync(() => {
        const life1 = Holds.start(sql, T0);
        life1.add(grant('a', 3_000));
        life1.add(grant('b', 4_000));
        life1.persist(sql);
        return life1;
      });
      expect(before.held(HOLD_BALANCE, T0)).toBe(7_000);

      // The object restarts with a and b still in flight: the mark (10,000) is held as a pool.
      const life2 = state.storage.transactionSync(() => Holds.start(sql, T0 + 1_000));
      expect(life2.size).toBe(0);
      expect(life2.poolOn(HOLD_BALANCE, T0 + 1_000)).toBe(10_000);
      expect(life2.held(HOLD_BALANCE, T0 + 1_000)).toBe(10_000);
      // The settle of a, which this life does not remember, comes out of the pool.
      expect(life2.takeFromPools(grant('a', 3_000), T0 + 2_000)).toEqual([[HOLD_BALANCE, 3_000]]);
      expect(life2.held(HOLD_BALANCE, T0 + 2_000)).toBe(7_000);
      // A forged or repeated grant larger than the pool takes it to zero, not below.
      life2.takeFromPools(grant('b', 50_000), T0 + 2_000);
      expect(life2.held(HOLD_BALANCE, T0 + 2_000)).toBe(0);
      life2.returnToPools([[HOLD_BALANCE, 7_000]]); // a rolled-back settle puts it back

      // A third life before expiry keeps what is left; after the grants' expiry (plus slack) it is gone.
      state.storage.transactionSync(() => life2.persist(sql));
      const life3 = state.storage.transactionSync(() => Holds.start(sql, T0 + 3_000));
      expect(life3.held(HOLD_BALANCE, T0 + 3_000)).toBe(7_000);
      const expiry = T0 + LIFE + Math.ceil(LIFE / 4);
      expect(life3.held(HOLD_BALANCE, expiry - 1)).toBe(7_000);
      expect(life3.held(HOLD_BALANCE, expiry)).toBe(0);
      life3.tidy(expiry);
      state.storage.transactionSync(() => life3.persist(sql));
      expect(sql.exec('SELECT COUNT(*) AS n FROM hold_marks').one().n).toBe(0);
    });
  });

  it('lowers a mark left far above what is in flight after a burst', () => {
    const holds = new Holds();
    for (let i = 0; i < 20; i++) holds.add(grant(`g${i}`, 5_000)); // 100,000 in flight
    for (let i = 1; i < 20; i++) holds.take(`g${i}`); // 5,000 left
    holds.tidy(T0);
    // The next admission of 5,000 (10,000 in flight) fits under the lowered mark (2 × step(5,000) = 20,000).
    expect(holds.add(grant('n1', 5_000))).toBe(false);
    expect(holds.add(grant('n2', 5_000))).toBe(false);
    expect(holds.add(grant('n3', 5_001))).toBe(true);
  });
});
