/**
 * @module routes/api/openapi
 * `/api/openapi.json`, assembled from the same zod schemas the routes validate with.
 */
import { z } from 'zod';
import { CreatePromotionInput } from './admin-billing';
import { AutoRechargeInput, CreateTopupInput, RedeemInput, TransactionsQuery } from './billing';
import {
  AdjustmentInput, CreateAccountInput, CreateKeyInput, CreateServiceInput, JournalQuery, StatusInput, UpdateKeyInput, UpdateServiceInput, UsageQuery, WriteOffInput,
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
  { method: 'get', path: '/api/account/billing', summary: 'Payment methods (available or why not), top-up bounds, auto-recharge settings', auth: 'management' },
  { method: 'put', path: '/api/account/billing/auto-recharge', summary: 'Auto-recharge settings (enabling needs a card saved at a top-up)', auth: 'management', body: AutoRechargeInput },
  { method: 'post', path: '/api/account/topups', summary: 'Start a card (Stripe Checkout) or Bitcoin (BTCPay) top-up; returns the payment page URL', auth: 'management', body: CreateTopupInput, created: true },
  { method: 'get', path: '/api/account/topups', summary: 'Your top-ups with their status', auth: 'management' },
  { method: 'get', path: '/api/account/topups/{id}', summary: 'One top-up', auth: 'management' },
  { method: 'get', path: '/api/account/topups/{id}/receipt', summary: 'The receipt of a paid top-up', auth: 'management' },
  { method: 'get', path: '/api/account/transactions', summary: 'Transaction history with running balance (usage summed per day); format=csv exports it', auth: 'management', query: TransactionsQuery },
  { method: 'post', path: '/api/account/promotions/redeem', summary: 'Redeem a promotion code (once per account)', auth: 'management', body: RedeemInput, created: true },
  { method: 'post', path: '/api/webhooks/stripe', summary: 'Stripe webhook (Stripe-Signature verified on the raw body)', auth: 'none' },
  { method: 'post', path: '/api/webhooks/btcpay', summary: 'BTCPay Server webhook (BTCPay-Sig verified on the raw body)', auth: 'none' },
  { method: 'get', path: '/api/admin/accounts', summary: 'List accounts', auth: 'admin' },
  { method: 'post', path: '/api/admin/accounts', summary: 'Create an account and its first management key', auth: 'admin', body: CreateAccountInput, created: true },
  { method: 'get', path: '/api/admin/accounts/{id}', summary: 'One account with its balance', auth: 'admin' },
  { method: 'post', path: '/api/admin/accounts/{id}/adjustments', summary: 'Credit (positive) or debit (negative) with a reason; idempotent by idempotencyKey', auth: 'admin', body: AdjustmentInput, created: true },
  { method: 'post', path: '/api/admin/accounts/{id}/write-off', summary: 'Bring a negative balance back to zero at the operator\'s expense (journaled against sys:writeoff, audited)', auth: 'admin', body: WriteOffInput, created: true },
  { method: 'post', path: '/api/admin/accounts/{id}/status', summary: 'Suspend or reactivate an account', auth: 'admin', body: StatusInput },
  { method: 'post', path: '/api/admin/accounts/{id}/management-keys', summary: 'Issue another management key', auth: 'admin', created: true },
  { method: 'post', path: '/api/admin/accounts/{id}/management-keys/{keyId}/revoke', summary: 'Revoke a management key (effective on the next call)', auth: 'admin' },
  { method: 'get', path: '/api/admin/accounts/{id}/keys', summary: "An account's keys (inference and management)", auth: 'admin' },
  { method: 'get', path: '/api/admin/accounts/{id}/journal', summary: "An account's journal", auth: 'admin', query: JournalQuery },
  { method: 'get', path: '/api/admin/services', summary: 'List services with current prices', auth: 'admin' },
  { method: 'post', path: '/api/admin/services', summary: 'Create a service (price version 1)', auth: 'admin', body: CreateServiceInput, created: true },
  { method: 'get', path: '/api/admin/services/{id}', summary: 'One service with its price history', auth: 'admin' },
  { method: 'patch', path: '/api/admin/services/{id}', summary: 'Edit a service; new prices add a price version', auth: 'admin', body: UpdateServiceInput },
  { method: 'post', path: '/api/admin/promotions', summary: 'Create a promotion code (amount, uses, expiry)', auth: 'admin', body: CreatePromotionInput, created: true },
  { method: 'get', path: '/api/admin/promotions', summary: 'List promotion codes with their use counts', auth: 'admin' },
  { method: 'get', path: '/api/admin/reviews', summary: 'Items needing a decision: Bitcoin invoices to review, reconciliation alerts (status=open|resolved)', auth: 'admin' },
  { method: 'post', path: '/api/admin/reviews/{id}/resolve', summary: 'Resolve a review item with a note (audited)', auth: 'admin' },
  { method: 'post', path: '/api/admin/reconcile', summary: 'Run the reconciliation now (it also runs hourly)', auth: 'admin' },
  { method: 'get', path: '/api/admin/topups', summary: 'Top-ups of every account', auth: 'admin' },
  { method: 'get', path: '/api/admin/audit', summary: 'The admin audit log', auth: 'admin' },
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
