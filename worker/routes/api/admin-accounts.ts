/**
 * @module routes/api/admin-accounts
 * `/api/admin/accounts`: create accounts, issue management keys, credit/debit with a reason
 * (journaled, idempotent), suspend, read balance and journal.
 */
import type { AppEnv } from '../../env';
import { ApiError } from '../../errors';
import { newId } from '../../lib/ids';
import { accountObject, createAccount, newManagementKey } from '../../services/accounts';
import { actorOf, audit } from '../../services/audit';
import { apiRouter, defineRoute, IdParam, json, jsonBody, z } from './contract';
import {
  AccountSearchQuery,
  AdjustmentInput,
  BalanceView,
  balanceView,
  CreateAccountInput,
  JournalEntryView,
  JournalPage,
  JournalQuery,
  KeyView,
  keyView,
  StatusInput,
  WriteOffInput,
} from './schemas';

async function existingAccount(c: { env: AppEnv['Bindings'] }, id: string) {
  const row = await c.env.DB.prepare('SELECT id, name, status, created_at FROM accounts WHERE id = ?')
    .bind(id)
    .first<{ id: string; name: string; status: string; created_at: number }>();
  if (!row) throw new ApiError({ code: 'not_found', message: `No account '${id}'.` });
  return row;
}

const TAGS = ['Admin: accounts'];
/** A management key as issued: the secret is shown only in this response. */
const IssuedKey = z.object({ id: z.string(), prefix: z.string(), secret: z.string().describe('The key itself, shown only in this response.') });
const AccountListItem = z.object({
  id: z.string(),
  name: z.string(),
  status: z.string(),
  ownerEmail: z.string().nullable().describe("The owning member's e-mail, if any."),
  balanceMicros: z.number().int(),
  createdAt: z.string(),
});
const Posted = z.object({ entry: JournalEntryView, balanceMicros: z.number().int().describe('The balance after the entry.') });
const Adjusted = Posted.extend({ duplicate: z.boolean().describe('The idempotencyKey was used before; nothing new was posted.') });

const search = defineRoute('admin', {
  method: 'get',
  path: '/',
  summary: "Search accounts by id, name or owner's e-mail, with balances",
  tags: TAGS,
  request: { query: AccountSearchQuery },
  responses: { 200: json(z.object({ accounts: z.array(AccountListItem) }), 'Matching accounts, newest first') },
});
const create = defineRoute('admin', {
  method: 'post',
  path: '/',
  summary: 'Create an account and its first management key',
  tags: TAGS,
  request: { body: jsonBody(CreateAccountInput) },
  responses: {
    201: json(
      z.object({ account: z.object({ id: z.string(), name: z.string(), status: z.literal('active'), createdAt: z.string() }), managementKey: IssuedKey }),
      'The new account and its management key',
    ),
  },
});
const get = defineRoute('admin', {
  method: 'get',
  path: '/{id}',
  summary: 'One account with its balance',
  tags: TAGS,
  request: { params: IdParam },
  responses: {
    200: json(
      z.object({
        account: BalanceView.extend({
          name: z.string(),
          createdAt: z.string(),
          pendingOutbox: z.number().int().describe('Journal and usage rows not yet mirrored to D1.'),
        }),
      }),
      'The account',
    ),
  },
});
const adjust = defineRoute('admin', {
  method: 'post',
  path: '/{id}/adjustments',
  summary: 'Credit (positive) or debit (negative) with a reason; idempotent by idempotencyKey',
  tags: TAGS,
  request: { params: IdParam, body: jsonBody(AdjustmentInput) },
  responses: { 201: json(Adjusted, 'The journal entry'), 200: json(Adjusted, 'The entry posted earlier with this idempotencyKey') },
});
const writeOff = defineRoute('admin', {
  method: 'post',
  path: '/{id}/write-off',
  summary: "Bring a negative balance back to zero at the operator's expense (journaled against sys:writeoff, audited)",
  tags: TAGS,
  request: { params: IdParam, body: jsonBody(WriteOffInput) },
  responses: { 201: json(Posted, 'The write-off entry') },
});
const setStatus = defineRoute('admin', {
  method: 'post',
  path: '/{id}/status',
  summary: 'Suspend or reactivate an account',
  tags: TAGS,
  request: { params: IdParam, body: jsonBody(StatusInput) },
  responses: { 200: json(z.object({ account: BalanceView.extend({ name: z.string() }) }), 'The account') },
});
const issueManagementKey = defineRoute('admin', {
  method: 'post',
  path: '/{id}/management-keys',
  summary: 'Issue another management key',
  tags: TAGS,
  request: { params: IdParam },
  responses: { 201: json(z.object({ managementKey: IssuedKey }), 'The new management key') },
});
const revokeManagementKey = defineRoute('admin', {
  method: 'post',
  path: '/{id}/management-keys/{keyId}/revoke',
  summary: 'Revoke a management key (effective on the next call)',
  tags: TAGS,
  request: { params: IdParam.extend({ keyId: z.string().min(1).max(200) }) },
  responses: { 200: json(z.object({ key: KeyView }), 'The revoked key') },
});
const keys = defineRoute('admin', {
  method: 'get',
  path: '/{id}/keys',
  summary: "An account's keys (inference and management)",
  tags: TAGS,
  request: { params: IdParam },
  responses: { 200: json(z.object({ keys: z.array(KeyView) }), "The account's keys") },
});
const journal = defineRoute('admin', {
  method: 'get',
  path: '/{id}/journal',
  summary: "An account's journal",
  tags: TAGS,
  request: { params: IdParam, query: JournalQuery },
  responses: { 200: json(JournalPage, 'A page of the journal, newest first') },
});

export const adminAccountRoutes = apiRouter()
  .openapi(search, async (c) => {
    // Balances come from each account's object, so the page is bounded (limit ≤ 200).
    const { q, limit } = c.req.valid('query');
    const like = q ? `%${q.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%` : null;
    const { results } = await c.env.DB.prepare(
      `SELECT a.id, a.name, a.status, a.created_at, u.email AS owner_email
       FROM accounts a LEFT JOIN user_accounts ua ON ua.account_id = a.id LEFT JOIN auth_user u ON u.id = ua.user_id
       WHERE ?1 IS NULL OR a.id LIKE ?1 ESCAPE '\\' OR a.name LIKE ?1 ESCAPE '\\' OR u.email LIKE ?1 ESCAPE '\\'
       ORDER BY a.created_at DESC, a.id DESC LIMIT ?2`,
    )
      .bind(like, limit)
      .all<{ id: string; name: string; status: string; created_at: number; owner_email: string | null }>();
    const summaries = await Promise.all(results.map((r) => accountObject(c.env, r.id).summary()));
    return c.json(
      {
        accounts: results.map((r, i) => ({
          id: r.id,
          name: r.name,
          status: r.status,
          ownerEmail: r.owner_email,
          balanceMicros: summaries[i].balanceMicros,
          createdAt: new Date(r.created_at).toISOString(),
        })),
      },
      200,
    );
  })
  .openapi(create, async (c) => {
    const { name } = c.req.valid('json');
    const account = await createAccount(c.env, name);
    const { key, secret } = await newManagementKey(c.env, account.id);
    return c.json(
      { account: { ...account, createdAt: new Date(account.createdAt).toISOString() }, managementKey: { id: key.id, prefix: key.prefix, secret } },
      201,
    );
  })
  .openapi(get, async (c) => {
    const row = await existingAccount(c, c.req.valid('param').id);
    const summary = await accountObject(c.env, row.id).summary();
    return c.json(
      { account: { ...balanceView(summary), name: row.name, createdAt: new Date(row.created_at).toISOString(), pendingOutbox: summary.pendingOutbox } },
      200,
    );
  })
  .openapi(adjust, async (c) => {
    const row = await existingAccount(c, c.req.valid('param').id);
    const input = c.req.valid('json');
    const { entry, duplicate } = await accountObject(c.env, row.id).postEntry({
      amountMicros: input.amountMicros,
      reason: input.reason,
      idempotencyKey: `admin:${input.idempotencyKey ?? newId('adj')}`,
      kind: input.amountMicros > 0 ? 'credit' : 'debit',
      counterAccount: 'sys:adjustments',
    });
    if (duplicate) return c.json({ entry, balanceMicros: entry.balanceAfterMicros, duplicate }, 200);
    await audit(c.env, actorOf(c), 'account.adjust', row.id, { amountMicros: input.amountMicros, reason: input.reason, seq: entry.seq });
    return c.json({ entry, balanceMicros: entry.balanceAfterMicros, duplicate }, 201);
  })
  .openapi(writeOff, async (c) => {
    // A negative balance (refunds or disputes after the credit was spent) is brought back to zero
    // at the operator's expense: a credit from sys:writeoff, journaled with its reason.
    const row = await existingAccount(c, c.req.valid('param').id);
    const { reason } = c.req.valid('json');
    const account = accountObject(c.env, row.id);
    const { balanceMicros } = await account.summary();
    if (balanceMicros >= 0) throw new ApiError({ code: 'conflict', message: 'The balance is not negative; there is nothing to write off.' });
    const { entry } = await account.postEntry({
      idempotencyKey: `writeoff:${row.id}:${newId('wo')}`,
      kind: 'writeoff',
      amountMicros: -balanceMicros,
      counterAccount: 'sys:writeoff',
      reason,
    });
    await audit(c.env, actorOf(c), 'account.write_off', row.id, { amountMicros: -balanceMicros, reason, seq: entry.seq });
    return c.json({ entry, balanceMicros: entry.balanceAfterMicros }, 201);
  })
  .openapi(setStatus, async (c) => {
    const row = await existingAccount(c, c.req.valid('param').id);
    const { status } = c.req.valid('json');
    const summary = await accountObject(c.env, row.id).setStatus(status);
    await c.env.DB.prepare('UPDATE accounts SET status = ? WHERE id = ?').bind(status, row.id).run();
    await audit(c.env, actorOf(c), `account.${status === 'suspended' ? 'suspend' : 'activate'}`, row.id, null);
    return c.json({ account: { ...balanceView(summary), name: row.name } }, 200);
  })
  .openapi(issueManagementKey, async (c) => {
    const row = await existingAccount(c, c.req.valid('param').id);
    const { key, secret } = await newManagementKey(c.env, row.id);
    return c.json({ managementKey: { id: key.id, prefix: key.prefix, secret } }, 201);
  })
  .openapi(revokeManagementKey, async (c) => {
    const { id, keyId } = c.req.valid('param');
    const row = await existingAccount(c, id);
    const account = accountObject(c.env, row.id);
    const key = await account.getKey(keyId);
    if (key?.kind !== 'management') throw new ApiError({ code: 'not_found', message: `No management key '${keyId}' in this account.` });
    const revoked = await account.revokeKey(key.id);
    await audit(c.env, actorOf(c), 'management_key.revoke', row.id, { keyId: key.id });
    return c.json({ key: keyView(revoked ?? key) }, 200);
  })
  .openapi(keys, async (c) => {
    const row = await existingAccount(c, c.req.valid('param').id);
    const list = await accountObject(c.env, row.id).listKeys();
    return c.json({ keys: list.map(keyView) }, 200);
  })
  .openapi(journal, async (c) => {
    const row = await existingAccount(c, c.req.valid('param').id);
    const query = c.req.valid('query');
    const entries = await accountObject(c.env, row.id).journal(query);
    return c.json({ entries, nextBefore: entries.length === query.limit ? entries[entries.length - 1].seq : null }, 200);
  });
