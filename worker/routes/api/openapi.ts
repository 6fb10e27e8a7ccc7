/**
 * @module routes/api/openapi
 * `/api/openapi.json`, assembled from the same zod schemas the routes validate with.
 */
import { z } from 'zod';
import { CreatePromotionInput } from './admin-billing';
import { AdminAnalyticsQuery, AnalyticsQuery } from './analytics';
import { AutoRechargeInput, CreateTopupInput, RedeemInput, TransactionsQuery } from './billing';
import {
  AccountSearchQuery, AdjustmentInput, CreateAccountInput, CreateKeyInput, CreateServiceInput, JournalQuery, StatusInput, UpdateKeyInput, UpdateServiceInput, UsageQuery, WriteOffInput,
} from './schemas';

/** admin: ADMIN_TOKEN or an admin's session; management: an mk-gw- key or a session; session: a session only. */
type Auth = 'admin' | 'management' | 'session' | 'none';
interface Operation { method: string; path: string; summary: string; auth: Auth; body?: z.ZodType; query?: z.ZodObject; created?: boolean }

const OPERATIONS: Operation[] = [
  { method: 'get', path: '/api/health', summary: 'Liveness', auth: 'none' },
  { method: 'post', path: '/api/auth/sign-up/email', summary: 'Sign up {name, email, password (10–128 chars)}; creates the billing account and mails a verification link (better-auth)', auth: 'none' },
  { method: 'get', path: '/api/auth/verify-email', summary: 'The mailed link: verifies the address, signs in and redirects (302) to callbackURL', auth: 'none' },
  { method: 'post', path: '/api/auth/sign-in/email', summary: 'Sign in {email, password}; {twoFactorRedirect:true} when TOTP is on; 429 after 5 failures per address in 15 min', auth: 'none' },
  { method: 'post', path: '/api/auth/two-factor/verify-totp', summary: 'Second sign-in step, or confirming two-factor after enable {code}', auth: 'none' },
  { method: 'post', path: '/api/auth/two-factor/verify-backup-code', summary: 'Second sign-in step with a one-time backup code {code}', auth: 'none' },
  { method: 'post', path: '/api/auth/sign-out', summary: 'End the session', auth: 'session' },
  { method: 'get', path: '/api/auth/get-session', summary: 'The session and user, or null', auth: 'none' },
  { method: 'post', path: '/api/auth/request-password-reset', summary: 'Mail a password reset link {email, redirectTo}', auth: 'none' },
  { method: 'post', path: '/api/auth/reset-password', summary: 'Set a new password with the mailed token {newPassword, token}', auth: 'none' },
  { method: 'post', path: '/api/auth/change-password', summary: 'Change the password {currentPassword, newPassword, revokeOtherSessions?}', auth: 'session' },
  { method: 'post', path: '/api/auth/update-user', summary: 'Update the profile {name}', auth: 'session' },
  { method: 'post', path: '/api/auth/two-factor/enable', summary: 'Start TOTP two-factor {password} → {totpURI, backupCodes}', auth: 'session' },
  { method: 'post', path: '/api/auth/two-factor/disable', summary: 'Turn two-factor off {password}', auth: 'session' },
  { method: 'get', path: '/api/me', summary: 'The signed-in user, their billing account and the CSRF token for x-csrf-token', auth: 'session' },
  { method: 'get', path: '/api/dev/mail', summary: 'Local mail outbox, newest first (?to=); 404 unless MAIL_MODE=outbox and LOCAL_DEV=1', auth: 'none' },
  { method: 'get', path: '/api/account', summary: 'Your account: balance, reserved and available credit (µUSD)', auth: 'management' },
  { method: 'get', path: '/api/account/journal', summary: 'Your journal (every balance change, newest first, with running balance)', auth: 'management', query: JournalQuery },
  { method: 'get', path: '/api/account/usage', summary: 'Your usage events with totals; filter by time, key and model', auth: 'management', query: UsageQuery },
  { method: 'get', path: '/api/account/usage.csv', summary: 'Your usage events as CSV (same filters as /usage; at most 10,000 rows)', auth: 'management', query: UsageQuery },
  { method: 'get', path: '/api/account/analytics', summary: 'Your spend, tokens and requests per local day (hour for ≤ 48 h) in tz, by key and by model; today and this month', auth: 'management', query: AnalyticsQuery },
  { method: 'get', path: '/api/account/keys', summary: 'List your API keys', auth: 'management' },
  { method: 'post', path: '/api/account/keys', summary: 'Create an API key (the secret is returned once)', auth: 'management', body: CreateKeyInput, created: true },
  { method: 'get', path: '/api/account/keys/{id}', summary: 'One API key', auth: 'management' },
  { method: 'patch', path: '/api/account/keys/{id}', summary: "Edit a key's name and limits (effective on the next request)", auth: 'management', body: UpdateKeyInput },
  { method: 'post', path: '/api/account/keys/{id}/revoke', summary: 'Revoke a key (effective on the next request)', auth: 'management' },
  { method: 'delete', path: '/api/account/keys/{id}', summary: 'Revoke a key (same as POST …/revoke)', auth: 'management' },
  { method: 'get', path: '/api/account/billing', summary: 'Payment methods (available or why not), top-up bounds, auto-recharge settings', auth: 'management' },
  { method: 'put', path: '/api/account/billing/auto-recharge', summary: 'Auto-recharge settings (a signed-in member only, not a management key; enabling needs a card saved at a top-up; amount and threshold within the top-up bounds)', auth: 'session', body: AutoRechargeInput },
  { method: 'post', path: '/api/account/topups', summary: 'Start a card (Stripe Checkout) or Bitcoin (BTCPay) top-up; returns the payment page URL', auth: 'management', body: CreateTopupInput, created: true },
  { method: 'get', path: '/api/account/topups', summary: 'Your top-ups with their status', auth: 'management' },
  { method: 'get', path: '/api/account/topups/{id}', summary: 'One top-up', auth: 'management' },
  { method: 'get', path: '/api/account/topups/{id}/receipt', summary: 'The receipt of a paid top-up', auth: 'management' },
  { method: 'get', path: '/api/account/transactions', summary: 'Transaction history with running balance (usage summed per day); format=csv exports it', auth: 'management', query: TransactionsQuery },
  { method: 'post', path: '/api/account/promotions/redeem', summary: 'Redeem a promotion code (once per account)', auth: 'management', body: RedeemInput, created: true },
  { method: 'post', path: '/api/webhooks/stripe', summary: 'Stripe webhook (Stripe-Signature verified on the raw body)', auth: 'none' },
  { method: 'post', path: '/api/webhooks/btcpay', summary: 'BTCPay Server webhook (BTCPay-Sig verified on the raw body)', auth: 'none' },
  { method: 'get', path: '/api/admin/accounts', summary: "Search accounts by id, name or owner's e-mail, with balances", auth: 'admin', query: AccountSearchQuery },
  { method: 'get', path: '/api/admin/analytics', summary: 'Platform requests, tokens, revenue, errors, latency p50/p95 per model, top accounts, per local day or hour', auth: 'admin', query: AdminAnalyticsQuery },
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

const SECURITY: Record<Auth, Array<Record<string, string[]>>> = {
  none: [],
  session: [{ session: [] }],
  management: [{ managementKey: [] }, { session: [] }],
  admin: [{ adminToken: [] }, { session: [] }],
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
      security: SECURITY[op.auth],
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
        session: {
          type: 'apiKey', in: 'cookie', name: '__Secure-better-auth.session_token',
          description: 'Dashboard session (HttpOnly, Secure, SameSite=Lax). Unsafe requests outside /api/auth/* must also send x-csrf-token (csrfToken from GET /api/me), else 403 csrf_failed. Admin routes need role admin.',
        },
      },
    },
    paths,
  };
}
