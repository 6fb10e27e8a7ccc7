/**
 * Monthly statements (issue 13, item 6): a statement's totals equal the journal's to the
 * micro-dollar, its usage lines sum to the usage total, its PDF and CSV say the same, the run is
 * idempotent (one row, two R2 objects, one mail), months follow the organisation's zone, and only
 * the organisation's billing members can see it. Time is passed in (`issueStatements(env, now)`):
 * entries are posted now, and the run is told it is the start of next month.
 */
import { env } from 'cloudflare:workers';
import OpenAI from 'openai';
import { PDFDocument } from 'pdf-lib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Env } from '../../worker/env';
import { LocalClock } from '../../worker/lib/local-clock';
import { buildStatement } from '../../worker/statements/build';
import { classify } from '../../worker/statements/classify';
import { periodSpan } from '../../worker/statements/period';
import { issueStatements } from '../../worker/statements/run';
import { ADMIN, accountStub, call, callJson, createWorld, dispatch, drainAlarms, settled } from '../helpers';
import { control, deliverStripe, installProviders } from '../payments';
import { invitedMember, signedInUser } from '../session';

afterEach(() => vi.restoreAllMocks());

const ZONE = 'America/Los_Angeles';
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

async function service(): Promise<string> {
  const { service } = await callJson('/api/admin/services', {
    method: 'POST',
    auth: ADMIN,
    expect: 201,
    json: {
      name: `stmt-llm-${Math.random().toString(36).slice(2, 8)}`,
      endpoints: ['chat'],
      originBaseUrl: 'http://origin.test/v1',
      originModel: 'demo-llm',
      originCredentialSecret: 'ORIGIN_TEST_KEY',
      maxOutputTokens: 64,
      prices: { inputMicrosPer1M: 1_000_000, outputMicrosPer1M: 2_000_000, requestMicros: 10 },
    },
  });
  return service.name as string;
}

const client = (secret: string) =>
  new OpenAI({
    apiKey: secret,
    baseURL: 'http://gateway.test/v1',
    maxRetries: 0,
    fetch: (u: RequestInfo | URL, i?: RequestInit) => dispatch(new Request(u, i)),
  });

/** An organisation in Los Angeles with a card top-up (partly refunded), an operator credit, and usage in two projects and two models. */
async function busyOrganisation() {
  const p = installProviders();
  const owner = await signedInUser('stmt-owner');
  const accountId = owner.me.account.id as string;
  const b = owner.browser;
  await b.json('/api/account/calendar', { method: 'PUT', json: { timezone: ZONE }, csrf: true, expect: 200 });
  const [m1, m2] = [await service(), await service()];
  const { project } = await b.json('/api/account/projects', { method: 'POST', json: { name: 'Search ☃' }, csrf: true, expect: 201 });
  const keyA = await b.json('/api/account/keys', { method: 'POST', json: { name: 'a' }, csrf: true, expect: 201 });
  const keyB = await b.json('/api/account/keys', { method: 'POST', json: { name: 'b', projectId: project.id }, csrf: true, expect: 201 });

  const card = await b.json('/api/account/topups', { method: 'POST', json: { method: 'card', amountCents: 2500 }, csrf: true, expect: 201 });
  const sessionId = new URL(card.checkoutUrl).pathname.split('/').pop() as string;
  const from = p.stripeEvents.length;
  await control(p.stripe, `/checkout/${sessionId}/pay`, { card: 'ok' });
  const intentId = p.stripe.state.sessions.get(sessionId)?.payment_intent as string;
  await control(p.stripe, `/__fake/charges/${p.stripe.state.paymentIntents.get(intentId)?.latest_charge}/refund`, { amount: 300 });
  for (const e of p.stripeEvents.slice(from)) expect((await deliverStripe(e)).status).toBe(200);
  await callJson(`/api/admin/accounts/${accountId}/adjustments`, {
    method: 'POST',
    auth: ADMIN,
    expect: 201,
    json: { amountMicros: 1_500_000, reason: 'goodwill' },
  });

  const ask = (secret: string, model: string) =>
    client(secret).chat.completions.create({ model, messages: [{ role: 'user', content: 'hello there' }], max_tokens: 8 });
  for (let i = 0; i < 2; i++) await ask(keyA.secret, m1);
  for (let i = 0; i < 2; i++) await ask(keyB.secret, m2);
  await ask(keyA.secret, m2);
  await settled(accountId);
  await drainAlarms(accountId);
  return { owner, accountId, project, m1, m2 };
}

/** The journal's own figures for everything posted so far (the object's journal, not D1). */
async function journalFigures(accountId: string) {
  const entries = await accountStub(accountId).journal({ limit: 500 });
  const of = (line: string) => entries.filter((e) => classify(e.kind).line === line).map((e) => e.amountMicros);
  return {
    openingMicros: 0,
    topUpsMicros: sum(of('top_up')),
    usageMicros: -sum(of('usage')),
    adjustmentsMicros: sum(of('adjustment')),
    closingMicros: (await accountStub(accountId).summary()).balanceMicros,
    kinds: [...new Set(entries.map((e) => e.kind))].sort(),
  };
}

/** The start of next month in the zone, plus a minute: the month just posted in has ended. */
function nextMonth(zone: string): { period: string; runAt: number } {
  const p = new LocalClock(zone).parts(Date.now());
  const period = `${p.year}-${String(p.month).padStart(2, '0')}`;
  return { period, runAt: periodSpan(zone, period).end + 60_000 };
}

describe('monthly statements', () => {
  it('equal the journal to the micro-dollar, in PDF and CSV, once, for billing members only', async () => {
    const { owner, accountId, project, m1, m2 } = await busyOrganisation();
    const journal = await journalFigures(accountId);
    expect(journal).toMatchObject({ topUpsMicros: 25_000_000, adjustmentsMicros: 1_500_000 - 3_000_000 });
    expect(journal.kinds).toEqual(['credit', 'refund', 'topup', 'usage']);
    expect(journal.usageMicros).toBeGreaterThan(0);
    const usageEvents = await env.DB.prepare('SELECT SUM(cost_micros) AS c FROM usage_events WHERE account_id = ?').bind(accountId).first<{ c: number }>();
    expect(journal.usageMicros).toBe(usageEvents?.c);

    const { period, runAt } = nextMonth(ZONE);
    // Before the month ends in Los Angeles nothing is issued.
    await issueStatements(env as unknown as Env, runAt - 120_000, { limit: 1000 });
    expect(await env.DB.prepare('SELECT COUNT(*) AS n FROM statements WHERE account_id = ?').bind(accountId).first('n')).toBe(0);

    const first = await issueStatements(env as unknown as Env, runAt, { limit: 1000 });
    expect(first.failed).toBe(0);
    await issueStatements(env as unknown as Env, runAt + 3_600_000, { limit: 1000 });
    const rows = await env.DB.prepare('SELECT * FROM statements WHERE account_id = ?').bind(accountId).all<Record<string, any>>();
    expect(rows.results).toHaveLength(1);
    const row = rows.results[0];
    expect(row).toMatchObject({
      period,
      time_zone: ZONE,
      opening_micros: journal.openingMicros,
      top_ups_micros: journal.topUpsMicros,
      usage_micros: journal.usageMicros,
      adjustments_micros: journal.adjustmentsMicros,
      closing_micros: journal.closingMicros,
    });
    expect(row.emailed_at).not.toBeNull();
    const objects = await env.ARCHIVE.list({ prefix: `statements/${accountId}/` });
    expect(objects.objects.map((o) => o.key).sort()).toEqual([`statements/${accountId}/${period}.csv`, `statements/${accountId}/${period}.pdf`]);
    const mails = await env.DB.prepare('SELECT text FROM mail_outbox WHERE "to" = ? AND subject = ?')
      .bind(owner.email.toLowerCase(), `Statement ${period}`)
      .all<{ text: string }>();
    expect(mails.results).toHaveLength(1);
    expect(mails.results[0].text).toContain('http://dashboard.test/statements');

    // The list, the PDF and the CSV, through the API.
    const list = await owner.browser.json('/api/account/statements', { expect: 200 });
    expect(list.data).toHaveLength(1);
    expect(list.data[0]).toMatchObject({ period, usageMicros: journal.usageMicros, closingMicros: journal.closingMicros });
    const pdf = await owner.browser.fetch(`/api/account/statements/${period}/pdf`);
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(pdf.headers.get('content-disposition')).toBe(`attachment; filename="statement-${period}.pdf"`);
    const bytes = new Uint8Array(await pdf.arrayBuffer());
    expect(new TextDecoder().decode(bytes.slice(0, 5))).toBe('%PDF-');
    expect((await PDFDocument.load(bytes)).getPageCount()).toBeGreaterThanOrEqual(1);
    const csvRes = await owner.browser.fetch(`/api/account/statements/${period}/csv`);
    expect(csvRes.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const lines = (await csvRes.text())
      .trim()
      .split('\r\n')
      .slice(1)
      .map((l) => l.split(','));
    const micros = (line: string) => lines.filter((l) => l[0] === line).map((l) => Number(l[l.length - 1]));
    expect(micros('opening')).toEqual([0]);
    expect(micros('top_ups')).toEqual([journal.topUpsMicros]);
    expect(micros('usage_total')).toEqual([-journal.usageMicros]);
    expect(micros('adjustments_total')).toEqual([journal.adjustmentsMicros]);
    expect(micros('closing')).toEqual([journal.closingMicros]);
    // Usage by project and model: three lines (everything settled inside the month), summing to the usage total.
    const usage = lines.filter((l) => l[0] === 'usage');
    expect(usage.map((l) => `${l[3]}|${l[4]}|${l[5]}`).sort()).toEqual([`Default project|${m1}|2`, `Default project|${m2}|1`, `Search ☃|${m2}|2`].sort());
    expect(sum(micros('usage'))).toBe(-journal.usageMicros);
    const built = await buildStatement(env.DB, { accountId, accountName: 'x', timeZone: ZONE, period, projectNames: new Map([[project.id, 'Search']]) });
    if (!built.ok) throw new Error(built.message);
    expect(sum(built.statement.usage.map((u) => u.costMicros)) + built.statement.unattributedUsageMicros).toBe(journal.usageMicros);
    expect(built.statement.unattributedUsageMicros).toBe(0);

    // Another organisation sees none of it; a viewer or developer may not.
    const other = await createWorld();
    expect((await callJson('/api/account/statements', { auth: `Bearer ${other.managementKey}`, expect: 200 })).data).toEqual([]);
    expect((await call(`/api/account/statements/${period}/pdf`, { auth: `Bearer ${other.managementKey}` })).status).toBe(404);
    expect((await call(`/api/account/statements/${period}/csv`, { auth: `Bearer ${other.managementKey}` })).status).toBe(404);
    for (const role of ['viewer', 'developer'] as const) {
      const member = await invitedMember(owner.browser, role, role === 'developer' ? [project.id] : []);
      expect((await member.browser.fetch('/api/account/statements')).status).toBe(403);
      expect((await member.browser.fetch(`/api/account/statements/${period}/pdf`)).status).toBe(403);
    }
    expect((await owner.browser.fetch('/api/account/statements/2026-13/pdf')).status).toBe(400);
  });
});

describe('statement months from the journal mirror', () => {
  const insert = (accountId: string, seq: number, kind: string, amount: number, balance: number, at: string) =>
    env.DB.prepare(
      'INSERT INTO journal_entries (account_id, seq, idempotency_key, kind, amount_micros, balance_after_micros, ref, reason, created_at) VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, ?)',
    ).bind(accountId, seq, `k${seq}`, kind, amount, balance, Date.parse(at));
  const rollup = (accountId: string, day: string, cost: number) =>
    env.DB.prepare(
      `INSERT INTO usage_rollup_local_days (account_id, tz, day, project_id, key_id, model, member_id, requests, input_tokens, output_tokens, cost_micros, errors)
       VALUES (?, ?, ?, 'prj', 'key', 'llm', NULL, 1, 10, 10, ?, 0)`,
    ).bind(accountId, ZONE, Date.parse(`${day}T00:00:00Z`) / 86_400_000, cost);

  it('puts an entry just before local midnight in the month it was posted in, in the organisation’s zone', async () => {
    const id = `acct_stmt_${Math.random().toString(36).slice(2)}`;
    await env.DB.batch([
      insert(id, 1, 'topup', 10_000_000, 10_000_000, '2026-10-20T12:00:00Z'),
      insert(id, 2, 'usage', -1_000, 9_999_000, '2026-11-10T12:00:00Z'),
      // 23:59:59.999 on 30 November in Los Angeles, already December in UTC.
      insert(id, 3, 'usage', -2_000, 9_997_000, '2026-12-01T07:59:59.999Z'),
      // Local midnight: December.
      insert(id, 4, 'promotion', 500, 9_997_500, '2026-12-01T08:00:00.000Z'),
      rollup(id, '2026-11-10', 1_000),
      rollup(id, '2026-11-30', 2_000),
    ]);
    const build = (timeZone: string, period: string) => buildStatement(env.DB, { accountId: id, accountName: 'Boundary', timeZone, period });
    const nov = await build(ZONE, '2026-11');
    expect(nov.ok && nov.statement).toMatchObject({
      openingMicros: 10_000_000,
      usageMicros: 3_000,
      adjustmentsMicros: 0,
      closingMicros: 9_997_000,
      unattributedUsageMicros: 0,
    });
    const dec = await build(ZONE, '2026-12');
    expect(dec.ok && dec.statement).toMatchObject({ openingMicros: 9_997_000, usageMicros: 0, adjustmentsMicros: 500, closingMicros: 9_997_500 });
    // In UTC the same entry is December's; the local-day rollups of another zone attribute nothing.
    const utc = await build('UTC', '2026-11');
    expect(utc.ok && utc.statement).toMatchObject({ usageMicros: 1_000, closingMicros: 9_999_000, usage: [], unattributedUsageMicros: 1_000 });
  });

  it('refuses to build when the mirror has a gap or the totals do not reach the journal’s balance', async () => {
    const gap = `acct_stmt_${Math.random().toString(36).slice(2)}`;
    const off = `acct_stmt_${Math.random().toString(36).slice(2)}`;
    await env.DB.batch([
      insert(gap, 1, 'topup', 1_000, 1_000, '2026-11-02T12:00:00Z'),
      insert(gap, 3, 'usage', -10, 980, '2026-11-03T12:00:00Z'),
      insert(off, 1, 'topup', 1_000, 1_000, '2026-11-02T12:00:00Z'),
      insert(off, 2, 'usage', -10, 989, '2026-11-03T12:00:00Z'),
    ]);
    const build = (accountId: string) => buildStatement(env.DB, { accountId, accountName: 'x', timeZone: ZONE, period: '2026-11' });
    expect(await build(gap)).toMatchObject({ ok: false, reason: 'mirror_gap' });
    expect(await build(off)).toMatchObject({ ok: false, reason: 'does_not_reconcile' });
  });
});
