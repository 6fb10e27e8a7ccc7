/** Types for ./seed.mjs: demo data created through the gateway's admin API. */

/** What `npm start` writes to .local/demo.json. */
export interface DemoRecord {
  gatewayUrl: string;
  dashboardUrl: string;
  /** API key of the demo user's own billing account ($10.00 of credit). */
  apiKey: string;
  /** The demo operator (role admin): sign in on the dashboard with these. */
  adminEmail: string;
  adminPassword: string;
  /** The demo user, owner of the funded account. */
  userEmail: string;
  userPassword: string;
  /** API key of the "Low balance demo" account (300 µUSD of credit). */
  lowBalanceApiKey: string;
  model: 'demo-llm';
  embeddingModel: 'demo-embed';
  accountId: string;
  lowBalanceAccountId: string;
  /** Management key secret of the demo user's account. */
  managementKey: string;
  /** Never the token itself; it lives in .dev.vars. */
  adminToken: string;
  /** The demo user's budgets: a barely used monthly organisation cap, the demo key's daily cap past 80 %, a per-customer budget. */
  budgets: { organization: string; key: string; endUser: string };
  /** The demo user's organisation: two projects, a developer in Research and a viewer (sign in with these). */
  organization: {
    id: string;
    projects: { production: string; research: string };
    developer: { email: string; password: string; userId: string };
    viewer: { email: string; password: string; userId: string };
    /** The developer's Research key, when this run issued it (shown once). */
    researchApiKey: string | null;
  };
  /** The demo history this run found or imported (scripts/lib/seed-history.mjs); null without DEMO_HISTORY=1. */
  history?: DemoHistory | null;
}

/** What POST /api/admin/demo/{id}/history reports (local day numbers are days since 1970-01-01). */
export interface DemoHistory {
  imported: boolean;
  alreadyImported: boolean;
  events: number;
  totalMicros: number;
  firstDay: number;
  lastDay: number;
  spikeDay: number;
  monthToDateMicros: number;
  monthStart: number;
  monthEnd: number;
  timezone: string;
}

export interface SeedOptions {
  /** e.g. http://127.0.0.1:8787 */
  gatewayUrl: string;
  /** ADMIN_TOKEN, sent as a bearer token to /api/admin/*. */
  adminToken: string;
  /** The demo origin's OpenAI base URL, stored as the services' originBaseUrl. Default http://127.0.0.1:9100/v1. */
  originUrl?: string;
  /** Recorded in the result. Default http://127.0.0.1:8788. */
  dashboardUrl?: string;
  /** The local webhook inbox (e.g. http://127.0.0.1:9200): the demo's webhook channel points at it. */
  inboxUrl?: string;
  /** The demo admin's address; must be in ADMIN_EMAILS. Default admin@example.com. */
  adminEmail?: string;
  /** The demo user's address. Default demo@example.com. */
  userEmail?: string;
  /** Defaults to the global fetch; tests may pass SELF.fetch. */
  fetch?: typeof fetch;
}

export interface DemoServiceBody {
  name: string;
  endpoints: string[];
  originBaseUrl: string;
  originCredentialSecret: string;
  prices: { inputMicrosPer1M: number; outputMicrosPer1M: number; requestMicros: number };
  maxOutputTokens: number;
}

export const DEMO_CREDIT_MICROS: 10_000_000;
export const LOW_BALANCE_CREDIT_MICROS: 300;
/** Limits of the demo key (requests and tokens per minute). */
export const DEMO_KEY_LIMITS: Readonly<{ requestsPerMinute: 60; tokensPerMinute: Readonly<{ '*': 100_000 }> }>;
export const DEMO_ADMIN_EMAIL: 'admin@example.com';
export const DEMO_USER_EMAIL: 'demo@example.com';

/** The demo services in the admin API's body shape. */
export function demoServices(originBaseUrl: string): DemoServiceBody[];

/** Create the demo services, the demo admin and user (real sign-up + outbox verification), fund the user's account and the low-balance account, and issue their keys. */
export function seedDemo(options: SeedOptions): Promise<DemoRecord>;

/** Whether a saved demo record's API key still lists models on this gateway. */
export function demoStillWorks(demo: Pick<DemoRecord, 'apiKey'>, options: { gatewayUrl: string; fetch?: typeof fetch }): Promise<boolean>;
