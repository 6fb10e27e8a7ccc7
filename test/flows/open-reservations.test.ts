/**
 * Admission reads the open reservations from running totals (issue 11: O(1), not a sum over the
 * table per request). The totals must always equal the table, through admissions, settlements,
 * expiry, a rolled-back transaction and a restart of the object.
 */
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { AccountObject } from '../../worker/durable-objects/account';
import type { OpenReservations } from '../../worker/durable-objects/account/open-reservations';
import { accountStub, callJson, createWorld, type World } from '../helpers';

const PRICE = { inputMicrosPer1M: 1_000_000, outputMicrosPer1M: 2_000_000, requestMicros: 10 };

function admit(stub: DurableObjectStub<AccountObject>, world: World, keyId: string, requestId: string) {
  return stub.admit({
    requestId, keyId, promptTokensUpper: 100, promptTokensEstimate: 25, lifetimeMs: 60_000, requestedMaxTokens: 10,
    service: { id: world.serviceId, name: world.model, endpoint: 'chat', price: PRICE, priceVersion: 1, maxOutputTokens: 256, defaults: { requestsPerMinute: null, tokensPerMinute: null, maxConcurrent: null } },
  });
}

/** The object's running totals next to what the table holds. */
function compare(stub: DurableObjectStub<AccountObject>, keyIds: string[]) {
  return runInDurableObject(stub, (instance, state) => {
    const open = (instance as unknown as { openReservations(): OpenReservations }).openReservations();
    const table = state.storage.sql.exec<{ key_id: string; micros: number; n: number }>('SELECT key_id, SUM(reserved_micros) AS micros, COUNT(*) AS n FROM reservations GROUP BY key_id').toArray();
    const fromTable = Object.fromEntries(keyIds.map((k) => { const r = table.find((t) => t.key_id === k); return [k, { micros: r?.micros ?? 0, count: r?.n ?? 0 }]; }));
    return {
      memory: { total: open.total, keys: Object.fromEntries(keyIds.map((k) => [k, { ...open.forKey(k) }])) },
      table: { total: table.reduce((s, r) => s + r.micros, 0), keys: fromTable },
    };
  });
}

describe('running totals of open reservations', () => {
  it('equal the reservations table through admit, settle, expiry, a rollback and a restart', async () => {
    const world = await createWorld({ prices: PRICE });
    const other = await callJson('/api/account/keys', { method: 'POST', auth: `Bearer ${world.managementKey}`, expect: 201, json: { name: 'second' } });
    const keys = [world.keyId, other.key.id as string];
    const stub = accountStub(world.accountId);
    for (let i = 0; i < 3; i++) expect((await admit(stub, world, keys[0], `req_a${i}`)).ok).toBe(true);
    for (let i = 0; i < 2; i++) expect((await admit(stub, world, keys[1], `req_b${i}`)).ok).toBe(true);
    let seen = await compare(stub, keys);
    expect(seen.memory).toEqual(seen.table);
    expect(seen.memory.keys[keys[0]].count).toBe(3);

    await stub.settle({ reservationId: 'req_a0', inputTokens: 5, outputTokens: 5, estimated: false, status: 'ok', model: world.model, latencyMs: 1, ttftMs: 1 });
    await runInDurableObject(stub, (_i, state) => { state.storage.sql.exec("UPDATE reservations SET expires_at = 0 WHERE id = 'req_b0'"); });
    // One alarm run (drainAlarms would keep running it: open reservations keep one scheduled).
    await runDurableObjectAlarm(stub);
    seen = await compare(stub, keys);
    expect(seen.memory).toEqual(seen.table);
    expect(seen.memory.keys[keys[1]].count).toBe(1);

    // A transaction that changes the totals and the table, then throws, rolls both back.
    await runInDurableObject(stub, (instance, state) => {
      const object = instance as unknown as { tx(fn: () => void): void; openReservations(): OpenReservations };
      try {
        object.tx(() => {
          state.storage.sql.exec("DELETE FROM reservations WHERE id = 'req_a1'");
          object.openReservations().remove(keys[0], 1);
          throw new Error('rolled back');
        });
      } catch {
        // expected
      }
    });
    seen = await compare(stub, keys);
    expect(seen.memory).toEqual(seen.table);
    expect(seen.memory.keys[keys[0]].count).toBe(2);

    // A restarted object rebuilds them from the table.
    await runInDurableObject(stub, (instance) => { (instance as unknown as { open: unknown }).open = undefined; });
    seen = await compare(stub, keys);
    expect(seen.memory).toEqual(seen.table);
  });
});
