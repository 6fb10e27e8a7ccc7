/**
 * @module env
 * The worker's bindings and the per-request context variables, typed once.
 */
import type { AccountBooks } from './durable-objects/account';
import type { KeyIndexEntry } from './services/key-index';
import type { Role } from './auth/roles';

/** Bindings from wrangler.toml plus secrets (`wrangler secret` / `.dev.vars`). */
// The identity and mail settings are declared here (optional strings) rather than taken from the
// generated types, which type `wrangler.toml` vars as literals and pick up local .dev.vars names.
type Declared =
  | 'ACCOUNT'
  | 'USAGE_RETENTION_DAYS'
  | 'BETTER_AUTH_SECRET'
  | 'ADMIN_EMAILS'
  | 'MAIL_MODE'
  | 'MAIL_API_URL'
  | 'MAIL_API_KEY'
  | 'MAIL_FROM'
  | 'LOCAL_DEV';
export interface Env extends Omit<Cloudflare.Env, Declared> {
  ACCOUNT: DurableObjectNamespace<AccountBooks>;
  /** Bearer token for `/api/admin/*` (automation; people sign in with an admin session). */
  ADMIN_TOKEN?: string;
  /** Signs session cookies, encrypts TOTP secrets and keys the CSRF tokens (secret, ≥ 32 chars). */
  BETTER_AUTH_SECRET?: string;
  /** Comma-separated e-mail addresses that get the admin role once their owner has verified them. */
  ADMIN_EMAILS?: string;
  /** 'outbox' writes mail to D1 instead of sending it (only together with LOCAL_DEV=1). */
  MAIL_MODE?: string;
  /** '1' on a local deployment (npm start's .dev.vars, the e2e stack, the tests); enables the mail outbox. */
  LOCAL_DEV?: string;
  /** '1' only in `npm start`'s .dev.vars: enables the demo-history route (routes/api/admin-demo.ts), together with LOCAL_DEV. */
  DEMO_HISTORY?: string;
  /** Production mail: the HTTP e-mail API's endpoint (Resend-style), its key (secret) and the From address. */
  MAIL_API_URL?: string;
  MAIL_API_KEY?: string;
  MAIL_FROM?: string;
  /** Days raw usage events stay in D1 before archival to R2 (default 35; analytics/archive.ts). */
  USAGE_RETENTION_DAYS?: string;
  /** How long a request may live, streamed or not, before the gateway ends it (ms; default 15 min). */
  REQUEST_LIFETIME_MS?: string;
  /** How long a reservation outlives its request's lifetime before the alarm charges it in full (ms; default 5 min). */
  RESERVATION_GRACE_MS?: string;
  /** Origin credentials are looked up by the name a service stores (`originCredentialSecret`). */
  [secret: string]: unknown;
}

/**
 * Who is calling a management route: the admin (by ADMIN_TOKEN, or a signed-in admin with
 * `userId`), or an account (by a management key `keyId`, or a signed-in user `userId`).
 */
export type Principal =
  | { kind: 'admin'; userId?: string }
  | { kind: 'account'; accountId: string; role: Role; keyId: string; userId?: undefined }
  | { kind: 'account'; accountId: string; role: Role; userId: string; keyId?: undefined };

/** The signed-in user and session, as better-auth reports them. */
export interface SessionInfo {
  session: { id: string; userId: string; expiresAt: Date };
  user: { id: string; email: string; name: string; role?: string | null; emailVerified: boolean; twoFactorEnabled?: boolean | null };
}

export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    principal: Principal;
    /** The session cookie's session, once loaded (null: no valid session). */
    session: SessionInfo | null;
    /** The inference key's index entry, set by apiKeyAuth on /v1/*. */
    apiKey: KeyIndexEntry;
  };
}
