/**
 * The reconciliation snapshot verifies the journal incrementally from a checkpoint (issue 11:
 * no walk of the whole history while admissions wait), and still catches a broken chain after
 * the checkpoint and a balance that is not the last entry's running balance.
 */
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { AccountBooks } from '.';
import { snapshot } from './reconciliation';
import { ADMIN, accountStub, callJson, createWorld } from '../../../test/helpers';

async function credit(accountId: string, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    await callJson(`/api/admin/accounts/${accountId}/adjustments`, {
      method: 'POST',
      auth: ADMIN,
      expect: 201,
      json: { amountMicros: 1_000 + i, reason: `credit ${i}` },
    });
  }
}

/** Runs the snapshot inside the object with a small chunk, as the RPC would. */
function snap(stub: DurableObjectStub<AccountBooks>, chunk: number) {
  return runInDurableObject(stub, (_instance, state) => snapshot(state.storage.sql, chunk));
}

describe('the journal checkpoint', () => {
  it('verifies only what was appended since the last snapshot, a chunk at a time', async () => {
    const world = await createWorld();
    const stub = accountStub(world.accountId);
    await credit(world.accountId, 4);
    const first = await stub.reconciliationSnapshot();
    expect(first).toMatchObject({ chainOk: true, verifiedThroughSeq: first.lastSeq, journalSumMicros: first.balanceMicros });

    await credit(world.accountId, 5);
    const lastSeq = first.lastSeq + 5;
    const partial = await snap(stub, 2);
    expect(partial).toMatchObject({ chainOk: true, lastSeq, verifiedThroughSeq: first.lastSeq + 2 });
    const next = await snap(stub, 2);
    expect(next.verifiedThroughSeq).toBe(first.lastSeq + 4);
    const done = await snap(stub, 2);
    expect(done).toMatchObject({ chainOk: true, verifiedThroughSeq: lastSeq, journalSumMicros: done.balanceMicros });
    const stored = await runInDurableObject(stub, (_i, state) => state.storage.sql.exec('SELECT through_seq, balance_micros FROM journal_checkpoint').one());
    expect(stored).toEqual({ through_seq: lastSeq, balance_micros: done.balanceMicros });
  });

  it.each([
    [
      'a running balance that does not chain',
      'UPDATE journal SET balance_after_micros = balance_after_micros + 1 WHERE seq = (SELECT MAX(seq) - 1 FROM journal)',
    ],
    ['a gap in the sequence', 'DELETE FROM journal WHERE seq = (SELECT MAX(seq) - 1 FROM journal)'],
    ['a balance that is not the last entry\u2019s', 'UPDATE account SET balance_micros = balance_micros + 5'],
  ])('catches %s after the checkpoint, and does not move the checkpoint past it', async (_label, corruption) => {
    const world = await createWorld();
    const stub = accountStub(world.accountId);
    await credit(world.accountId, 2);
    const before = await stub.reconciliationSnapshot();
    expect(before.chainOk).toBe(true);
    await credit(world.accountId, 3);
    await runInDurableObject(stub, (_i, state) => {
      state.storage.sql.exec(corruption);
    });
    const after = await snap(stub, 1_000);
    expect(after.chainOk).toBe(false);
    const stored = await runInDurableObject(stub, (_i, state) =>
      state.storage.sql.exec<{ through_seq: number }>('SELECT through_seq FROM journal_checkpoint').one(),
    );
    expect(stored.through_seq).toBe(before.lastSeq);
  });
});
