/**
 * The management API's contract is its routes: every /api route the app registers is in
 * /api/openapi.json with a summary, its security and a response schema, nothing documented is
 * missing from the app, and bodies reach the schemas only as JSON.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../worker/app';
import type { AppEnv } from '../../worker/env';
import { call, callJson, createWorld, type World } from '../helpers';

type Doc = {
  paths: Record<
    string,
    Record<string, { summary?: string; security?: unknown[]; responses: Record<string, { content?: Record<string, { schema?: unknown }> }> }>
  >;
};
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** `METHOD /path/{param}` of every concrete /api route (middleware and catch-alls skipped). */
function registered(app: OpenAPIHono<AppEnv>): Set<string> {
  return new Set(
    app.routes
      .filter((r) => r.path.startsWith('/api') && r.method !== 'ALL' && !r.path.endsWith('/*'))
      .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)(\{[^}]*\})?/g, '{$1}')}`),
  );
}

function documented(doc: Doc): Set<string> {
  return new Set(
    Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops)
        .filter((m) => METHODS.includes(m))
        .map((m) => `${m} ${path}`),
    ),
  );
}

const missingFrom = (doc: Doc, app: OpenAPIHono<AppEnv>) => [...registered(app)].filter((op) => !documented(doc).has(op)).sort();

let doc: Doc;
beforeAll(async () => {
  doc = await callJson<Doc>('/api/openapi.json', { expect: 200 });
});

describe('/api/openapi.json', () => {
  it('documents every /api route the app registers, and only those', () => {
    const app = createApp();
    expect(missingFrom(doc, app)).toEqual([]);
    // Catch-alls (better-auth's /api/auth/*) are documented by their concrete endpoints.
    const stale = [...documented(doc)].filter((op) => !registered(app).has(op) && !op.includes('/api/auth/'));
    expect(stale).toEqual([]);
  });

  it('notices a route defined outside the contract', () => {
    const app = createApp();
    app.get('/api/account/secret/:id', (c) => c.json({}));
    expect(missingFrom(doc, app)).toEqual(['get /api/account/secret/{id}']);
  });

  it('gives every operation a summary, its security and a documented error; every route of ours a response schema', () => {
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const name = `${method} ${path}`;
        expect(op.summary, name).toBeTruthy();
        expect(op.security, name).toBeDefined();
        expect(op.responses.default?.content?.['application/json']?.schema, name).toBeDefined();
        const foreign = path.startsWith('/api/auth/') || path.startsWith('/api/webhooks/') || ['/api/health', '/api/openapi.json', '/api/docs'].includes(path);
        if (foreign) continue;
        const success = Object.entries(op.responses).find(([status]) => /^2\d\d$/.test(status));
        expect(success && Object.values(success[1].content ?? {})[0]?.schema, `${name}: response schema`).toBeDefined();
      }
    }
  });

  it('carries the request schemas the routes validate with', () => {
    const create = doc.paths['/api/account/keys'].post as unknown as {
      requestBody: { content: Record<string, { schema: { properties: Record<string, unknown> } }> };
    };
    expect(create.requestBody.content['application/json'].schema.properties).toHaveProperty('requestsPerMinute');
    expect(doc.paths['/api/account/keys/{id}'].patch).toBeDefined();
  });
});

describe('/api bodies', () => {
  let world: World;
  let mk: string;
  beforeAll(async () => {
    world = await createWorld();
    mk = `Bearer ${world.managementKey}`;
  });
  const post = (body: string, type?: string) => call('/api/account/keys', { method: 'POST', auth: mk, body, headers: type ? { 'content-type': type } : {} });
  const codeOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string; param?: string } }).error;

  it('refuses a JSON body sent as another type, rather than treating it as no body', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', undefined]) {
      const res = await post('{"name":"sneaky"}', type);
      expect(res.status, String(type)).toBe(400);
      expect((await codeOf(res)).message, String(type)).toMatch(/Content-Type: application\/json/);
    }
    const { keys } = await callJson('/api/account/keys', { auth: mk, expect: 200 });
    expect(keys.some((k: { name: string }) => k.name === 'sneaky')).toBe(false);
  });

  it('answers malformed or empty JSON with invalid_json, and schema failures naming the field', async () => {
    for (const body of ['{"name": ', '', 'nope']) {
      const res = await post(body, 'application/json');
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((await codeOf(res)).code, JSON.stringify(body)).toBe('invalid_json');
    }
    const res = await post(JSON.stringify({ name: 'x', requestsPerMinute: -1 }), 'application/json; charset=utf-8');
    expect(res.status).toBe(400);
    expect(await codeOf(res)).toMatchObject({ code: 'invalid_request', param: 'requestsPerMinute', message: expect.stringMatching(/^requestsPerMinute: /) });
    const unknown = await post(JSON.stringify({ name: 'x', spendLimit: 5 }), 'application/json');
    expect((await codeOf(unknown)).code).toBe('invalid_request');
  });

  it('serves the rendered reference through /api/docs', async () => {
    const res = await call('/api/docs', { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('http://dashboard.test/docs');
  });
});
