import { afterEach, describe, expect, it, vi } from 'vitest';
import { ADMIN, call, callJson, createWorld, drainAlarms, installOrigin } from '../helpers';

afterEach(() => vi.restoreAllMocks());

describe('admin: accounts and credit', () => {
  it('credits and debits with a reason, journaled, idempotent by key', async () => {
    const { account, managementKey } = await callJson('/api/admin/accounts', { method: 'POST', auth: ADMIN, json: { name: 'Acme' }, expect: 201 });
    expect(managementKey.secret).toMatch(/^mk-gw-/);
    const credit = { amountMicros: 5_000_000, reason: 'welcome credit', idempotencyKey: 'welcome-1' };
    const first = await callJson(`/api/admin/accounts/${account.id}/adjustments`, { method: 'POST', auth: ADMIN, json: credit, expect: 201 });
    const again = await callJson(`/api/admin/accounts/${account.id}/adjustments`, { method: 'POST', auth: ADMIN, json: credit, expect: 200 });
    expect(again).toMatchObject({ duplicate: true, balanceMicros: 5_000_000 });
    expect(first.entry.seq).toBe(again.entry.seq);
    await callJson(`/api/admin/accounts/${account.id}/adjustments`, {
      method: 'POST',
      auth: ADMIN,
      json: { amountMicros: -1_250_000, reason: 'goodwill reversal' },
      expect: 201,
    });
    const mine = await callJson('/api/account', { auth: `Bearer ${managementKey.secret}`, expect: 200 });
    expect(mine.account).toMatchObject({ id: account.id, name: 'Acme', balanceMicros: 3_750_000, balanceUsd: '3.750000', availableMicros: 3_750_000 });
    const journal = await callJson('/api/account/journal', { auth: `Bearer ${managementKey.secret}`, expect: 200 });
    expect(journal.entries.map((e: any) => [e.kind, e.amountMicros, e.balanceAfterMicros, e.reason])).toEqual([
      ['debit', -1_250_000, 3_750_000, 'goodwill reversal'],
      ['credit', 5_000_000, 5_000_000, 'welcome credit'],
    ]);
  });

  it('requires a reason and a non-zero integer amount', async () => {
    const { account } = await callJson('/api/admin/accounts', { method: 'POST', auth: ADMIN, json: { name: 'B' }, expect: 201 });
    for (const json of [{ amountMicros: 10 }, { amountMicros: 0, reason: 'zero' }, { amountMicros: 1.5, reason: 'float money' }]) {
      const res = await call(`/api/admin/accounts/${account.id}/adjustments`, { method: 'POST', auth: ADMIN, json });
      expect(res.status).toBe(400);
      expect(((await res.json()) as any).error.code).toBe('invalid_request');
    }
    expect(
      (await call('/api/admin/accounts/acct_missing/adjustments', { method: 'POST', auth: ADMIN, json: { amountMicros: 1, reason: 'nope' } })).status,
    ).toBe(404);
  });
});

describe('admin: services and price versions', () => {
  it('adds a price version on a price change; the next request is charged at it', async () => {
    installOrigin();
    const world = await createWorld({ prices: { inputMicrosPer1M: 1_000_000, outputMicrosPer1M: 1_000_000, requestMicros: 0 } });
    const send = () => world.client.chat.completions.create({ model: world.model, messages: [{ role: 'user', content: 'a b' }], max_tokens: 4 }).withResponse();
    const before = await send();
    expect(before.response.headers.get('x-gateway-price-version')).toBe('1');
    const { service } = await callJson(`/api/admin/services/${world.serviceId}`, {
      method: 'PATCH',
      auth: ADMIN,
      json: { prices: { inputMicrosPer1M: 1_000_000, outputMicrosPer1M: 50_000_000, requestMicros: 100 } },
      expect: 200,
    });
    expect(service.priceVersion).toBe(2);
    expect(service.priceHistory.map((p: any) => [p.version, p.outputMicrosPer1M])).toEqual([
      [1, 1_000_000],
      [2, 50_000_000],
    ]);
    const after = await send();
    expect(after.response.headers.get('x-gateway-price-version')).toBe('2');
    // 8 input (2 words + 3 per message + 3) + 4 output tokens: 8 + 4 × 50 + 100 µUSD.
    expect(Number(after.response.headers.get('x-gateway-cost-micros'))).toBe(8 + 200 + 100);
    const noPriceChange = await callJson(`/api/admin/services/${world.serviceId}`, {
      method: 'PATCH',
      auth: ADMIN,
      json: { maxOutputTokens: 128 },
      expect: 200,
    });
    expect(noPriceChange.service.priceVersion).toBe(2);
  });

  it('validates services and refuses duplicates', async () => {
    const base = {
      name: 'dup-model',
      endpoints: ['chat'],
      originBaseUrl: 'http://origin.test/v1',
      maxOutputTokens: 10,
      prices: { inputMicrosPer1M: 1, outputMicrosPer1M: 1 },
    };
    await callJson('/api/admin/services', { method: 'POST', auth: ADMIN, json: base, expect: 201 });
    expect((await call('/api/admin/services', { method: 'POST', auth: ADMIN, json: base })).status).toBe(409);
    const bad = await call('/api/admin/services', { method: 'POST', auth: ADMIN, json: { ...base, name: 'x', originBaseUrl: 'ftp://nope' } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.param).toBe('originBaseUrl');
    const badSecret = await call('/api/admin/services', { method: 'POST', auth: ADMIN, json: { ...base, name: 'y', originCredentialSecret: 'lower-case' } });
    expect(badSecret.status).toBe(400);
    const floatPrice = await call('/api/admin/services', {
      method: 'POST',
      auth: ADMIN,
      json: { ...base, name: 'z', prices: { inputMicrosPer1M: 0.5, outputMicrosPer1M: 1 } },
    });
    expect(floatPrice.status).toBe(400);
  });
});

describe('account: keys', () => {
  it('shows a secret once, then only prefix and last four', async () => {
    installOrigin();
    const world = await createWorld();
    const created = await callJson('/api/account/keys', {
      method: 'POST',
      auth: `Bearer ${world.managementKey}`,
      json: {
        name: 'ci',
        requestsPerMinute: 60,
        tokensPerMinute: { [world.model]: 1000 },
        maxConcurrent: 2,
        spendLimitMicros: 1_000_000,
        periodSpendLimitMicros: 100_000,
      },
      expect: 201,
    });
    expect(created.secret).toMatch(/^sk-gw-/);
    expect(created.key).toMatchObject({ prefix: created.secret.slice(0, 12), last4: created.secret.slice(-4), status: 'active' });
    expect(created.key.limits).toMatchObject({
      requestsPerMinute: 60,
      maxConcurrent: 2,
      spendLimitMicros: 1_000_000,
      periodSpendLimitMicros: 100_000,
      period: 'month',
    });
    const listed = await call('/api/account/keys', { auth: `Bearer ${world.managementKey}` });
    const text = await listed.text();
    expect(text).not.toContain(created.secret);
    expect(JSON.parse(text).keys).toHaveLength(2);
    const refused = await call('/api/account/keys', { method: 'POST', auth: `Bearer ${world.managementKey}`, json: { name: 'x', requestsPerMinute: -1 } });
    expect(refused.status).toBe(400);
    const unknownField = await call('/api/account/keys', { method: 'POST', auth: `Bearer ${world.managementKey}`, json: { name: 'x', rpm: 5 } });
    expect(unknownField.status).toBe(400);
  });

  it('reads usage with totals and filters once the outbox is flushed', async () => {
    installOrigin();
    const world = await createWorld();
    for (let i = 0; i < 3; i++) await world.client.chat.completions.create({ model: world.model, messages: [{ role: 'user', content: 'x' }], max_tokens: 3 });
    await drainAlarms(world.accountId);
    const usage = await callJson(`/api/account/usage?keyId=${world.keyId}&limit=2`, { auth: `Bearer ${world.managementKey}`, expect: 200 });
    expect(usage.data).toHaveLength(2);
    expect(usage.totals).toMatchObject({ requests: 3, outputTokens: 9 });
    expect(usage.nextCursor).toBeTruthy();
    const page2 = await callJson(`/api/account/usage?keyId=${world.keyId}&limit=2&cursor=${usage.nextCursor}`, {
      auth: `Bearer ${world.managementKey}`,
      expect: 200,
    });
    expect(page2.data).toHaveLength(1);
    expect(new Set([...usage.data, ...page2.data].map((e: any) => e.id)).size).toBe(3);
    const none = await callJson(`/api/account/usage?model=other`, { auth: `Bearer ${world.managementKey}`, expect: 200 });
    expect(none.totals.requests).toBe(0);
  });
});

describe('security matrix', () => {
  it('refuses every /api route without credentials, with the wrong kind of credential, and across tenants', async () => {
    installOrigin();
    const a = await createWorld();
    const b = await createWorld();
    await a.client.chat.completions.create({ model: a.model, messages: [{ role: 'user', content: 'x' }], max_tokens: 3 });
    await drainAlarms(a.accountId);

    const accountRoutes: Array<[string, string, unknown?]> = [
      ['GET', '/api/account'],
      ['GET', '/api/account/journal'],
      ['GET', '/api/account/usage'],
      ['GET', '/api/account/keys'],
      ['POST', '/api/account/keys', { name: 'x' }],
      ['GET', `/api/account/keys/${a.keyId}`],
      ['PATCH', `/api/account/keys/${a.keyId}`, { name: 'y' }],
      ['POST', `/api/account/keys/${a.keyId}/revoke`],
      ['DELETE', `/api/account/keys/${a.keyId}`],
      ['GET', '/api/account/billing'],
      ['PUT', '/api/account/billing/auto-recharge', { enabled: false, thresholdMicros: 0, amountCents: 500, monthlyCapCents: 500 }],
      ['POST', '/api/account/topups', { method: 'card', amountCents: 1000 }],
      ['GET', '/api/account/topups'],
      ['GET', '/api/account/topups/top_x'],
      ['GET', '/api/account/topups/top_x/receipt'],
      ['GET', '/api/account/transactions'],
      ['POST', '/api/account/promotions/redeem', { code: 'X' }],
    ];
    const adminRoutes: Array<[string, string, unknown?]> = [
      ['GET', '/api/admin/accounts'],
      ['POST', '/api/admin/accounts', { name: 'x' }],
      ['GET', `/api/admin/accounts/${a.accountId}`],
      ['POST', `/api/admin/accounts/${a.accountId}/adjustments`, { amountMicros: 1, reason: 'nope' }],
      ['POST', `/api/admin/accounts/${a.accountId}/write-off`, { reason: 'nope' }],
      ['POST', `/api/admin/accounts/${a.accountId}/status`, { status: 'suspended' }],
      ['POST', `/api/admin/accounts/${a.accountId}/management-keys`],
      ['POST', `/api/admin/accounts/${a.accountId}/management-keys/key_x/revoke`],
      ['GET', `/api/admin/accounts/${a.accountId}/keys`],
      ['GET', `/api/admin/accounts/${a.accountId}/journal`],
      ['GET', '/api/admin/services'],
      ['POST', '/api/admin/services', { name: 'x' }],
      ['GET', `/api/admin/services/${a.serviceId}`],
      ['PATCH', `/api/admin/services/${a.serviceId}`, { maxOutputTokens: 1 }],
      ['POST', '/api/admin/promotions', { code: 'SECURITY', amountMicros: 1, maxUses: 1 }],
      ['GET', '/api/admin/promotions'],
      ['GET', '/api/admin/reviews'],
      ['POST', '/api/admin/reviews/rev_x/resolve', { note: 'nope' }],
      ['POST', '/api/admin/reconcile'],
      ['GET', '/api/admin/topups'],
      ['GET', '/api/admin/audit'],
    ];
    for (const [method, path, json] of [...accountRoutes, ...adminRoutes]) {
      const none = await call(path, { method, json });
      expect(none.status, `${method} ${path} without credentials`).toBe(401);
      const inferenceKey = await call(path, { method, json, auth: `Bearer ${a.apiKey}` });
      expect([401, 403], `${method} ${path} with an inference key`).toContain(inferenceKey.status);
      const garbage = await call(path, { method, json, auth: 'Bearer mk-gw-forged' });
      expect([401, 403], `${method} ${path} with a forged key`).toContain(garbage.status);
    }
    for (const [method, path, json] of adminRoutes) {
      const tenant = await call(path, { method, json, auth: `Bearer ${a.managementKey}` });
      expect(tenant.status, `${method} ${path} as a non-admin`).toBe(403);
    }
    // B's management key cannot see or touch A's key by id.
    for (const [method, path, json] of accountRoutes.filter(([, p]) => p.includes(a.keyId))) {
      const cross = await call(path, { method, json, auth: `Bearer ${b.managementKey}` });
      expect(cross.status, `${method} ${path} as another tenant`).toBe(404);
    }
    const bKeys = await callJson('/api/account/keys', { auth: `Bearer ${b.managementKey}`, expect: 200 });
    expect(bKeys.keys.map((k: any) => k.id)).not.toContain(a.keyId);
    const bUsage = await callJson(`/api/account/usage?keyId=${a.keyId}`, { auth: `Bearer ${b.managementKey}`, expect: 200 });
    expect(bUsage.data).toEqual([]);
    // A's key still works: nothing B did touched it.
    expect((await a.client.chat.completions.create({ model: a.model, messages: [{ role: 'user', content: 'x' }], max_tokens: 3 })).choices).toHaveLength(1);
  });

  it('issues further management keys that act on the same account, and revokes them', async () => {
    const world = await createWorld();
    const { managementKey } = await callJson(`/api/admin/accounts/${world.accountId}/management-keys`, { method: 'POST', auth: ADMIN, expect: 201 });
    const mine = await callJson('/api/account', { auth: `Bearer ${managementKey.secret}`, expect: 200 });
    expect(mine.account.id).toBe(world.accountId);
    await callJson(`/api/admin/accounts/${world.accountId}/management-keys/${managementKey.id}/revoke`, { method: 'POST', auth: ADMIN, expect: 200 });
    expect((await call('/api/account', { auth: `Bearer ${managementKey.secret}` })).status).toBe(401);
    expect((await call('/api/account', { auth: `Bearer ${world.managementKey}` })).status).toBe(200);
    expect((await call(`/api/admin/accounts/${world.accountId}/management-keys/${world.keyId}/revoke`, { method: 'POST', auth: ADMIN })).status).toBe(404);
  });
});

describe('GET /api/openapi.json', () => {
  it('documents the management API', async () => {
    const doc = await callJson('/api/openapi.json', { expect: 200 });
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/account/keys', '/api/admin/services/{id}', '/api/admin/accounts/{id}/adjustments']));
    expect(doc.paths['/api/account/keys'].post.requestBody.content['application/json'].schema.properties).toHaveProperty('requestsPerMinute');
  });
});
