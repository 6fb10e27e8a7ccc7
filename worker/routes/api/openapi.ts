/**
 * @module routes/api/openapi
 * `/api/openapi.json`: generated once, at startup, from the routes' own definitions
 * (./contract.ts). Routes that are not ours to define are described here: better-auth's
 * endpoints under /api/auth, the provider webhooks (signed raw bodies), and the document itself.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../../env';
import { type Auth, ErrorBody, SECURITY } from './contract';

interface ForeignRoute {
  method: 'get' | 'post';
  path: string;
  summary: string;
  auth: Auth;
  tag: string;
  redirect?: boolean;
}

const AUTH = 'Sign-in (better-auth)';
/** Routes served by others (better-auth, provider webhooks) or by the app itself. */
const FOREIGN: ForeignRoute[] = [
  { method: 'get', path: '/api/health', summary: 'Liveness', auth: 'none', tag: 'Service' },
  { method: 'get', path: '/api/openapi.json', summary: 'This document (OpenAPI 3.1)', auth: 'none', tag: 'Service' },
  {
    method: 'get',
    path: '/api/docs',
    summary: "The rendered reference of this document (redirects to the dashboard's /docs page)",
    auth: 'none',
    tag: 'Service',
    redirect: true,
  },
  {
    method: 'post',
    path: '/api/auth/sign-up/email',
    summary: 'Sign up {name, email, password (10–128 chars)}; creates the billing account and mails a verification link',
    auth: 'none',
    tag: AUTH,
  },
  {
    method: 'get',
    path: '/api/auth/verify-email',
    summary: 'The mailed link: verifies the address, signs in and redirects (302) to callbackURL',
    auth: 'none',
    tag: AUTH,
    redirect: true,
  },
  {
    method: 'post',
    path: '/api/auth/sign-in/email',
    summary: 'Sign in {email, password}; {twoFactorRedirect:true} when TOTP is on; 429 after 5 failures per address in 15 min',
    auth: 'none',
    tag: AUTH,
  },
  {
    method: 'post',
    path: '/api/auth/two-factor/verify-totp',
    summary: 'Second sign-in step, or confirming two-factor after enable {code}',
    auth: 'none',
    tag: AUTH,
  },
  {
    method: 'post',
    path: '/api/auth/two-factor/verify-backup-code',
    summary: 'Second sign-in step with a one-time backup code {code}',
    auth: 'none',
    tag: AUTH,
  },
  { method: 'post', path: '/api/auth/sign-out', summary: 'End the session', auth: 'session', tag: AUTH },
  { method: 'get', path: '/api/auth/get-session', summary: 'The session and user, or null', auth: 'none', tag: AUTH },
  { method: 'post', path: '/api/auth/request-password-reset', summary: 'Mail a password reset link {email, redirectTo}', auth: 'none', tag: AUTH },
  { method: 'post', path: '/api/auth/reset-password', summary: 'Set a new password with the mailed token {newPassword, token}', auth: 'none', tag: AUTH },
  {
    method: 'post',
    path: '/api/auth/change-password',
    summary: 'Change the password {currentPassword, newPassword, revokeOtherSessions?}',
    auth: 'session',
    tag: AUTH,
  },
  { method: 'post', path: '/api/auth/update-user', summary: 'Update the profile {name} (1–100 characters)', auth: 'session', tag: AUTH },
  { method: 'post', path: '/api/auth/two-factor/enable', summary: 'Start TOTP two-factor {password} → {totpURI, backupCodes}', auth: 'session', tag: AUTH },
  { method: 'post', path: '/api/auth/two-factor/disable', summary: 'Turn two-factor off {password}', auth: 'session', tag: AUTH },
  { method: 'post', path: '/api/webhooks/stripe', summary: 'Stripe webhook (Stripe-Signature verified on the raw body)', auth: 'none', tag: 'Webhooks' },
  { method: 'post', path: '/api/webhooks/btcpay', summary: 'BTCPay Server webhook (BTCPay-Sig verified on the raw body)', auth: 'none', tag: 'Webhooks' },
];

const errorResponse = { description: 'Error ({error: {code, message, requestId}})', content: { 'application/json': { schema: ErrorBody } } };

/** Describes the foreign routes and the security schemes, then generates the OpenAPI 3.1 document. */
export function openApiDocument(app: OpenAPIHono<AppEnv>) {
  const registry = app.openAPIRegistry;
  registry.registerComponent('securitySchemes', 'adminToken', { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN secret' });
  registry.registerComponent('securitySchemes', 'managementKey', { type: 'http', scheme: 'bearer', description: 'Management key mk-gw-…' });
  registry.registerComponent('securitySchemes', 'session', {
    type: 'apiKey',
    in: 'cookie',
    name: '__Secure-better-auth.session_token',
    description:
      'Dashboard session (HttpOnly, Secure, SameSite=Lax). ' +
      'Unsafe requests outside /api/auth/* must also send x-csrf-token (csrfToken from GET /api/me), else 403 csrf_failed. ' +
      '/api/account/* acts on the organisation named by x-gateway-organization (else your personal one) with your role there ' +
      '(x-gateway-role on each operation is the least role it needs). Admin routes need role admin.',
  });
  for (const route of FOREIGN) {
    registry.registerPath({
      method: route.method,
      path: route.path,
      summary: route.summary,
      tags: [route.tag],
      security: SECURITY[route.auth],
      responses: { [route.redirect ? 302 : 200]: { description: route.redirect ? 'Redirect' : 'Success' }, default: errorResponse },
    });
  }
  return app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: {
      title: 'GPU gateway management API',
      version: '0.1.0',
      description:
        'Money is integer µUSD (1 USD = 1,000,000). Request bodies are JSON (Content-Type: application/json). Inference is the OpenAI-compatible /v1 API.',
    },
  });
}
