/**
 * Test harness: the real worker's fetch handler, real local D1/KV/Durable Objects, and
 * the demo origin injected at the network boundary (global fetch to http://origin.test).
 */
import { createExecutionContext, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import OpenAI from 'openai';
import { vi } from 'vitest';
import { createDemoOrigin, type DemoOrigin, type DemoOriginOptions } from '../demo-origin/origin.mjs';
import type { Env } from '../worker/env';
import worker from '../worker/index';

export const ADMIN = `Bearer ${env.ADMIN_TOKEN ?? ''}`;
export const ORIGIN_URL = 'http://origin.test/v1';

/**
 * Runs a request through the worker's own fetch handler with real bindings and a fresh
 * execution context. (Going through `exports.default.fetch` works too, but the pool's loopback
 * slows down with every request a test file makes; tests that need the runtime's client
 * disconnect signal use `exports.default.fetch` directly.)
 */
export function dispatch(request: Request): Promise<Response> {
  return Promise.resolve(worker.fetch(request, env as unknown as Env, createExecutionContext()));
}

/** Calls the worker. */
export function call(path: string, init: RequestInit & { auth?: string; json?: unknown } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.auth) headers.set('authorization', init.auth);
  if (init.json !== undefined) headers.set('content-type', 'application/json');
  const body = init.json !== undefined ? JSON.stringify(init.json) : init.body;
  return dispatch(new Request(`http://gateway.test${path}`, { ...init, headers, body }));
}

/** Calls the worker and parses JSON, failing loudly with the body on an unexpected status. */
export async function callJson<T = Record<string, any>>(path: string, init: Parameters<typeof call>[1] & { expect?: number } = {}): Promise<T> {
  const res = await call(path, init);
  const text = await res.text();
  if (init.expect !== undefined && res.status !== init.expect)
    throw new Error(`${init.method ?? 'GET'} ${path}: expected ${init.expect}, got ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

export interface UpstreamRecord {
  url: string;
  headers: Headers;
  body: Record<string, any>;
}

/**
 * Routes fetches for origin.test to a demo origin. Returns it (its `stats` tell what it
 * produced) plus every request the gateway sent upstream.
 */
export function installOrigin(
  options: DemoOriginOptions = {},
  hosts: Record<string, (request: Request) => Promise<Response>> = {},
): DemoOrigin & { upstream: UpstreamRecord[] } {
  const origin = createDemoOrigin({ apiKey: env.ORIGIN_TEST_KEY, ...options });
  const upstream: UpstreamRecord[] = [];
  const realFetch = globalThis.fetch;
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    const host = new URL(request.url).hostname;
    if (hosts[host]) return hosts[host](request);
    if (host !== 'origin.test') return realFetch(input, init);
    const text = await request.clone().text();
    upstream.push({ url: request.url, headers: request.headers, body: text ? JSON.parse(text) : {} });
    return origin(request);
  });
  return Object.assign(origin, { upstream });
}

let serial = 0;

export interface WorldOptions {
  balanceMicros?: number;
  prices?: { inputMicrosPer1M: number; outputMicrosPer1M: number; requestMicros?: number };
  maxOutputTokens?: number;
  endpoints?: Array<'chat' | 'completions' | 'embeddings'>;
  keyLimits?: Record<string, unknown>;
  serviceDefaults?: Record<string, unknown>;
}

export interface World {
  accountId: string;
  managementKey: string;
  apiKey: string;
  keyId: string;
  serviceId: string;
  model: string;
  client: OpenAI;
}

/** Creates a service, an account with credit, and an inference key. */
export async function createWorld(options: WorldOptions = {}): Promise<World> {
  serial += 1;
  const model = `test-llm-${serial}-${Math.random().toString(36).slice(2, 8)}`;
  const { service } = await callJson('/api/admin/services', {
    method: 'POST',
    auth: ADMIN,
    expect: 201,
    json: {
      name: model,
      endpoints: options.endpoints ?? ['chat', 'completions', 'embeddings'],
      originBaseUrl: ORIGIN_URL,
      originModel: 'demo-llm',
      originCredentialSecret: 'ORIGIN_TEST_KEY',
      maxOutputTokens: options.maxOutputTokens ?? 256,
      prices: options.prices ?? { inputMicrosPer1M: 1_000_000, outputMicrosPer1M: 2_000_000, requestMicros: 10 },
      ...options.serviceDefaults,
    },
  });
  const { account, managementKey } = await callJson('/api/admin/accounts', { method: 'POST', auth: ADMIN, expect: 201, json: { name: `acct ${serial}` } });
  if ((options.balanceMicros ?? 10_000_000) > 0) {
    await callJson(`/api/admin/accounts/${account.id}/adjustments`, {
      method: 'POST',
      auth: ADMIN,
      expect: 201,
      json: { amountMicros: options.balanceMicros ?? 10_000_000, reason: 'test credit' },
    });
  }
  const { key, secret } = await callJson('/api/account/keys', {
    method: 'POST',
    auth: `Bearer ${managementKey.secret}`,
    expect: 201,
    json: { name: 'test key', ...options.keyLimits },
  });
  return { accountId: account.id, managementKey: managementKey.secret, apiKey: secret, keyId: key.id, serviceId: service.id, model, client: sdk(secret) };
}

/** The official OpenAI SDK pointed at the worker. */
export function sdk(apiKey: string): OpenAI {
  return new OpenAI({
    apiKey,
    baseURL: 'http://gateway.test/v1',
    maxRetries: 0,
    fetch: (url: RequestInfo | URL, init?: RequestInit) => dispatch(new Request(url, init)),
  });
}

/** The account object's stub. */
export function accountStub(accountId: string) {
  return env.ACCOUNT.get(env.ACCOUNT.idFromName(accountId));
}

/**
 * Fires the account object's alarm until it has nothing left to do. workerd may also fire a
 * due alarm by itself, so wait for the outbox to be empty rather than trusting one run.
 */
export async function drainAlarms(accountId: string): Promise<void> {
  const stub = accountStub(accountId);
  const deadline = Date.now() + 10_000;
  for (;;) {
    while (await runDurableObjectAlarm(stub));
    if ((await stub.summary()).pendingOutbox === 0) return;
    if (Date.now() > deadline) throw new Error('the outbox did not drain');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Waits until every request the account admitted has settled. Settles are sent after the response
 * (from waitUntil) and group-committed, so a test that reads what a finished request changed waits
 * for this first, as a client reading its balance right after an answer may see it a moment later.
 */
export async function settled(accountId: string, timeoutMs = 5000): Promise<void> {
  await eventually(async () => (await accountStub(accountId).summary()).openReservations === 0, timeoutMs);
}

/** Moves every hold the account object has in memory past its expiry (as time would), for the alarm to charge. */
export async function expireHolds(accountId: string): Promise<void> {
  await runInDurableObject(accountStub(accountId), (instance) => {
    const holds = (instance as unknown as { holds: { open(): Iterable<{ expiresAt: number }> } }).holds;
    for (const grant of holds.open()) grant.expiresAt = 0;
  });
}

/** Waits until a condition holds (for work finishing in waitUntil). */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
