/**
 * Alerts reach their channels exactly once per channel: signed webhooks retried with back-off
 * until the receiver takes them, Slack-compatible messages, mail; the low-balance alert raised once
 * per crossing; secrets rotated with an overlap; another tenant's channels out of reach.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { disableAutoRecharge } from '../../worker/durable-objects/account/auto-recharge';
import type { Env } from '../../worker/env';
import { deliverDue } from '../../worker/notifications/deliver';
import { storedTarget } from '../../worker/routes/api/notifications';
import { ADMIN, accountStub, call, callJson, createWorld, drainAlarms, installOrigin, settled, type World } from '../helpers';

afterEach(() => vi.restoreAllMocks());

const PRICE = { inputMicrosPer1M: 1_000_000, outputMicrosPer1M: 2_000_000, requestMicros: 10 };
const mgmt = (w: World) => `Bearer ${w.managementKey}`;

interface Received {
  headers: Headers;
  body: string;
}

/** A receiver at hooks.test that answers the given statuses in turn (then 200). */
function receiver(statuses: number[] = []) {
  const got: Received[] = [];
  let i = 0;
  const handler = async (request: Request) => {
    got.push({ headers: request.headers, body: await request.text() });
    return new Response('ok', { status: statuses[i++] ?? 200 });
  };
  return { got, handler };
}

/** What a receiver does, in a few lines of node:crypto (docs/notifications.md). */
function verify(secret: string, header: string, body: string, toleranceSeconds = 300): boolean {
  const items = header.split(',').map((part) => part.split('='));
  const t = Number(items.find(([k]) => k === 't')?.[1]);
  if (!Number.isFinite(t) || Math.abs(Date.now() / 1000 - t) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return items
    .filter(([k]) => k === 'v1')
    .some(([, v]) => {
      const given = Buffer.from(v, 'hex');
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
}

function chat(w: World) {
  return call('/v1/chat/completions', {
    method: 'POST',
    auth: `Bearer ${w.apiKey}`,
    json: { model: w.model, messages: [{ role: 'user', content: 'one two three' }], max_tokens: 16 },
  });
}

async function channel(w: World, body: Record<string, unknown>) {
  return callJson('/api/account/notification-channels', { method: 'POST', auth: mgmt(w), json: body, expect: 201 });
}

async function deliveriesOf(w: World, channelId: string) {
  return (await callJson(`/api/account/notification-channels/${channelId}/deliveries`, { auth: mgmt(w), expect: 200 })).deliveries;
}

/** Spends until a budget of `amount` passes its 50 % threshold. */
async function crossHalf(w: World) {
  await callJson('/api/account/budgets', {
    method: 'POST',
    auth: mgmt(w),
    json: { name: 'half', scope: 'organization', amountMicros: 400, window: 'month', thresholds: [50] },
    expect: 201,
  });
  for (let i = 0; i < 4; i++) {
    expect((await chat(w)).status).toBe(200);
    await settled(w.accountId);
  }
  await drainAlarms(w.accountId);
}

describe('webhook deliveries', () => {
  it('retries a receiver that answers 500 three times, then delivers once, signed so node:crypto verifies it', async () => {
    const hook = receiver([500, 500, 500]);
    installOrigin({}, { 'hooks.test': hook.handler });
    const world = await createWorld({ prices: PRICE });
    const { channel: ch, secret } = await channel(world, { kind: 'webhook', name: 'ops', target: 'https://hooks.test/gateway', events: ['budget.threshold'] });
    expect(secret).toMatch(/^whsec_/);
    expect(ch.secretHint).toBe(`…${secret.slice(-4)}`);
    await crossHalf(world);
    // The object sent it as soon as it was recorded: the first attempt failed.
    expect(hook.got.length).toBe(1);
    for (let i = 0; i < 6; i++) await deliverDue(env as unknown as Env, { now: Date.now() + 2 * 3_600_000 });
    expect(hook.got.length).toBe(4);
    const ids = new Set(hook.got.map((g) => g.headers.get('x-gateway-event-id')));
    expect(ids.size).toBe(1);
    for (const g of hook.got) {
      expect(verify(secret, g.headers.get('x-gateway-signature') ?? '', g.body)).toBe(true);
      expect(verify('whsec_wrong', g.headers.get('x-gateway-signature') ?? '', g.body)).toBe(false);
      expect(verify(secret, g.headers.get('x-gateway-signature') ?? '', `${g.body} `)).toBe(false);
    }
    const event = JSON.parse(hook.got[3].body);
    expect(event).toMatchObject({ type: 'budget.threshold', data: { budgetName: 'half', percent: 50 } });
    expect(event.message).toContain("Budget 'half'");
    const [delivery] = await deliveriesOf(world, ch.id);
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 4, lastStatusCode: 200 });
    expect(delivery.log.map((a: { statusCode: number }) => a.statusCode)).toEqual([500, 500, 500, 200]);
    // Replayed alarms and cron runs send nothing more.
    await drainAlarms(world.accountId);
    await deliverDue(env as unknown as Env, { now: Date.now() + 5 * 3_600_000 });
    expect(hook.got.length).toBe(4);
  });

  it('gives up a day after the alert, keeping every attempt in the log', async () => {
    const hook = receiver(Array(100).fill(503));
    installOrigin({}, { 'hooks.test': hook.handler });
    const world = await createWorld({ prices: PRICE });
    const { channel: ch } = await channel(world, { kind: 'webhook', name: 'down', target: 'https://hooks.test/down' });
    await crossHalf(world);
    await env.DB.prepare('UPDATE notification_deliveries SET created_at = created_at - ? WHERE channel_id = ?')
      .bind(26 * 3_600_000, ch.id)
      .run();
    await deliverDue(env as unknown as Env, { now: Date.now() + 2 * 3_600_000 });
    const [delivery] = await deliveriesOf(world, ch.id);
    expect(delivery.status).toBe('failed');
    expect(delivery.nextAttemptAt).toBeNull();
    expect(delivery.log.length).toBe(2);
    await deliverDue(env as unknown as Env, { now: Date.now() + 4 * 3_600_000 });
    expect(hook.got.length).toBe(2);
  });

  it('sends a test on request, and signs with both secrets for a day after a rotation', async () => {
    const hook = receiver();
    installOrigin({}, { 'hooks.test': hook.handler });
    const world = await createWorld();
    const { channel: ch, secret: oldSecret } = await channel(world, { kind: 'webhook', name: 'ops', target: 'https://hooks.test/x' });
    const { delivery } = await callJson(`/api/account/notification-channels/${ch.id}/test`, { method: 'POST', auth: mgmt(world), expect: 200 });
    expect(delivery).toMatchObject({ status: 'delivered', eventType: 'test', lastStatusCode: 200 });
    const { secret: newSecret } = await callJson(`/api/account/notification-channels/${ch.id}/rotate-secret`, {
      method: 'POST',
      auth: mgmt(world),
      expect: 200,
    });
    expect(newSecret).not.toBe(oldSecret);
    await callJson(`/api/account/notification-channels/${ch.id}/test`, { method: 'POST', auth: mgmt(world), expect: 200 });
    const last = hook.got.at(-1) as Received;
    const header = last.headers.get('x-gateway-signature') ?? '';
    expect(header.split(',').filter((p) => p.startsWith('v1=')).length).toBe(2);
    expect(verify(newSecret, header, last.body)).toBe(true);
    expect(verify(oldSecret, header, last.body)).toBe(true);
  });
});

describe('Slack and e-mail channels', () => {
  it('posts a Slack-compatible message and mails each address, once per alert', async () => {
    const slack = receiver();
    installOrigin({}, { 'hooks.slack.test': slack.handler });
    const world = await createWorld({ prices: PRICE });
    await channel(world, { kind: 'slack', name: 'team', target: 'https://hooks.slack.test/services/T/B/X' });
    const to = `finance-${Math.random().toString(36).slice(2, 8)}@example.test`;
    const { channel: mail } = await channel(world, { kind: 'email', name: 'finance', target: [to] });
    await crossHalf(world);
    expect(slack.got.length).toBe(1);
    expect(JSON.parse(slack.got[0].body).text).toContain("Budget 'half'");
    const { results } = await env.DB.prepare('SELECT subject, text FROM mail_outbox WHERE "to" = ?').bind(to).all<{ subject: string; text: string }>();
    expect(results.length).toBe(1);
    expect(results[0].text).toContain("Budget 'half'");
    expect((await deliveriesOf(world, mail.id))[0].status).toBe('delivered');
  });
});

describe('account alerts', () => {
  it('raises the low-balance alert once per crossing, and again after credit lifted the balance back', async () => {
    installOrigin();
    const world = await createWorld({ prices: PRICE, balanceMicros: 1_000 });
    await callJson('/api/account/alert-settings', { method: 'PUT', auth: mgmt(world), json: { lowBalanceMicros: 800 }, expect: 200 });
    for (let i = 0; i < 8; i++) {
      await chat(world);
      await settled(world.accountId);
    }
    await drainAlarms(world.accountId);
    const lows = async () =>
      (await callJson('/api/account/alerts', { auth: mgmt(world), expect: 200 })).alerts.filter((a: { type: string }) => a.type === 'balance.low');
    expect((await lows()).length).toBe(1);
    expect((await lows())[0].message).toContain('$0.0008');
    await callJson(`/api/admin/accounts/${world.accountId}/adjustments`, {
      method: 'POST',
      auth: ADMIN,
      json: { amountMicros: 1_000, reason: 'top up' },
      expect: 201,
    });
    // 592 µUSD left + 1,000: about 16 more requests of 51 take it under 800 again.
    for (let i = 0; i < 20; i++) {
      await chat(world);
      await settled(world.accountId);
    }
    await drainAlarms(world.accountId);
    expect((await lows()).length).toBe(2);
  });

  it('tells the organisation when auto-recharge is switched off', async () => {
    const world = await createWorld();
    await runInDurableObject(accountStub(world.accountId), (_i, state) => {
      state.storage.transactionSync(() => disableAutoRecharge(state.storage.sql, 'Auto-recharge was switched off: the card was declined.'));
    });
    await accountStub(world.accountId).postEntry({ idempotencyKey: 'nudge', kind: 'credit', amountMicros: 1, counterAccount: 'sys:adjustments' });
    await drainAlarms(world.accountId);
    const { alerts } = await callJson('/api/account/alerts', { auth: mgmt(world), expect: 200 });
    expect(alerts.map((a: { type: string; message: string }) => [a.type, a.message])).toEqual([
      ['auto_recharge.failed', 'Auto-recharge was switched off: the card was declined.'],
    ]);
  });
});

describe('the channels API', () => {
  it('keeps channels and their deliveries to their own organisation', async () => {
    const mine = await createWorld();
    const theirs = await createWorld();
    const { channel: ch } = await channel(theirs, { kind: 'webhook', name: 'theirs', target: 'https://hooks.test/t' });
    for (const [method, path] of [
      ['GET', ''],
      ['PATCH', ''],
      ['DELETE', ''],
      ['POST', '/test'],
      ['POST', '/rotate-secret'],
      ['GET', '/deliveries'],
    ] as const) {
      const res = await call(`/api/account/notification-channels/${ch.id}${path}`, {
        method,
        auth: mgmt(mine),
        json: method === 'PATCH' ? { name: 'x' } : undefined,
      });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    expect((await callJson('/api/account/notification-channels', { auth: mgmt(mine), expect: 200 })).channels).toEqual([]);
  });

  it('refuses targets that are not a public https URL, or not addresses, outside local development', () => {
    const production = { LOCAL_DEV: '0' } as unknown as Env;
    expect(() => storedTarget(production, 'webhook', 'http://hooks.example.com/x')).toThrow(/https/);
    for (const host of ['localhost', '127.0.0.1', '10.1.2.3', '192.168.0.9', '169.254.169.254', '172.20.0.1', '[::1]', 'metadata.google.internal']) {
      expect(() => storedTarget(production, 'webhook', `https://${host}/x`), host).toThrow(/public host/);
    }
    expect(storedTarget(production, 'slack', 'https://hooks.slack.com/services/T/B/X')).toBe('https://hooks.slack.com/services/T/B/X');
    expect(() => storedTarget(production, 'webhook', 'https://user:pw@hooks.example.com/')).toThrow(/credentials/);
    expect(() => storedTarget(production, 'email', 'https://x.test')).toThrow(/addresses/);
    expect(storedTarget(production, 'email', ['A@Example.test', 'a@example.test'])).toBe('["a@example.test"]');
  });

  it.each([
    [{ kind: 'pager', name: 'x', target: 'https://hooks.test/' }, 'kind'],
    [{ kind: 'webhook', name: 'x', target: 'not a url' }, 'target'],
    [{ kind: 'webhook', name: 'x', target: 'https://hooks.test/', events: ['budget.exploded'] }, 'events.0'],
    [{ kind: 'email', name: 'x', target: ['not-an-address'] }, 'target'],
  ])('refuses %j naming the field', async (body, param) => {
    const world = await createWorld();
    const res = await call('/api/account/notification-channels', { method: 'POST', auth: mgmt(world), json: body });
    expect(res.status).toBe(400);
    const error = ((await res.json()) as { error: { param: string } }).error;
    expect(error.param.startsWith(param.split('.')[0])).toBe(true);
  });
});
