/**
 * @module api/types
 * The shapes the dashboard reads from the gateway's /api (money in integer µUSD).
 */
import type { Organization, Role } from './organization-types';

export type * from './organization-types';
export type * from './analytics-types';

export interface Me {
  user: { id: string; email: string; name: string; role: string; emailVerified: boolean; twoFactorEnabled: boolean };
  account: { id: string; name: string } | null;
  /** The organisation this request acted on (x-gateway-organization, else the personal one); null when the user has none. */
  organization: { id: string; name: string; role: Role } | null;
  organizations: Organization[];
  csrfToken: string;
}

export interface AccountView {
  id: string;
  name: string | null;
  status: string;
  balanceMicros: number;
  reservedMicros: number;
  availableMicros: number;
}

export interface KeyLimitsView {
  allowedServices: string[] | null;
  requestsPerMinute: number | null;
  tokensPerMinute: Record<string, number> | null;
  maxConcurrent: number | null;
  spendLimitMicros: number | null;
  periodSpendLimitMicros: number | null;
  period: 'day' | 'month' | null;
}

export interface KeyView {
  id: string;
  name: string;
  kind: string;
  prefix: string;
  last4: string;
  status: 'active' | 'revoked';
  createdAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
  expiresAt: string | null;
  limits: KeyLimitsView;
  spentMicros: number;
  periodSpentMicros: number;
  /** The project it is in (null for management keys). */
  projectId: string | null;
  /** The member (user id) who created it; null when made with a management key. */
  createdBy: string | null;
  /** When a spend anomaly paused it (refused until a member resumes it in Anomalies). */
  pausedAt: string | null;
  pausedReason: string | null;
}

/** The body of a key create or edit (null clears a limit). */
export interface KeyInput extends Partial<KeyLimitsView> {
  name?: string;
  expiresAt?: number | null;
  /** The project it goes in (create) or moves to (edit). */
  projectId?: string;
}

export interface MethodStatus {
  available: boolean;
  message: string;
}

export interface BillingView {
  methods: { card: MethodStatus; bitcoin: MethodStatus };
  topupBounds: { minCents: number; maxCents: number };
  autoRecharge: {
    enabled: boolean;
    thresholdMicros: number;
    amountCents: number;
    monthlyCapCents: number;
    monthChargedCents: number;
    hasSavedCard: boolean;
    inFlight: boolean;
    notice: string | null;
  };
}

export interface Topup {
  id: string;
  method: 'card' | 'bitcoin';
  kind: string;
  status: string;
  amountCents: number;
  creditMicros: number;
  creditedMicros: number;
  refundedMicros: number;
  disputedMicros: number;
  flags: string[];
  checkoutUrl: string | null;
  createdAt: string;
  paidAt: string | null;
  error: string | null;
}

/** A top-up in the admin list: the account's own view plus whose it is. */
export interface AdminTopup extends Topup {
  accountId: string;
  providerRef: string | null;
}

export interface Receipt {
  number: string;
  issuedTo: string;
  accountId: string;
  paidAt: string | null;
  method: string;
  kind: string;
  amountUsd: string;
  creditedMicros: number;
  refundedUsd: string;
  providerReference: string | null;
  status: string;
}

export interface Transaction {
  date: string;
  type: string;
  description: string;
  amountMicros: number;
  balanceAfterMicros: number;
  reference: string | null;
  count: number;
}

export interface Price {
  inputMicrosPer1M: number;
  outputMicrosPer1M: number;
  requestMicros: number;
}

export interface Service {
  id: string;
  name: string;
  endpoints: string[];
  originBaseUrl: string;
  originFlavour: string;
  originModel: string;
  maxOutputTokens: number;
  /** Whether the request's feature tags are sent to the origin (x-gateway-tags). */
  forwardTags: boolean;
  price: Price;
  priceVersion: number;
  status: 'active' | 'disabled';
  priceHistory?: Array<Price & { version: number; createdAt: number }>;
}

export interface AdminAccount {
  id: string;
  name: string;
  status: string;
  ownerEmail?: string | null;
  balanceMicros?: number | null;
  createdAt: string | number;
}

/** One entry of an account's journal (the ledger itself, newest first). */
export interface JournalEntry {
  seq: number;
  idempotencyKey: string;
  kind: string;
  counterAccount: string;
  amountMicros: number;
  balanceAfterMicros: number;
  ref: string | null;
  reason: string | null;
  createdAt: number;
}

export interface Promotion {
  code: string;
  amountMicros: number;
  maxUses: number;
  uses: number;
  expiresAt: number | null;
  createdAt: number;
}

export interface ReviewItem {
  id: string;
  kind: string;
  accountId: string | null;
  topupId: string | null;
  message: string;
  status: 'open' | 'resolved';
  createdAt: number;
  resolvedAt: number | null;
}

/** One admin action; `details` is the JSON the action recorded (or null). */
export interface AuditEntry {
  id: string;
  actor: string;
  action: string;
  target: string | null;
  details: string | null;
  createdAt: number;
}

export interface MailMessage {
  id: string;
  to: string;
  subject: string;
  text: string;
  html: string | null;
  links: string[];
  createdAt: string | number;
}

export type BudgetScope = 'organization' | 'project' | 'member' | 'key' | 'model' | 'end_user';
export type BudgetWindow = 'hour' | 'day' | 'week' | 'month' | 'lifetime';
export type BudgetAction = 'block' | 'alert' | 'fallback';

/** A budget's spend in its current window: one entry, or one per end user (end-user budgets). */
export interface BudgetUsage {
  endUser: string | null;
  spentMicros: number;
  /** Held for requests in flight. */
  reservedMicros: number;
  remainingMicros: number;
  /** The highest threshold alerted in this window (0: none). */
  alertedPercent: number;
}

export interface Budget {
  id: string;
  name: string;
  scope: BudgetScope;
  keyId: string | null;
  model: string | null;
  /** The project (project budgets; a filter of model and end-user budgets). */
  projectId: string | null;
  /** The member, a user id (member budgets: every key they created). */
  memberId: string | null;
  amountMicros: number;
  window: BudgetWindow;
  action: BudgetAction;
  thresholds: number[];
  /** The model served instead when the budget cannot afford a request (action fallback). */
  fallbackModel: string | null;
  createdAt: number;
  updatedAt: number;
  /** Start of the current window (epoch ms; 0 for lifetime). */
  windowStart: number;
  /** When the current window ends (epoch ms); null for lifetime. */
  resetsAt: number | null;
  timezone: string;
  usage: BudgetUsage[];
  state: 'ok' | 'warning' | 'exceeded';
}

/** The body of a budget create, or (without scope) of an edit. */
export interface BudgetInput {
  name: string;
  scope?: BudgetScope;
  keyId: string | null;
  model: string | null;
  projectId: string | null;
  memberId: string | null;
  amountMicros: number;
  window: BudgetWindow;
  action: BudgetAction;
  thresholds: number[];
  fallbackModel: string | null;
}

/** The time zone and week start budget windows follow (weekStart: 0 Sunday … 6 Saturday). */
export interface Calendar {
  timezone: string;
  weekStart: number;
}

/** An alert (GET /api/account/alerts): a budget threshold, a low balance or an auto-recharge failure. Budget fields are null for the others. */
export interface BudgetAlert {
  id: string;
  type: AlertType;
  /** One sentence for people. */
  message: string;
  budgetId: string | null;
  budgetName: string | null;
  scope: string | null;
  endUser: string | null;
  window: BudgetWindow | null;
  windowStart: number | null;
  resetsAt: number | null;
  percent: number | null;
  spentMicros: number | null;
  amountMicros: number | null;
  action: BudgetAction | null;
  requestId: string | null;
  /** The numbers behind an anomaly or a forecast alert. */
  details: Record<string, unknown> | null;
  createdAt: number;
}

/** What raises an alert (docs/notifications.md). */
export type AlertType = 'budget.threshold' | 'balance.low' | 'auto_recharge.failed' | 'anomaly.key_spend' | 'anomaly.daily' | 'budget.forecast';

export type NotificationChannelKind = 'email' | 'webhook' | 'slack';

/** Where alerts go: e-mail addresses, a signed webhook, or a Slack-compatible incoming webhook. */
export interface NotificationChannel {
  id: string;
  kind: NotificationChannelKind;
  name: string;
  /** The URL (webhook, slack) or the addresses (email). */
  target: string | string[];
  /** The alert types it receives. */
  events: AlertType[];
  enabled: boolean;
  /** "…abcd": the end of a webhook's signing secret (the secret itself is shown once); null otherwise. */
  secretHint: string | null;
  createdAt: number;
  updatedAt: number;
}

/** The body of a channel create. */
export interface NotificationChannelInput {
  kind: NotificationChannelKind;
  name: string;
  target: string | string[];
  events?: AlertType[];
  enabled?: boolean;
}

/** The body of a channel edit (its kind cannot change). */
export type NotificationChannelPatch = Partial<Omit<NotificationChannelInput, 'kind'>>;

/** One attempt to deliver: the status code (null for e-mail or when no answer came) or the error. */
export interface DeliveryAttempt {
  at: number;
  statusCode: number | null;
  error: string | null;
  ms: number;
}

/** One alert (or test) on its way to one channel, with every attempt. */
export interface NotificationDelivery {
  id: string;
  channelId: string;
  eventId: string;
  eventType: AlertType | 'test';
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  nextAttemptAt: number | null;
  lastStatusCode: number | null;
  lastError: string | null;
  /** Oldest first (the last 20). */
  log: DeliveryAttempt[];
  createdAt: number;
  deliveredAt: number | null;
}

/** The low-balance alert: µUSD, or null for off. */
export interface AlertSettings {
  lowBalanceMicros: number | null;
}
