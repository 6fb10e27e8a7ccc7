/**
 * @module env
 * The worker's bindings and the per-request context variables, typed once.
 */
import type { AccountObject } from './durable-objects/account';
import type { KeyIndexEntry } from './services/key-index';

/** Bindings from wrangler.toml plus secrets (`wrangler secret` / `.dev.vars`). */
export interface Env extends Omit<Cloudflare.Env, 'ACCOUNT'> {
  ACCOUNT: DurableObjectNamespace<AccountObject>;
  /** Bearer token for `/api/admin/*` until operator sign-in exists. */
  ADMIN_TOKEN?: string;
  /** Reservation lifetime before the alarm expires it (ms). */
  RESERVATION_TTL_MS?: string;
  /** Origin credentials are looked up by the name a service stores (`originCredentialSecret`). */
  [secret: string]: unknown;
}

/** Who is calling a management route. */
export type Principal =
  | { kind: 'admin' }
  | { kind: 'account'; accountId: string; keyId: string };

export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    principal: Principal;
    /** The inference key's index entry, set by apiKeyAuth on /v1/*. */
    apiKey: KeyIndexEntry;
  };
}
