import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { ADMIN, accountStub, call, callJson, createWorld, drainAlarms } from '../helpers';

describe('promotion codes', () => {
  it('credits each account once, never beyond the number of uses', async () => {
    await callJson('/api/admin/promotions', { method: 'POST', auth: ADMIN, json: { code: 'launch-2026', amountMicros: 2_000_000, maxUses: 2 }, expect: 201 });
    expect((await call('/api/admin/promotions', { method: 'POST', auth: ADMIN, json: { code: 'LAUNCH-2026', amountMicros: 1, maxUses: 1 } })).status).toBe(409);
    const a = await createWorld({ balanceMicros: 0 });
    const b = await createWorld({ balanceMicros: 0 });
    const c = await createWorld({ balanceMicros: 0 });
    const redeem = (w: typeof a, code = 'launch-2026') =>
      call('/api/account/promotions/redeem', { method: 'POST', auth: `Bearer ${w.managementKey}`, json: { code } });
    // Ten concurrent redemptions by the same account credit it once.
    const same = await Promise.all(Array.from({ length: 10 }, () => redeem(a)));
    expect(same.filter((r) => r.status === 201)).toHaveLength(1);
    expect(same.filter((r) => r.status === 409)).toHaveLength(9);
    expect((await accountStub(a.accountId).summary()).balanceMicros).toBe(2_000_000);
    expect((await redeem(b)).status).toBe(201);
    expect((await redeem(c)).status).toBe(409);
    expect((await accountStub(c.accountId).summary()).balanceMicros).toBe(0);
    expect((await redeem(c, 'nope')).status).toBe(404);
    const promos = await callJson('/api/admin/promotions', { auth: ADMIN, expect: 200 });
    expect(promos.promotions.find((p: any) => p.code === 'LAUNCH-2026').uses).toBe(2);
  });

  it('refuses an expired code', async () => {
    await callJson('/api/admin/promotions', {
      method: 'POST',
      auth: ADMIN,
      json: { code: 'old', amountMicros: 1_000, maxUses: 5, expiresAt: Date.now() - 1000 },
      expect: 201,
    });
    const w = await createWorld({ balanceMicros: 0 });
    const res = await call('/api/account/promotions/redeem', { method: 'POST', auth: `Bearer ${w.managementKey}`, json: { code: 'OLD' } });
    expect(res.status).toBe(400);
  });
});

describe('manual adjustments', () => {
  it('are journaled with their reason and audited', async () => {
    const w = await createWorld({ balanceMicros: 0 });
    await callJson(`/api/admin/accounts/${w.accountId}/adjustments`, {
      method: 'POST',
      auth: ADMIN,
      json: { amountMicros: 750_000, reason: 'support credit #42' },
      expect: 201,
    });
    const audit = await callJson('/api/admin/audit', { auth: ADMIN, expect: 200 });
    expect(audit.entries.find((e: any) => e.target === w.accountId && e.action === 'account.adjust').details).toContain('support credit #42');
    await drainAlarms(w.accountId);
    const transfer = await env.DB.prepare("SELECT * FROM ledger_transfers WHERE account_id = ? AND code = 'credit'").bind(w.accountId).first<any>();
    expect(transfer).toMatchObject({ debit_account: 'sys:adjustments', credit_account: `acct:${w.accountId}`, amount_micros: 750_000 });
  });
});

describe('write-offs', () => {
  it('bring a negative balance back to zero against sys:writeoff, and nothing else', async () => {
    const w = await createWorld({ balanceMicros: 0 });
    expect((await call(`/api/admin/accounts/${w.accountId}/write-off`, { method: 'POST', auth: ADMIN, json: { reason: 'nothing owed' } })).status).toBe(409);
    await callJson(`/api/admin/accounts/${w.accountId}/adjustments`, {
      method: 'POST',
      auth: ADMIN,
      json: { amountMicros: -1_234, reason: 'dispute after spend' },
      expect: 201,
    });
    const res = await callJson(`/api/admin/accounts/${w.accountId}/write-off`, { method: 'POST', auth: ADMIN, json: { reason: 'uncollectable' }, expect: 201 });
    expect(res.balanceMicros).toBe(0);
    expect((await accountStub(w.accountId).summary()).balanceMicros).toBe(0);
    await drainAlarms(w.accountId);
    const transfer = await env.DB.prepare("SELECT * FROM ledger_transfers WHERE account_id = ? AND code = 'writeoff'").bind(w.accountId).first<any>();
    expect(transfer).toMatchObject({ debit_account: 'sys:writeoff', credit_account: `acct:${w.accountId}`, amount_micros: 1_234 });
  });
});

describe('the D1 ledger is append-only', () => {
  it('refuses updates and deletes of transfers and journal mirror rows', async () => {
    const w = await createWorld();
    await drainAlarms(w.accountId);
    await expect(env.DB.prepare('UPDATE ledger_transfers SET amount_micros = 1 WHERE account_id = ?').bind(w.accountId).run()).rejects.toThrow(/append-only/);
    await expect(env.DB.prepare('DELETE FROM journal_entries WHERE account_id = ?').bind(w.accountId).run()).rejects.toThrow(/append-only/);
  });
});

describe('reconciliation', () => {
  it('finds nothing wrong when D1 mirrors every journal, and raises an alert when it does not', async () => {
    const w = await createWorld();
    await drainAlarms(w.accountId);
    const clean = await callJson('/api/admin/reconcile', { method: 'POST', auth: ADMIN, expect: 200 });
    expect(clean.report.problems).toEqual([]);
    // A transfer D1 has but no journal wrote: reconciliation must notice, and must not delete it.
    await env.DB.prepare(
      "INSERT INTO ledger_transfers (idempotency_key, debit_account, credit_account, amount_micros, code, account_id, journal_seq, created_at) VALUES (?, 'sys:adjustments', ?, 5, 'credit', ?, 1, 0)",
    )
      .bind(`${w.accountId}:forged`, `acct:${w.accountId}`, w.accountId)
      .run();
    const dirty = await callJson('/api/admin/reconcile', { method: 'POST', auth: ADMIN, expect: 200 });
    expect(dirty.report.problems.some((p: string) => p.includes(w.accountId) && p.includes('ledger transfers'))).toBe(true);
    const reviews = await callJson('/api/admin/reviews', { auth: ADMIN, expect: 200 });
    expect(reviews.reviews.some((r: any) => r.kind === 'reconciliation' && r.accountId === w.accountId)).toBe(true);
    expect(await env.DB.prepare('SELECT COUNT(*) AS n FROM ledger_transfers WHERE idempotency_key = ?').bind(`${w.accountId}:forged`).first('n')).toBe(1);
  });
});
