/**
 * The in-memory admission engine (issue 11) across evictions and restarts: admission holds money
 * in the object's memory only, so everything here kills the object between admit and settle and
 * checks that nothing is overspent, nothing charged twice, nothing lost. A settle arriving after
 * an eviction is charged once, from the grant the worker sends back, against the pool the
 * persisted marks kept back.
 */
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { AccountBooks } from '../../worker/durable-objects/account';
import type { AdmitResult, Grant, SettleRequest } from '../../worker/durable-objects/account/types';
import { costMicros } from '../../worker/lib/money';
import { accountStub, callJson, createWorld, type World } from '../helpers';

const PRICE = { inputMicrosPer1M: 1_000_000, outputMicrosPer1M: 2_000_000, requestMicros: 10 };
type Stub = DurableObjectStub<AccountBooks>;

function admit(stub: Stub, world: World, requestId: string, keyId = world.keyId): Promise<AdmitResult> {
  return stub.admit({
    requestId,
    keyId,
    promptTokensUpper: 100,
    promptTokensEstimate: 25,
    lifetimeMs: 60_000,
    requestedMaxTokens: 100,
    service: {
      id: world.serviceId,
      name: world.model,
      endpoint: 'chat',
      price: PRICE,
      priceVersion: 1,
      maxOutputTokens: 256,
      defaults: { requestsPerMinute: null, tokensPerMinute: null, maxConcurrent: null },
    },
  }) as Promise<AdmitResult>;
}

function settleReq(grant: Grant, outputTokens = 40): SettleRequest {
  return { reservationId: grant.requestId, inputTokens: 20, outputTokens, estimated: false, status: 'ok', model: grant.model, latencyMs: 5, ttftMs: 1, grant };
}

/** The grant of an admission that must have passed. */
function granted(result: AdmitResult): Grant {
  if (!result.ok) throw new Error(`refused: ${result.reason}`);
  return result.grant as Grant;
}

/** Journal usage entries by request id (to prove "charged once"). */
function usageEntries(stub: Stub): Promise<Record<string, number>> {
  return runInDurableObject(stub, (_instance, state) => {
    const out: Record<string, number> = {};
    for (const row of state.storage.sql.exec<{ ref: string; n: number }>("SELECT ref, COUNT(*) AS n FROM journal WHERE kind = 'usage' GROUP BY ref"))
      out[row.ref] = row.n;
    return out;
  });
}

const cost = (outputTokens = 40) => costMicros(PRICE, { inputTokens: 20, outputTokens });

describe('admission in memory, across evictions', () => {
  it('keeps the money of a request in flight across an eviction, and charges its late settle once, from the pool', async () => {
    const world = await createWorld({ prices: PRICE, balanceMicros: 1_000 });
    const stub = accountStub(world.accountId);
    const first = granted(await admit(stub, world, 'req_before'));
    expect(first.reservedMicros).toBe(costMicros(PRICE, { inputTokens: 100, outputTokens: 100 }));

    await evictDurableObject(stub);
    const after = await stub.summary();
    // The new life does not know the grant, but its mark keeps at least its money back.
    expect(after.openReservations).toBe(0);
    expect(after.reservedMicros).toBeGreaterThanOrEqual(first.reservedMicros);
    expect(after.balanceMicros).toBe(1_000);

    // While the pool holds it, the balance cannot be spent twice: what is left is less than a request.
    const second = await admit(stub, world, 'req_after');
    expect(second.ok).toBe(false);

    // The settle after the eviction is charged once, with the figures it reports.
    const settled = await stub.settle(settleReq(first));
    expect(settled).toMatchObject({ costMicros: cost(), duplicate: false });
    expect((await stub.settle(settleReq(first))).duplicate).toBe(true);
    const summary = await stub.summary();
    expect(summary.balanceMicros).toBe(1_000 - cost());
    // The settle took its own amount out of the pool; the rest of the mark (a coarse upper bound)
    // stays held until the pool expires, because the object cannot know nothing else was in flight.
    expect(summary.reservedMicros).toBe(after.reservedMicros - first.reservedMicros);
    expect(await usageEntries(stub)).toEqual({ req_before: 1 });
  });

  it('under load: evicted and aborted mid-flight, every request is charged exactly once and the balance never goes below zero', async () => {
    const balance = 40_000;
    const world = await createWorld({ prices: PRICE, balanceMicros: balance });
    let stub = accountStub(world.accountId);
    const grants: Grant[] = [];
    const admitWave = async (wave: number) => {
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => admit(stub, world, `req_${wave}_${i}`)));
      for (const r of results) if (r.ok) grants.push(r.grant as Grant);
      // Never more held than there is: what is available stays non-negative after every wave.
      const now = await stub.summary();
      expect(now.balanceMicros - now.reservedMicros).toBeGreaterThanOrEqual(0);
    };
    const settleAll = (list: Grant[]) => Promise.all(list.map((g) => stub.settle(settleReq(g)).catch(() => null)));

    await admitWave(1);
    await settleAll(grants.slice(0, 3));
    await evictDurableObject(stub); // graceful: the settles above are committed
    await admitWave(2);
    // A crash with settles in the air: they may be lost with the object; the worker retries them.
    const inAir = settleAll(grants.slice(3, 9));
    await runInDurableObject(stub, (_instance, state) => state.abort('crash')).catch(() => null);
    await inAir;
    stub = accountStub(world.accountId); // the old stub is broken with the object it reached
    await admitWave(3);
    await evictDurableObject(stub);
    // Every grant settled (again, for those that may have landed already), some twice.
    await settleAll(grants);
    await settleAll(grants.slice(0, 10));

    const summary = await stub.summary();
    const charged = await usageEntries(stub);
    expect(Object.keys(charged).sort()).toEqual(grants.map((g) => g.requestId).sort());
    expect(Object.values(charged).every((n) => n === 1)).toBe(true);
    expect(summary.balanceMicros).toBe(balance - grants.length * cost());
    expect(summary.balanceMicros).toBeGreaterThanOrEqual(0);
    expect(summary.openReservations).toBe(0);
    expect(grants.length).toBe(36);
  });

  it('holds the concurrency limit and the key spend limit across an eviction', async () => {
    const world = await createWorld({ prices: PRICE, keyLimits: { maxConcurrent: 2 } });
    const stub = accountStub(world.accountId);
    const a = granted(await admit(stub, world, 'req_c1'));
    granted(await admit(stub, world, 'req_c2'));
    await evictDurableObject(stub);
    const third = await admit(stub, world, 'req_c3');
    expect(third).toMatchObject({ ok: false, reason: 'concurrency_limit' });
    await stub.settle(settleReq(a));
    // One settled: the pool counts one fewer in flight, yet the mark still counts the other.
    expect((await admit(stub, world, 'req_c4')).ok).toBe(true);
    expect(await admit(stub, world, 'req_c5')).toMatchObject({ ok: false, reason: 'concurrency_limit' });

    const limited = await createWorld({ prices: PRICE, keyLimits: { spendLimitMicros: 700 } });
    const lstub = accountStub(limited.accountId);
    const held = granted(await admit(lstub, limited, 'req_s1'));
    await evictDurableObject(lstub);
    // 700 − the 310 held on the key leaves too little for a second request, even after the eviction.
    expect(await admit(lstub, limited, 'req_s2')).toMatchObject({ ok: false, reason: 'spend_limit_exceeded' });
    await lstub.settle(settleReq(held));
    expect((await admit(lstub, limited, 'req_s3')).ok).toBe(true);
  });

  it('releases a pool once every request it covered is past its lifetime and settle grace', async () => {
    const world = await createWorld({ prices: PRICE, balanceMicros: 1_000 });
    const stub = accountStub(world.accountId);
    granted(await admit(stub, world, 'req_lost'));
    await evictDurableObject(stub);
    expect((await stub.summary()).reservedMicros).toBeGreaterThan(0);
    // Move the pool's expiry into the past (as time would), then let the alarm run.
    await runInDurableObject(stub, (_i, state) => {
      state.storage.sql.exec('UPDATE hold_marks SET pool_expires_at = 1');
    });
    await evictDurableObject(stub);
    await runDurableObjectAlarm(stub);
    const summary = await stub.summary();
    expect(summary.reservedMicros).toBe(0);
    expect(summary.balanceMicros).toBe(1_000);
    expect((await admit(stub, world, 'req_next')).ok).toBe(true);
  });

  it('refuses to charge a forgotten settle without a valid grant, and never from a grant for another request', async () => {
    const world = await createWorld({ prices: PRICE });
    const stub = accountStub(world.accountId);
    const g = granted(await admit(stub, world, 'req_g'));
    await evictDurableObject(stub);
    expect((await stub.settle({ ...settleReq(g), grant: undefined })).unknown).toBe(true);
    expect((await stub.settle({ ...settleReq(g), reservationId: 'req_other' })).unknown).toBe(true);
    expect((await stub.settle({ ...settleReq(g), grant: { ...g, reservedMicros: -5 } })).unknown).toBe(true);
    // A settle reporting more than the grant is clamped to it, as for a remembered grant.
    const over = await stub.settle(settleReq(g, 10_000));
    expect(over.costMicros).toBe(costMicros(PRICE, { inputTokens: 20, outputTokens: 100 }));
    expect((await stub.summary()).balanceMicros).toBe(10_000_000 - over.costMicros);
  });

  it('answers a settle replayed after its settlement record was pruned as a duplicate, never charging it twice', async () => {
    const world = await createWorld({ prices: PRICE });
    const stub = accountStub(world.accountId);
    const g = granted(await admit(stub, world, 'req_old'));
    const first = await stub.settle(settleReq(g));
    expect(first.costMicros).toBe(cost());
    // A day later the settlement record is pruned (the journal never is), and the object restarted.
    await runInDurableObject(stub, (_i, state) => {
      state.storage.sql.exec("DELETE FROM settlements WHERE reservation_id = 'req_old'");
    });
    await evictDurableObject(stub);
    // The queued copy of the same settle is replayed from D1, grant and all.
    const replay = await stub.settle(settleReq(g));
    expect(replay.duplicate).toBe(true);
    expect(replay.costMicros).toBe(cost());
    expect(await usageEntries(stub)).toEqual({ req_old: 1 });
    expect((await stub.summary()).balanceMicros).toBe(10_000_000 - cost());
  });

  it('fails one bad settle alone when a batch cannot commit, and keeps its money held', async () => {
    const world = await createWorld({ prices: PRICE });
    const stub = accountStub(world.accountId);
    const good = await Promise.all([1, 2, 3].map(async (i) => granted(await admit(stub, world, `req_ok${i}`))));
    const bad = granted(await admit(stub, world, 'req_bad'));
    // An entry already using the bad settle's journal key makes its insert fail (and the batch roll back).
    await runInDurableObject(stub, (_i, state) => {
      state.storage.sql.exec(
        "INSERT INTO journal (seq, idempotency_key, kind, counter_account, amount_micros, balance_after_micros, created_at) VALUES (100000, 'usage:req_bad', 'usage', 'sys:revenue', 0, 0, 0)",
      );
    });
    const results = await Promise.allSettled([...good, bad].map((g) => stub.settle(settleReq(g))));
    expect(results.slice(0, 3).every((r) => r.status === 'fulfilled')).toBe(true);
    expect(results[3].status).toBe('rejected');
    const summary = await stub.summary();
    expect(summary.openReservations).toBe(1);
    expect(summary.reservedMicros).toBe(bad.reservedMicros);
    expect(summary.balanceMicros).toBe(10_000_000 - 3 * cost());
  });

  it('takes reservations left in the legacy table into memory on upgrade, and settles them', async () => {
    const world = await createWorld({ prices: PRICE });
    const stub = accountStub(world.accountId);
    await stub.summary();
    await runInDurableObject(stub, (_i, state) => {
      state.storage.sql.exec(
        `INSERT INTO reservations (id, key_id, service_id, model, endpoint, price_version, input_micros_per_1m, output_micros_per_1m,
           request_micros, reserved_micros, reserved_tokens, tokens_window_start, prompt_tokens_estimate, created_at, expires_at, key_period,
           max_output_tokens, prompt_tokens_upper) VALUES ('req_legacy', ?, ?, ?, 'chat', 1, 1000000, 2000000, 10, 310, 125, 0, 25, ?, ?, 'month', 100, 100)`,
        world.keyId,
        world.serviceId,
        world.model,
        Date.now(),
        Date.now() + 60_000,
      );
    });
    await evictDurableObject(stub);
    expect(await stub.summary()).toMatchObject({ openReservations: 1, reservedMicros: 310 });
    const settled = await stub.settle({
      reservationId: 'req_legacy',
      inputTokens: 20,
      outputTokens: 40,
      estimated: false,
      status: 'ok',
      model: world.model,
      latencyMs: 1,
      ttftMs: 1,
    });
    expect(settled.costMicros).toBe(cost());
    expect(await stub.summary()).toMatchObject({ openReservations: 0, reservedMicros: 0, balanceMicros: 10_000_000 - cost() });
  });

  it('another account’s object neither charges nor shows this account’s grants', async () => {
    const world = await createWorld({ prices: PRICE });
    const other = await createWorld({ prices: PRICE });
    const g = granted(await admit(accountStub(world.accountId), world, 'req_mine'));
    // The other account's object has no such grant and must not charge one sent to it.
    const wrong = await accountStub(other.accountId).settle({ ...settleReq(g), grant: { ...g } });
    expect(wrong).toMatchObject({ unknown: true, costMicros: 0 });
    expect((await accountStub(other.accountId).summary()).balanceMicros).toBe(10_000_000);
    const keys = await callJson('/api/account/keys', { auth: `Bearer ${other.managementKey}` });
    expect(JSON.stringify(keys)).not.toContain(world.keyId);
  });
});
