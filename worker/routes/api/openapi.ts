/**
 * @module routes/api/openapi
 * `/api/openapi.json`, assembled from the same zod schemas the routes validate with.
 */
import { z } from 'zod';
import {
  AdjustmentInput, CreateAccountInput, CreateKeyInput, CreateServiceInput, JournalQuery, StatusInput, UpdateKeyInput, UpdateServiceInput, UsageQuery,
} from './schemas';

type Auth = 'admin' | 'management' | 'none';
interface Operation { method: string; path: string; summary: string; auth: Auth; body?: z.ZodType; query?: z.ZodObject; created?: boolean }

const OPERATIONS: Operation[] = [
  { method: 'get', path: '/api/health', summary: 'Liveness', auth: 'none' },
  { method: 'get', path: '/api/account', summary: 'Your account: balance, reserved and available credit (µUSD)', auth: 'management' },
  { method: 'get', path: '/api/account/journal', summary: 'Your journal (every balance change, newest first, with running balance)', auth: 'management', query: JournalQuery },
  { method: 'get', path: '/api/account/usage', summary: 'Your usage events with totals; filter by time, key and model', auth: 'management', query: UsageQuery },
  { method: 'get', path: '/api/account/keys', summary: 'List your API keys', auth: 'management' },
  { method: 'post', path: '/api/account/keys', summary: 'Create an API key (the secret is returned once)', auth: 'management', body: CreateKeyInput, created: true },
  { method: 'get', path: '/api/account/keys/{id}', summary: 'One API key', auth: 'management' },
  { method: 'patch', path: '/api/account/keys/{id}', summary: "Edit a key's name and limits (effective on the next request)", auth: 'management', body: UpdateKeyInput },
  { method: 'post', path: '/api/account/keys/{id}/revoke', summary: 'Revoke a key (effective on the next request)', auth: 'management' },
  { method: 'delete', path: '/api/account/keys/{id}', summary: 'Revoke a key (same as POST …/revoke)', auth: 'management' },
  { method: 'get', path: '/api/admin/accounts', summary: 'List accounts', auth: 'admin' },
  { method: 'post', path: '/api/admin/accounts', summary: 'Create an account and its first management key', auth: 'admin', body: CreateAccountInput, created: true },
  { method: 'get', path: '/api/admin/accounts/{id}', summary: 'One account with its balance', auth: 'admin' },
  { method: 'post', path: '/api/admin/accounts/{id}/adjustments', summary: 'Credit (positive) or debit (negative) with a reason; idempotent by idempotencyKey', auth: 'admin', body: AdjustmentInput, created: true },
  { method: 'post', path: '/api/admin/accounts/{id}/status', summary: 'Suspend or reactivate an account', auth: 'admin', body: StatusInput },
  { method: 'post', path: '/api/admin/accounts/{id}/management-keys', summary: 'Issue another management key', auth: 'admin', created: true },
  { method: 'get', path: '/api/admin/accounts/{id}/keys', summary: "An account's keys", auth: 'admin' },
  { method: 'get', path: '/api/admin/accounts/{id}/journal', summary: "An account's journal", auth: 'admin', query: JournalQuery },
  { method: 'get', path: '/api/admin/services', summary: 'List services with current prices', auth: 'admin' },
  { method: 'post', path: '/api/admin/services', summary: 'Create a service (price version 1)', auth: 'admin', body: CreateServiceInput, created: true },
  { method: 'get', path: '/api/admin/services/{id}', summary: 'One service with its price history', auth: 'admin' },
  { method: 'patch', path: '/api/admin/services/{id}', summary: 'Edit a service; new prices add a price version', auth: 'admin', body: UpdateServiceInput },
];

const ERROR = {
  type: 'object',
  properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' }, requestId: { type: 'string' }, param: { type: 'string' } }, required: ['code', 'message', 'requestId'] } },
};

/** The OpenAPI 3.1 document. */
export function openApiDocument() {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    const parameters = [
      ...[...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } })),
      ...(op.query ? Object.entries(op.query.shape).map(([name, schema]) => ({ name, in: 'query', required: false, schema: z.toJSONSchema(schema as z.ZodType, { io: 'input', unrepresentable: 'any' }) })) : []),
    ];
    paths[op.path] ??= {};
    paths[op.path][op.method] = {
      summary: op.summary,
      security: op.auth === 'none' ? [] : [{ [op.auth === 'admin' ? 'adminToken' : 'managementKey']: [] }],
      ...(parameters.length ? { parameters } : {}),
      ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: z.toJSONSchema(op.body, { io: 'input', unrepresentable: 'any' }) } } } } : {}),
      responses: {
        [op.created ? '201' : '200']: { description: 'Success' },
        default: { description: 'Error ({error:{code,message,requestId}})', content: { 'application/json': { schema: ERROR } } },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'GPU gateway management API', version: '0.1.0', description: 'Money is integer µUSD (1 USD = 1,000,000). Inference is the OpenAI-compatible /v1 API.' },
    components: {
      securitySchemes: {
        adminToken: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN secret' },
        managementKey: { type: 'http', scheme: 'bearer', description: 'Management key mk-gw-…' },
      },
    },
    paths,
  };
}
