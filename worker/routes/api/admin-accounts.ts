/**
 * @module routes/api/admin-accounts
 * `/api/admin/accounts`: create accounts, issue management keys, credit/debit with a reason
 * (journaled, idempotent), suspend, read balance and journal.
 */
import { Hono } from 'hono';
import type { AppEnv } from '../../env';
import { ApiError } from '../../errors';
import { newId } from '../../lib/ids';
import { accountObject, createAccount, issueKey, NO_LIMITS } from '../../services/accounts';
import { actorOf, audit } from '../../services/audit';
import { balanceView } from './account';
import { AccountSearchQuery, AdjustmentInput, CreateAccountInput, JournalQuery, keyView, StatusInput, WriteOffInput } from './schemas';
import { jsonBody, queryParams } from './validate';

async function existingAccount(c: { env: AppEnv['Bindings'] }, id: string) {
  const row = await c.env.DB.prepare('SELECT id, name, status, created_at FROM accounts WHERE id = ?').bind(id).first<{ id: string; name: string; status: string; created_at: number }>();
  if (!row) throw new ApiError({ code: 'not_found', message: `No account '${id}'.` });
  return row;
}

export const adminAccountRoutes = new Hono<AppEnv>()
  .post('/', async (c) => {
    const { name } = await jsonBody(c, CreateAccountInput);
    const account = await createAccount(c.env, name);
    const { key, secret } = await issueKey(c.env, account.id, 'management', 'Management key', NO_LIMITS);
    return c.json({ account: { ...account, createdAt: new Date(account.createdAt).toISOString() }, managementKey: { id: key.id, prefix: key.prefix, secret } }, 201);
  })
  .get('/', async (c) => {
    // Search by id, name or the owner's e-mail; balances come from each account's object, so
    // the page is bounded (limit ≤ 200).
    const { q, limit } = queryParams(c, AccountSearchQuery);
    const like = q ? `%${q.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%` : null;
    const { results } = await c.env.DB.prepare(
      `SELECT a.id, a.name, a.status, a.created_at, u.email AS owner_email
       FROM accounts a LEFT JOIN user_accounts ua ON ua.account_id = a.id LEFT JOIN auth_user u ON u.id = ua.user_id
       WHERE ?1 IS NULL OR a.id LIKE ?1 ESCAPE '\\' OR a.name LIKE ?1 ESCAPE '\\' OR u.email LIKE ?1 ESCAPE '\\'
       ORDER BY a.created_at DESC, a.id DESC LIMIT ?2`,
    ).bind(like, limit).all<{ id: string; name: string; status: string; created_at: number; owner_email: string | null }>();
    const summaries = await Promise.all(results.map((r) => accountObject(c.env, r.id).summary()));
    return c.json({
      accounts: results.map((r, i) => ({
        id: r.id, name: r.name, status: r.status, ownerEmail: r.owner_email, balanceMicros: summaries[i].balanceMicros, createdAt: new Date(r.created_at).toISOString(),
      })),
    });
  })
  .get('/:id', async (c) => {
    const row = await existingAccount(c, c.req.param('id'));
    const summary = await accountObject(c.env, row.id).summary();
    return c.json({ account: { ...balanceView(summary), name: row.name, createdAt: new Date(row.created_at).toISOString(), pendingOutbox: summary.pendingOutbox } });
  })
  .post('/:id/adjustments', async (c) => {
    const row = await existingAccount(c, c.req.param('id'));
    const input = await jsonBody(c, AdjustmentInput);
    const { entry, duplicate } = await accountObject(c.env, row.id).postEntry({
      amountMicros: input.amountMicros,
      reason: input.reason,
      idempotencyKey: `admin:${input.idempotencyKey ?? newId('adj')}`,
      kind: input.amountMicros > 0 ? 'credit' : 'debit',
      counterAccount: 'sys:adjustments',
    });
    if (!duplicate) await audit(c.env, actorOf(c), 'account.adjust', row.id, { amountMicros: input.amountMicros, reason: input.reason, seq: entry.seq });
    return c.json({ entry, balanceMicros: entry.balanceAfterMicros, duplicate }, duplicate ? 200 : 201);
  })
  .post('/:id/write-off', async (c) => {
    // A negative balance (refunds or disputes after the credit was spent) is brought back to zero
    // at the operator's expense: a credit from sys:writeoff, journaled with its reason.
    const row = await existingAccount(c, c.req.param('id'));
    const { reason } = await jsonBody(c, WriteOffInput);
    const account = accountObject(c.env, row.id);
    const { balanceMicros } = await account.summary();
    if (balanceMicros >= 0) throw new ApiError({ code: 'conflict', message: 'The balance is not negative; there is nothing to write off.' });
    const { entry } = await account.postEntry({
      idempotencyKey: `writeoff:${row.id}:${newId('wo')}`, kind: 'writeoff', amountMicros: -balanceMicros, counterAccount: 'sys:writeoff', reason,
    });
    await audit(c.env, actorOf(c), 'account.write_off', row.id, { amountMicros: -balanceMicros, reason, seq: entry.seq });
    return c.json({ entry, balanceMicros: entry.balanceAfterMicros }, 201);
  })
  .post('/:id/status', async (c) => {
    const row = await existingAccount(c, c.req.param('id'));
    const { status } = await jsonBody(c, StatusInput);
    const summary = await accountObject(c.env, row.id).setStatus(status);
    await c.env.DB.prepare('UPDATE accounts SET status = ? WHERE id = ?').bind(status, row.id).run();
    await audit(c.env, actorOf(c), `account.${status === 'suspended' ? 'suspend' : 'activate'}`, row.id, null);
    return c.json({ account: { ...balanceView(summary), name: row.name } });
  })
  .post('/:id/management-keys', async (c) => {
    const row = await existingAccount(c, c.req.param('id'));
    const { key, secret } = await issueKey(c.env, row.id, 'management', 'Management key', NO_LIMITS);
    return c.json({ managementKey: { id: key.id, prefix: key.prefix, secret } }, 201);
  })
  .post('/:id/management-keys/:keyId/revoke', async (c) => {
    const row = await existingAccount(c, c.req.param('id'));
    const account = accountObject(c.env, row.id);
    const key = await account.getKey(c.req.param('keyId'));
    if (!key || key.kind !== 'management') throw new ApiError({ code: 'not_found', message: `No management key '${c.req.param('keyId')}' in this account.` });
    const revoked = await account.revokeKey(key.id);
    await audit(c.env, actorOf(c), 'management_key.revoke', row.id, { keyId: key.id });
    return c.json({ key: keyView(revoked ?? key) });
  })
  .get('/:id/keys', async (c) => {
    const row = await existingAccount(c, c.req.param('id'));
    const keys = await accountObject(c.env, row.id).listKeys();
    return c.json({ keys: keys.map(keyView) });
  })
  .get('/:id/journal', async (c) => {
    const row = await existingAccount(c, c.req.param('id'));
    const query = queryParams(c, JournalQuery);
    const entries = await accountObject(c.env, row.id).journal(query);
    return c.json({ entries, nextBefore: entries.length === query.limit ? entries[entries.length - 1].seq : null });
  });
