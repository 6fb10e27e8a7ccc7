/**
 * Attribution, rollups and archival (issue 13): every usage event carries its project, key,
 * member, model, end user and feature tags; the rollups the analytics read equal a recount of the
 * raw events whatever the outbox flush went through; archival moves old events to R2 exactly once
 * and changes no figure.
 */
import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import OpenAI from 'openai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { archiveUsage, listArchives, PAGE_EVENTS } from '../../worker/analytics/archive';
import { LATENCY_EDGES } from '../../worker/analytics/rollups';
import { flushOutbox } from '../../worker/durable-objects/account/outbox';
import type { Env } from '../../worker/env';
import { checkAccount } from '../../worker/payments/reconcile-ledger';
import { accountStub, ADMIN, call, callJson, createWorld, dispatch, drainAlarms, installOrigin, settled } from '../helpers';
import { invitedMember, signedInUser } from '../session';

const DAY_MS = 86_400_000;

afterEach(() => vi.restoreAllMocks());

/** Every rollup table recounted from the raw events of an organisation (or all, for the platform tables). */
async function recount(accountId: string) {
  const q = async (sql: string) => (await env.DB.prepare(sql).bind(accountId).all()).results;
  const M = `coalesce(nullif(u.model, ''), (SELECT name FROM services WHERE id = u.service_id), u.service_id)`;
  const E = `(u.status IN ('origin_error', 'origin_timeout', 'expired'))`;
  const sums = 'count(*) AS requests, sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens, sum(cost_micros) AS cost_micros';
  const rsums = 'sum(requests) AS requests, sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens, sum(cost_micros) AS cost_micros';
  return {
    detail: [
      await q(
        `SELECT created_at / 900000 AS slot, coalesce(project_id, '') AS project_id, key_id, ${M} AS model, ${sums}, sum(${E}) AS errors, sum(latency_ms) AS latency_ms
         FROM usage_events u WHERE account_id = ?1 GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
      ),
      await q(
        `SELECT slot, project_id, key_id, model, ${rsums}, sum(errors) AS errors, sum(latency_ms) AS latency_ms FROM usage_rollup WHERE account_id = ?1
         GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
      ),
    ],
    tags: [
      await q(
        `SELECT created_at / 900000 AS slot, j.key || '=' || j.value AS tag, ${sums} FROM usage_events u, json_each(u.tags) j
         WHERE account_id = ?1 AND u.tags IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2`,
      ),
      await q(`SELECT slot, tag, ${rsums} FROM usage_rollup_tags WHERE account_id = ?1 GROUP BY 1, 2 ORDER BY 1, 2`),
    ],
    endUsers: [
      await q(
        `SELECT created_at / 900000 AS slot, end_user, ${sums} FROM usage_events u WHERE account_id = ?1 AND end_user IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2`,
      ),
      await q(`SELECT slot, end_user, ${rsums} FROM usage_rollup_end_users WHERE account_id = ?1 GROUP BY 1, 2 ORDER BY 1, 2`),
    ],
    accounts: [
      await q(`SELECT created_at / 900000 AS slot, ${sums}, sum(${E}) AS errors FROM usage_events u WHERE account_id = ?1 GROUP BY 1 ORDER BY 1`),
      await q(`SELECT slot, ${rsums}, sum(errors) AS errors FROM usage_rollup_accounts WHERE account_id = ?1 GROUP BY 1 ORDER BY 1`),
    ],
    days: [
      await q(`SELECT created_at / 86400000 AS day, ${sums}, sum(${E}) AS errors FROM usage_events u WHERE account_id = ?1 GROUP BY 1 ORDER BY 1`),
      await q(`SELECT day, ${rsums}, sum(errors) AS errors FROM usage_rollup_days WHERE account_id = ?1 GROUP BY 1 ORDER BY 1`),
    ],
  };
}

function expectRollupsMatch(r: Awaited<ReturnType<typeof recount>>) {
  for (const [name, [events, rollup]] of Object.entries(r)) expect(rollup, name).toEqual(events);
}

async function platformRecount(model: string) {
  const events = await env.DB.prepare(
    `SELECT created_at / 900000 AS slot, count(*) AS requests, sum(cost_micros) AS cost_micros, sum(latency_ms) AS latency_ms FROM usage_events
     WHERE model = ?1 GROUP BY 1 ORDER BY 1`,
  )
    .bind(model)
    .all();
  const rollup = await env.DB.prepare('SELECT slot, requests, cost_micros, latency_ms FROM usage_rollup_models WHERE model = ?1 ORDER BY slot')
    .bind(model)
    .all();
  return [events.results, rollup.results];
}

describe('attribution', () => {
  it('records the project, member, end user and feature tags of every request, and forwards none of the tags', async () => {
    const origin = installOrigin();
    const world = await createWorld();
    const tagged = new OpenAI({
      apiKey: world.apiKey,
      baseURL: 'http://gateway.test/v1',
      maxRetries: 0,
      defaultHeaders: { 'x-gateway-tags': 'feature=rag, env=prod' },
      fetch: (url: RequestInfo | URL, init?: RequestInit) => dispatch(new Request(url, init)),
    });
    await tagged.chat.completions.create({
      model: world.model,
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 4,
      user: 'customer-42',
      metadata: { team: 'search', env: 'ignored-header-wins' },
    });
    await world.client.chat.completions.create({ model: world.model, messages: [{ role: 'user', content: 'plain' }], max_tokens: 4 });
    await settled(world.accountId);
    await drainAlarms(world.accountId);
    const rows = await env.DB.prepare('SELECT project_id, member_id, end_user, tags FROM usage_events WHERE account_id = ? ORDER BY created_at')
      .bind(world.accountId)
      .all<{ project_id: string; member_id: string | null; end_user: string | null; tags: string | null }>();
    expect(rows.results).toHaveLength(2);
    expect(rows.results[0]).toMatchObject({ project_id: 'proj_default', member_id: null, end_user: 'customer-42' });
    expect(JSON.parse(rows.results[0].tags as string)).toEqual({ feature: 'rag', env: 'prod', team: 'search' });
    expect(rows.results[1]).toMatchObject({ end_user: null, tags: null });
    // The origin saw neither the header nor the metadata.
    expect(origin.upstream).toHaveLength(2);
    for (const u of origin.upstream) {
      expect(u.headers.get('x-gateway-tags')).toBeNull();
      expect(u.body.metadata).toBeUndefined();
    }
    const page = await callJson(`/api/account/usage?tag=${encodeURIComponent('feature=rag')}`, { auth: `Bearer ${world.managementKey}`, expect: 200 });
    expect(page.data).toHaveLength(1);
    expect(page.data[0]).toMatchObject({ endUser: 'customer-42', tags: { feature: 'rag', env: 'prod', team: 'search' } });
    const byUser = await callJson('/api/account/usage?endUser=customer-42', { auth: `Bearer ${world.managementKey}`, expect: 200 });
    expect(byUser.totals.requests).toBe(1);
    const csv = await (await call('/api/account/usage.csv', { auth: `Bearer ${world.managementKey}` })).text();
    const [header, ...lines] = csv.trim().split(/\r?\n/);
    expect(header.split(',').slice(-4)).toEqual(['project_id', 'member_id', 'end_user', 'tags']);
    expect(lines.some((l) => l.endsWith(',customer-42,feature=rag;env=prod;team=search'))).toBe(true);
  });

  it('forwards the tags to the origin only for a service configured to pass them, percent-encoded and never the metadata', async () => {
    const origin = installOrigin();
    const world = await createWorld({ serviceDefaults: { forwardTags: true } });
    const service = await callJson(`/api/admin/services/${world.serviceId}`, { auth: ADMIN, expect: 200 });
    expect(service.service.forwardTags).toBe(true);
    await call('/v1/chat/completions', {
      method: 'POST',
      auth: `Bearer ${world.apiKey}`,
      headers: { 'x-gateway-tags': 'feature=rag' },
      json: { model: world.model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 4, metadata: { team: 'search & rescue, west' } },
    });
    await world.client.chat.completions.create({ model: world.model, messages: [{ role: 'user', content: 'plain' }], max_tokens: 4 });
    expect(origin.upstream).toHaveLength(2);
    const [tagged, plain] = origin.upstream;
    expect(tagged.headers.get('x-gateway-tags')).toBe('feature=rag,team=search%20%26%20rescue%2C%20west');
    expect(tagged.body.metadata).toBeUndefined();
    expect(plain.headers.get('x-gateway-tags')).toBeNull();
    // Off by default, and can be switched off again.
    await callJson(`/api/admin/services/${world.serviceId}`, { method: 'PATCH', auth: ADMIN, json: { forwardTags: false }, expect: 200 });
  });

  it('refuses bad tags with a 400 that names them, charging nothing', async () => {
    const origin = installOrigin();
    const world = await createWorld();
    const before = (await accountStub(world.accountId).summary()).balanceMicros;
    const cases: Array<[Record<string, string>, Record<string, unknown>, RegExp]> = [
      [{ 'x-gateway-tags': 'feature' }, {}, /'feature' in x-gateway-tags is not name=value/],
      [{ 'x-gateway-tags': 'bad name=x' }, {}, /tag name 'bad name'/],
      [{ 'x-gateway-tags': `feature=${'v'.repeat(65)}` }, {}, /value of tag 'feature'/],
      [{ 'x-gateway-tags': 'a=1,a=2' }, {}, /'a' appears twice/],
      [{ 'x-gateway-tags': Array.from({ length: 9 }, (_, i) => `t${i}=x`).join(',') }, {}, /at most 8 tags/],
      [
        { 'x-gateway-tags': Array.from({ length: 8 }, (_, i) => `h${i}=x`).join(',') },
        { metadata: Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`m${i}`, 'y'])) },
        /at most 16 tags/,
      ],
      [{}, { metadata: { feature: 7 } }, /metadata\.feature/],
    ];
    for (const [headers, extra, message] of cases) {
      const res = await call('/v1/chat/completions', {
        method: 'POST',
        auth: `Bearer ${world.apiKey}`,
        headers,
        json: { model: world.model, messages: [{ role: 'user', content: 'x' }], max_tokens: 4, ...extra },
      });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { message: string; param: string } };
      expect(body.error.message).toMatch(message);
      expect(body.error.param).toMatch(/^(x-gateway-tags|metadata)/);
    }
    // Endpoints whose bodies carry no metadata in OpenAI's API get the same bounds on it.
    const embeddings = await call('/v1/embeddings', {
      method: 'POST',
      auth: `Bearer ${world.apiKey}`,
      json: { model: world.model, input: 'x', metadata: { feature: 'v'.repeat(513) } },
    });
    expect(embeddings.status).toBe(400);
    expect(((await embeddings.json()) as { error: { param: string } }).error.param).toBe('metadata');
    expect(origin.upstream).toHaveLength(0);
    expect((await accountStub(world.accountId).summary()).balanceMicros).toBe(before);
  });
});

describe('rollups', () => {
  it('equal a recount of the raw events after random flush failures and retries', async () => {
    installOrigin();
    const world = await createWorld();
    const second = await callJson('/api/account/keys', { method: 'POST', auth: `Bearer ${world.managementKey}`, expect: 201, json: { name: 'second' } });
    const clients = [
      world.client,
      new OpenAI({
        apiKey: second.secret,
        baseURL: 'http://gateway.test/v1',
        maxRetries: 0,
        fetch: (u: RequestInfo | URL, i?: RequestInit) => dispatch(new Request(u, i)),
      }),
    ];
    for (let i = 0; i < 24; i++) {
      const client = clients[i % 2];
      await client.chat.completions.create(
        {
          model: world.model,
          messages: [{ role: 'user', content: `q ${i} ${'x'.repeat(i)}` }],
          max_tokens: 2 + (i % 5),
          user: i % 3 ? `user-${i % 4}` : undefined,
        },
        { headers: i % 4 === 0 ? {} : { 'x-gateway-tags': `feature=f${i % 3}${i % 2 ? ',env=prod' : ''}` } },
      );
    }
    await settled(world.accountId);
    // Flush through a D1 that, at random, commits a prefix of the batch and fails, or commits it
    // all and loses the answer; retry until the outbox is empty.
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const flaky = {
      prepare: (q: string) => env.DB.prepare(q),
      batch: async (statements: D1PreparedStatement[]) => {
        const r = random();
        if (r < 0.4) {
          await env.DB.batch(statements.slice(0, Math.floor(random() * statements.length)));
          throw new Error('D1 failed half-way');
        }
        const out = await env.DB.batch(statements);
        if (r < 0.7) throw new Error('the answer was lost');
        return out;
      },
    } as unknown as D1Database;
    await runInDurableObject(accountStub(world.accountId), async (_instance, state) => {
      let failures = 0;
      for (let round = 0; round < 200; round++) {
        if (state.storage.sql.exec('SELECT COUNT(*) AS n FROM outbox').one().n === 0) break;
        await flushOutbox(state.storage.sql, flaky).catch(() => failures++);
      }
      expect(failures).toBeGreaterThan(0);
      expect(state.storage.sql.exec('SELECT COUNT(*) AS n FROM outbox').one().n).toBe(0);
    });
    const events = await env.DB.prepare('SELECT COUNT(*) AS n FROM usage_events WHERE account_id = ?').bind(world.accountId).first<{ n: number }>();
    expect(events?.n).toBe(24);
    expectRollupsMatch(await recount(world.accountId));
    const [platformEvents, platformRollup] = await platformRecount(world.model);
    expect(platformRollup).toEqual(platformEvents);
    // The latency histogram holds each event once, in the bucket the edges put it in.
    const hist = await env.DB.prepare('SELECT le_ms, n FROM usage_latency WHERE model = ?1 AND n > 0 ORDER BY le_ms')
      .bind(world.model)
      .all<{ le_ms: number; n: number }>();
    const latencies = await env.DB.prepare('SELECT latency_ms FROM usage_events WHERE model = ?1').bind(world.model).all<{ latency_ms: number }>();
    const expected = new Map<number, number>();
    for (const { latency_ms } of latencies.results) {
      const le = LATENCY_EDGES.find((edge) => latency_ms <= edge) as number;
      expected.set(le, (expected.get(le) ?? 0) + 1);
    }
    expect(hist.results).toEqual([...expected].sort((a, b) => a[0] - b[0]).map(([le_ms, n]) => ({ le_ms, n })));
  });

  it('follow a late correction of an event by the difference, and bin latencies at every edge', async () => {
    const accountId = `acct_rollup_${Math.random().toString(36).slice(2)}`;
    const model = `rollup-model-${Math.random().toString(36).slice(2)}`;
    const at = Date.parse('2025-03-01T10:07:00Z');
    const insert = env.DB.prepare(
      `INSERT OR IGNORE INTO usage_events (id, account_id, key_id, project_id, service_id, model, endpoint, input_tokens, output_tokens, cost_micros,
         price_version, latency_ms, ttft_ms, status, estimated, created_at, member_id, end_user, tags)
       VALUES (?1, ?2, 'k1', 'p1', 'svc', ?3, 'chat', 10, 20, ?4, 1, ?5, NULL, ?6, 0, ?7, NULL, ?8, ?9)`,
    );
    const edges = LATENCY_EDGES.slice(0, 20);
    await env.DB.batch(
      edges.flatMap((edge, i) => [
        insert.bind(`e${i}a-${accountId}`, accountId, model, 100 + i, edge, 'ok', at + i, `u${i % 3}`, JSON.stringify({ f: `x${i % 2}` })),
        insert.bind(`e${i}b-${accountId}`, accountId, model, 100, edge + 1, 'expired', at + i, null, null),
      ]),
    );
    // A late settle corrects an expired event: new tokens, cost, status and latency.
    await env.DB.prepare(
      'UPDATE usage_events SET input_tokens = 3, output_tokens = 4, cost_micros = 7, status = ?1, estimated = 1, latency_ms = 9000, ttft_ms = 5 WHERE id = ?2',
    )
      .bind('ok', `e3b-${accountId}`)
      .run();
    expectRollupsMatch(await recount(accountId));
    const hist = await env.DB.prepare('SELECT le_ms, n FROM usage_latency WHERE model = ?1 AND n > 0 ORDER BY le_ms')
      .bind(model)
      .all<{ le_ms: number; n: number }>();
    const latencies = await env.DB.prepare('SELECT latency_ms FROM usage_events WHERE model = ?1').bind(model).all<{ latency_ms: number }>();
    const expected = new Map<number, number>();
    for (const { latency_ms } of latencies.results) {
      const le = LATENCY_EDGES.find((edge) => latency_ms <= edge) as number;
      expected.set(le, (expected.get(le) ?? 0) + 1);
    }
    expect(hist.results).toEqual([...expected].sort((a, b) => a[0] - b[0]).map(([le_ms, n]) => ({ le_ms, n })));
  });
});

describe('analytics views from rollups', () => {
  it('attribute cost to projects, members, end users and feature tags, filter by tag, and trend month over month', async () => {
    installOrigin();
    const owner = await signedInUser('rollup-owner');
    const accountId = owner.me.account.id as string;
    const { service } = await callJson('/api/admin/services', {
      method: 'POST',
      auth: ADMIN,
      expect: 201,
      json: {
        name: `rollup-llm-${Math.random().toString(36).slice(2, 8)}`,
        endpoints: ['chat'],
        originBaseUrl: 'http://origin.test/v1',
        originModel: 'demo-llm',
        originCredentialSecret: 'ORIGIN_TEST_KEY',
        maxOutputTokens: 64,
        prices: { inputMicrosPer1M: 1_000_000, outputMicrosPer1M: 2_000_000, requestMicros: 10 },
      },
    });
    await callJson(`/api/admin/accounts/${accountId}/adjustments`, {
      method: 'POST',
      auth: ADMIN,
      expect: 201,
      json: { amountMicros: 10_000_000, reason: 'test' },
    });
    const { project } = await owner.browser.json('/api/account/projects', { method: 'POST', json: { name: 'Search' }, csrf: true, expect: 201 });
    const dev = await invitedMember(owner.browser, 'developer', [project.id]);
    const ownerKey = await owner.browser.json('/api/account/keys', { method: 'POST', json: { name: 'owner key' }, csrf: true, expect: 201 });
    const devKey = await dev.browser.json('/api/account/keys', { method: 'POST', json: { name: 'dev key', projectId: project.id }, csrf: true, expect: 201 });
    const client = (secret: string, tags?: string) =>
      new OpenAI({
        apiKey: secret,
        baseURL: 'http://gateway.test/v1',
        maxRetries: 0,
        ...(tags ? { defaultHeaders: { 'x-gateway-tags': tags } } : {}),
        fetch: (u: RequestInfo | URL, i?: RequestInit) => dispatch(new Request(u, i)),
      });
    for (let i = 0; i < 3; i++)
      await client(ownerKey.secret, 'feature=chat').chat.completions.create({
        model: service.name,
        messages: [{ role: 'user', content: 'a' }],
        max_tokens: 8,
        user: 'alice',
      });
    for (let i = 0; i < 2; i++)
      await client(devKey.secret, 'feature=rag').chat.completions.create({
        model: service.name,
        messages: [{ role: 'user', content: 'b' }],
        max_tokens: 8,
        user: 'bob',
      });
    await settled(accountId);
    await drainAlarms(accountId);
    const events = await env.DB.prepare('SELECT key_id, project_id, member_id, end_user, cost_micros FROM usage_events WHERE account_id = ?')
      .bind(accountId)
      .all<{ key_id: string; project_id: string; member_id: string; end_user: string; cost_micros: number }>();
    const sum = (f: (e: (typeof events.results)[number]) => boolean) => events.results.filter(f).reduce((a, e) => a + e.cost_micros, 0);
    const a = await owner.browser.json('/api/account/analytics?tz=UTC', { expect: 200 });
    expect(a.totals.requests).toBe(5);
    expect(a.totals.costMicros).toBe(sum(() => true));
    const projects = Object.fromEntries(a.byProject.map((p: any) => [p.projectId, p]));
    expect(projects[project.id]).toMatchObject({ name: 'Search', requests: 2, costMicros: sum((e) => e.project_id === project.id) });
    expect(projects.proj_default).toMatchObject({ requests: 3 });
    const members = Object.fromEntries(a.byMember.map((m: any) => [m.memberId, m]));
    expect(members[owner.me.user.id]).toMatchObject({ email: owner.email, requests: 3, costMicros: sum((e) => e.member_id === owner.me.user.id) });
    expect(members[dev.userId]).toMatchObject({ email: dev.email, requests: 2 });
    expect(a.byEndUser.map((u: any) => [u.endUser, u.requests])).toEqual(
      [
        ['alice', 3, sum((e) => e.end_user === 'alice')],
        ['bob', 2, sum((e) => e.end_user === 'bob')],
      ]
        .sort((x, y) => (y[2] as number) - (x[2] as number))
        .map(([u, n]) => [u, n]),
    );
    expect(a.byTag.map((t: any) => [t.tag, t.name, t.value, t.requests]).sort()).toEqual([
      ['feature=chat', 'feature', 'chat', 3],
      ['feature=rag', 'feature', 'rag', 2],
    ]);
    const model = a.byModel[0];
    expect(model.costPerRequestMicros).toBe(Math.ceil(model.costMicros / model.requests));
    expect(a.monthOverMonth.thisMonth).toEqual(a.month);
    expect(a.monthOverMonth.lastMonth).toEqual({ requests: 0, costMicros: 0 });
    expect(a.monthOverMonth.changePercent).toBeNull();
    // A tag filter narrows every figure to the requests carrying the tag.
    const rag = await owner.browser.json(`/api/account/analytics?tz=UTC&tag=${encodeURIComponent('feature=rag')}`, { expect: 200 });
    expect(rag.totals).toMatchObject({ requests: 2, costMicros: sum((e) => e.project_id === project.id) });
    expect(rag.byKey.map((k: any) => k.keyId)).toEqual([devKey.key.id]);
    expect(rag.byEndUser).toEqual([]);
    // The developer sees their project only.
    const mine = await dev.browser.json('/api/account/analytics?tz=UTC', { expect: 200 });
    expect(mine.totals.requests).toBe(2);
    expect(mine.byProject.map((p: any) => p.projectId)).toEqual([project.id]);
    expect(mine.byEndUser.map((u: any) => u.endUser)).toEqual(['bob']);
    expect(mine.byTag.map((t: any) => t.tag)).toEqual(['feature=rag']);
  });

  it('compares this month with the same days of last month', async () => {
    const world = await createWorld();
    const now = Date.now();
    const d = new Date(now);
    const thisStart = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    const lastStart = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1);
    const elapsed = now - thisStart;
    const insert = env.DB.prepare(
      `INSERT INTO usage_events (id, account_id, key_id, project_id, service_id, model, endpoint, input_tokens, output_tokens, cost_micros,
         price_version, latency_ms, ttft_ms, status, estimated, created_at) VALUES (?1, ?2, 'k', 'p', 's', 'm', 'chat', 1, 1, ?3, 1, 5, NULL, 'ok', 0, ?4)`,
    );
    // One event this month, one at the start of last month, one later in last month than now is in this one.
    const lateInLast = lastStart + elapsed + 2 * 3_600_000;
    await env.DB.batch([
      insert.bind(`${world.accountId}-1`, world.accountId, 300, thisStart),
      insert.bind(`${world.accountId}-2`, world.accountId, 200, lastStart),
      ...(lateInLast < thisStart ? [insert.bind(`${world.accountId}-3`, world.accountId, 1000, lateInLast)] : []),
    ]);
    const a = await callJson('/api/account/analytics?tz=UTC', { auth: `Bearer ${world.managementKey}`, expect: 200 });
    expect(a.monthOverMonth.thisMonth).toEqual({ requests: 1, costMicros: 300 });
    expect(a.monthOverMonth.lastMonthToDate).toEqual({ requests: 1, costMicros: 200 });
    expect(a.monthOverMonth.lastMonth.costMicros).toBe(lateInLast < thisStart ? 1200 : 200);
    expect(a.monthOverMonth.changePercent).toBe(50);
    const admin = await callJson('/api/admin/analytics?tz=UTC', { auth: ADMIN, expect: 200 });
    expect(admin.monthOverMonth.thisMonth.costMicros).toBeGreaterThanOrEqual(300);
  });
});

describe("daily rollups in the organisation's zone", () => {
  it('answer a view in whole local days exactly as the 15-minute rollups do, corrected by them in another zone, and give way to them across a zone change', async () => {
    installOrigin();
    const world = await createWorld();
    const auth = `Bearer ${world.managementKey}`;
    await callJson('/api/account/calendar', { method: 'PUT', auth, expect: 200, json: { timezone: 'Asia/Kolkata' } });
    for (let i = 0; i < 5; i++)
      await world.client.chat.completions.create(
        { model: world.model, messages: [{ role: 'user', content: `d ${i}` }], max_tokens: 3 + i, user: `c${i % 2}` },
        { headers: { 'x-gateway-tags': `feature=f${i % 3}` } },
      );
    await settled(world.accountId);
    await drainAlarms(world.accountId);
    const rows = await env.DB.prepare('SELECT DISTINCT tz FROM usage_rollup_local_days WHERE account_id = ?').bind(world.accountId).all<{ tz: string }>();
    // The zone as the runtime names it (ICU may canonicalise Asia/Kolkata as Asia/Calcutta).
    const india = new Intl.DateTimeFormat('en-US', { timeZone: 'Asia/Kolkata' }).resolvedOptions().timeZone;
    expect(rows.results.map((r) => r.tz)).toEqual([india]);
    // Local midnight in India three days ago: a view in whole local days.
    const now = Date.now();
    const dayMs = 86_400_000;
    const ist = 5.5 * 3_600_000;
    const midnight = Math.floor((now + ist) / dayMs) * dayMs - ist - 3 * dayMs;
    const view = (from: number, tz: string) =>
      callJson(`/api/account/analytics?tz=${encodeURIComponent(tz)}&from=${new Date(from).toISOString()}`, { auth, expect: 200 });
    const daily = await view(midnight, 'Asia/Kolkata');
    expect(daily.resolution).toBe('day');
    // One minute later the first day is partial: the days corrected by 15-minute slots answer, with the same figures.
    const fine = await view(midnight + 60_000, 'Asia/Kolkata');
    expect(fine.resolution).toBe('day+15m');
    for (const field of ['totals', 'series', 'byKey', 'byModel', 'byProject', 'byMember', 'byTag', 'byEndUser', 'today', 'month']) {
      expect(daily[field], field).toEqual(fine[field]);
    }
    expect(daily.totals.requests).toBe(5);
    // In another zone the days were not counted in it: India's days, corrected at each end, answer.
    const utcMidnight = Math.floor(now / dayMs) * dayMs - 3 * dayMs;
    const utc = await view(utcMidnight, 'UTC');
    expect(utc.resolution).toBe('day+15m');
    expect(utc.totals).toEqual(daily.totals);
    // After a zone change, a range spanning it is answered from the 15-minute rollups, and new
    // days count in the new zone.
    await callJson('/api/account/calendar', { method: 'PUT', auth, expect: 200, json: { timezone: 'UTC' } });
    await world.client.chat.completions.create({ model: world.model, messages: [{ role: 'user', content: 'after' }], max_tokens: 3 });
    await settled(world.accountId);
    await drainAlarms(world.accountId);
    const zones = await env.DB.prepare('SELECT DISTINCT tz FROM usage_rollup_local_days WHERE account_id = ? ORDER BY tz')
      .bind(world.accountId)
      .all<{ tz: string }>();
    expect(zones.results.map((r) => r.tz)).toEqual([india, 'UTC']);
    const spanning = await view(midnight, 'Asia/Kolkata');
    expect(spanning.resolution).toBe('15m');
    expect(spanning.totals.requests).toBe(6);
    const utcAfter = await view(utcMidnight, 'UTC');
    expect(utcAfter.resolution).toBe('15m');
    expect(utcAfter.totals.requests).toBe(6);
    expectRollupsMatch(await recount(world.accountId));
  });
});

describe('archival', () => {
  it('moves events past the retention window to R2 exactly once, and changes no figure', async () => {
    installOrigin();
    const world = await createWorld();
    for (let i = 0; i < 6; i++)
      await world.client.chat.completions.create(
        { model: world.model, messages: [{ role: 'user', content: `a ${i}` }], max_tokens: 4, user: `u${i % 2}` },
        { headers: { 'x-gateway-tags': `feature=f${i % 2}` } },
      );
    await settled(world.accountId);
    await drainAlarms(world.accountId);
    const auth = `Bearer ${world.managementKey}`;
    const before = await callJson('/api/account/analytics?tz=UTC', { auth, expect: 200 });
    const beforeRollups = await recount(world.accountId);
    const events = await env.DB.prepare('SELECT * FROM usage_events WHERE account_id = ? ORDER BY created_at, id')
      .bind(world.accountId)
      .all<Record<string, any>>();
    expect(events.results).toHaveLength(6);
    const later = Date.now() + 40 * DAY_MS;
    // A run that dies after writing to R2 (the D1 batch fails): nothing deleted, nothing recorded.
    const failing = { ...env, DB: { prepare: (q: string) => env.DB.prepare(q), batch: async () => Promise.reject(new Error('D1 down')) } } as unknown as Env;
    await expect(archiveUsage(failing, { now: later })).rejects.toThrow('D1 down');
    expect((await env.DB.prepare('SELECT COUNT(*) AS n FROM usage_events WHERE account_id = ?').bind(world.accountId).first<{ n: number }>())?.n).toBe(6);
    // The real run: the same object key, overwritten; then every old event is archived once.
    let run = await archiveUsage(env as unknown as Env, { now: later, maxObjects: 1000 });
    while (run.more) run = await archiveUsage(env as unknown as Env, { now: later, maxObjects: 1000 });
    const left = await env.DB.prepare('SELECT COUNT(*) AS n FROM usage_events WHERE account_id = ?').bind(world.accountId).first<{ n: number }>();
    expect(left?.n).toBe(0);
    const list = await callJson('/api/account/usage-archives', { auth, expect: 200 });
    expect(list.retentionDays).toBe(35);
    expect(list.nextCursor).toBeNull();
    expect((await call('/api/account/usage-archives?cursor=bogus', { auth })).status).toBe(400);
    expect(list.data.reduce((n: number, a: any) => n + a.events, 0)).toBe(6);
    const archived: Array<Record<string, any>> = [];
    for (const a of list.data) {
      const res = await call(`/api/account/usage-archives/download?key=${encodeURIComponent(a.key)}`, { auth });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/gzip');
      const text = await new Response(res.body?.pipeThrough(new DecompressionStream('gzip'))).text();
      archived.push(
        ...text
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l)),
      );
    }
    expect(archived.map((e) => e.id).sort()).toEqual(events.results.map((e) => e.id).sort());
    expect(archived.reduce((s, e) => s + e.costMicros, 0)).toBe(events.results.reduce((s, e) => s + e.cost_micros, 0));
    expect(archived.find((e) => e.id === events.results[0].id)).toMatchObject({ keyId: world.keyId, endUser: 'u0', tags: { feature: 'f0' } });
    // Every figure is unchanged: the analytics, the rollups, and reconciliation's usage check.
    const after = await callJson('/api/account/analytics?tz=UTC', { auth, expect: 200 });
    expect(after.totals).toEqual(before.totals);
    expect(after.byTag).toEqual(before.byTag);
    const afterRollups = await recount(world.accountId);
    for (const name of ['detail', 'tags', 'endUsers', 'accounts', 'days'] as const) expect(afterRollups[name][1]).toEqual(beforeRollups[name][1]);
    const problems: string[] = [];
    await checkAccount(env as unknown as Env, world.accountId, async (check, _id, _key, message) => {
      problems.push(`${check}: ${message}`);
    });
    expect(problems).toEqual([]);
    // Running again archives nothing more.
    expect(await archiveUsage(env as unknown as Env, { now: later })).toMatchObject({ objects: 0, events: 0 });
    // Another organisation cannot download it, a developer may not list it.
    const other = await createWorld();
    const stolen = await call(`/api/account/usage-archives/download?key=${encodeURIComponent(list.data[0].key)}`, { auth: `Bearer ${other.managementKey}` });
    expect(stolen.status).toBe(404);
    expect((await callJson('/api/account/usage-archives', { auth: `Bearer ${other.managementKey}`, expect: 200 })).data).toEqual([]);
  });

  it('skips a page an event arrived in meanwhile, deleting nothing unarchived, and pages big days', async () => {
    const accountId = `acct_arch_${Math.random().toString(36).slice(2)}`;
    const day = Date.parse('2024-01-15T00:00:00Z');
    const insert = env.DB.prepare(
      `INSERT INTO usage_events (id, account_id, key_id, project_id, service_id, model, endpoint, input_tokens, output_tokens, cost_micros,
         price_version, latency_ms, ttft_ms, status, estimated, created_at) VALUES (?1, ?2, 'k', 'p', 's', 'm', 'chat', 1, 1, 5, 1, 5, NULL, 'ok', 0, ?3)`,
    );
    const n = PAGE_EVENTS + 7;
    const statements = Array.from({ length: n }, (_, i) => insert.bind(`${accountId}-${String(i).padStart(6, '0')}`, accountId, day + i * 1000));
    for (let i = 0; i < statements.length; i += 500) await env.DB.batch(statements.slice(i, i + 500));
    // A D1 whose first archive page gains an event between the read and the delete.
    let raced = false;
    const racing = {
      ...env,
      DB: {
        prepare: (q: string) => env.DB.prepare(q),
        batch: async (s: D1PreparedStatement[]) => {
          if (!raced) {
            raced = true;
            await insert.bind(`${accountId}-late`, accountId, day + 500).run();
          }
          return env.DB.batch(s);
        },
      },
    } as unknown as Env;
    const first = await archiveUsage(racing, { now: day + 60 * DAY_MS, maxObjects: 1 });
    expect(first).toMatchObject({ objects: 0, raced: 1 });
    const count = async () => (await env.DB.prepare('SELECT COUNT(*) AS n FROM usage_events WHERE account_id = ?').bind(accountId).first<{ n: number }>())?.n;
    expect(await count()).toBe(n + 1);
    let run = await archiveUsage(env as unknown as Env, { now: day + 60 * DAY_MS, maxObjects: 10 });
    while (run.more) run = await archiveUsage(env as unknown as Env, { now: day + 60 * DAY_MS, maxObjects: 10 });
    expect(await count()).toBe(0);
    const index = await env.DB.prepare('SELECT object_key, events FROM usage_archives WHERE account_id = ? ORDER BY first_at')
      .bind(accountId)
      .all<{ object_key: string; events: number }>();
    expect(index.results.map((r) => r.events)).toEqual([PAGE_EVENTS, 8]);
    // Paging within one day: a cursor after the first object reaches the second.
    const [newest] = await listArchives(env.DB, accountId, 1);
    const rest = await listArchives(env.DB, accountId, 10, { after: { day: newest.day, firstAt: newest.first_at, key: newest.object_key } });
    expect([newest, ...rest].map((r) => r.object_key).sort()).toEqual(index.results.map((r) => r.object_key).sort());
    expect(rest).toHaveLength(1);
    let total = 0;
    for (const r of index.results) {
      const object = await env.ARCHIVE.get(r.object_key);
      const text = await new Response(object?.body.pipeThrough(new DecompressionStream('gzip'))).text();
      total += text.trim().split('\n').length;
    }
    expect(total).toBe(n + 1);
    const days = await env.DB.prepare('SELECT requests FROM usage_rollup_days WHERE account_id = ?').bind(accountId).first<{ requests: number }>();
    expect(days?.requests).toBe(n + 1);
  });
});
