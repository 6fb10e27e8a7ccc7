/**
 * @module account/types
 * What crosses the RPC boundary between the worker and the account object.
 */
import type { Price } from '../../lib/money';
import type { KeyKind } from '../../lib/key-format';
import type { WindowKind } from '../../lib/local-clock';

export type SpendPeriod = 'day' | 'month';

/** The limits a key carries; null means "no limit of this kind" (or the service default). */
export interface KeyLimits {
  /** Public service names this key may call; null allows every service. */
  allowedServices: string[] | null;
  requestsPerMinute: number | null;
  /** Tokens per minute per service name; a service not listed uses its default. */
  tokensPerMinute: Record<string, number> | null;
  maxConcurrent: number | null;
  /** Lifetime spend cap. */
  spendLimitMicros: number | null;
  /** Spend cap per calendar period (UTC). */
  periodSpendLimitMicros: number | null;
  period: SpendPeriod | null;
  /** Epoch ms after which the key is refused. */
  expiresAt: number | null;
}

export interface KeyRecord extends KeyLimits {
  id: string;
  kind: KeyKind;
  name: string;
  prefix: string;
  last4: string;
  status: 'active' | 'revoked';
  createdAt: number;
  revokedAt: number | null;
  lastUsedAt: number | null;
  spentMicros: number;
  periodSpentMicros: number;
  periodStart: number | null;
  /** The project the key belongs to (inference keys; null for management keys). */
  projectId: string | null;
  /** The member (user id) who created it; null when created with a management key or by an admin. */
  createdBy: string | null;
  /** When a spend anomaly paused it (spend-watch.ts); admission refuses it until a member resumes it. */
  pausedAt: number | null;
  /** What the refusal of a paused key says: why, and where to resume it. */
  pausedReason: string | null;
}

/** The id of the project every organisation has from the start; keys made before projects are in it. */
export const DEFAULT_PROJECT_ID = 'proj_default';

/** Limits a project gives its new keys where the request names none. */
export type ProjectKeyDefaults = Partial<Pick<KeyLimits, 'requestsPerMinute' | 'maxConcurrent' | 'spendLimitMicros' | 'periodSpendLimitMicros' | 'period'>>;

/** A project: a group of keys with the models they may use, default limits for new keys, and members. */
export interface Project {
  id: string;
  name: string;
  /** Public model names its keys may use (null: any). Checked at admission with the key's own list. */
  allowedServices: string[] | null;
  keyDefaults: ProjectKeyDefaults;
  /** User ids of the members who work in it (developers see and manage only their projects' keys). */
  members: string[];
  createdAt: number;
  updatedAt: number;
}

export interface ProjectInput {
  name: string;
  allowedServices: string[] | null;
  keyDefaults: ProjectKeyDefaults;
  members: string[];
}

/** The service as admission needs it (from the catalog, price locked at admission). */
export interface AdmitService {
  id: string;
  name: string;
  endpoint: 'chat' | 'completions' | 'embeddings';
  price: Price;
  priceVersion: number;
  maxOutputTokens: number;
  defaults: { requestsPerMinute: number | null; tokensPerMinute: number | null; maxConcurrent: number | null };
}

export interface AdmitRequest {
  requestId: string;
  keyId: string;
  service: AdmitService;
  /** Upper bound on prompt tokens (reserved for money). */
  promptTokensUpper: number;
  /** Estimate of prompt tokens (reserved in the tokens-per-minute window). */
  promptTokensEstimate: number;
  /** `max_tokens` the client asked for, or null. Ignored for endpoints without output. */
  requestedMaxTokens: number | null;
  /**
   * The longest the worker lets this request live (it ends streams and body reads at this age).
   * The reservation is held for this plus a settle grace, so it cannot expire under a live request.
   */
  lifetimeMs: number;
  /** The end user the request is for (OpenAI's `user` field or `x-gateway-user`), for end-user budgets. */
  endUser?: string | null;
  /** Feature tags (name → value) the usage event is attributed to (routes/v1/tags.ts); absent when none. */
  tags?: Record<string, string>;
  /**
   * Services the worker offers as fallbacks (the models this account's fallback budgets name, as
   * the account object last told it), so a fallback is decided in this one round trip.
   */
  fallbacks?: AdmitService[];
  /** This admission is the fallback for that budget: it counts there but is not refused by it. */
  fallbackFor?: string;
}

export interface LimitState {
  limit: number;
  remaining: number;
  /** Milliseconds until the window has fully refilled. */
  resetMs: number;
}

export interface RateHeadersState {
  requests: LimitState | null;
  tokens: LimitState | null;
}

export type DenyReason =
  | 'invalid_api_key'
  | 'key_revoked'
  | 'key_expired'
  | 'key_paused'
  | 'account_suspended'
  | 'model_not_allowed'
  | 'rate_limit_requests'
  | 'rate_limit_tokens'
  | 'concurrency_limit'
  | 'spend_limit_exceeded'
  | 'insufficient_credit'
  | 'budget_exceeded';

/** What a budget limits: the whole organisation, a project, a member's keys, one key, one model, or each end user on its own. */
export type BudgetScope = 'organization' | 'project' | 'member' | 'key' | 'model' | 'end_user';
/**
 * block: refuse what the budget cannot afford; alert: only count and alert; fallback: serve the
 * request with `fallbackModel` instead of refusing it (docs/budgets.md).
 */
export type BudgetAction = 'block' | 'alert' | 'fallback';

/** A budget as it is written: a spending limit on a scope, per calendar window of the organisation's zone. */
export interface BudgetInput {
  name: string;
  scope: BudgetScope;
  /** The key the budget is for (scope key), or a key filter on an end-user budget. */
  keyId: string | null;
  /** The public model name the budget is for (scope model), or a model filter on an end-user budget. */
  model: string | null;
  /** The project the budget is for (scope project), or a project filter on a model or end-user budget. */
  projectId: string | null;
  /** The member (user id) whose keys the budget covers (scope member). */
  memberId: string | null;
  amountMicros: number;
  window: WindowKind;
  action: BudgetAction;
  /** Percentages of the amount at which an alert is raised, once per window (and subject), ascending. */
  thresholds: number[];
  /** The public model served instead when this budget cannot afford a request (action fallback). */
  fallbackModel: string | null;
}

export interface Budget extends BudgetInput {
  id: string;
  createdAt: number;
  updatedAt: number;
}

/** One budget's state now: what its current window has spent and holds for requests in flight. */
export interface BudgetUsage {
  /** The end user (end-user budgets), else null. */
  endUser: string | null;
  spentMicros: number;
  reservedMicros: number;
  remainingMicros: number;
  /** The highest threshold alerted in this window (0: none). */
  alertedPercent: number;
}

export interface BudgetStatus extends Budget {
  windowStart: number;
  /** When the current window ends (null: lifetime). */
  resetsAt: number | null;
  /** The organisation's zone the window follows. */
  timezone: string;
  /** Organisation, key and model budgets: one entry; end-user budgets: the end users of this window, most spent first (at most 50). */
  usage: BudgetUsage[];
  state: 'ok' | 'warning' | 'exceeded';
}

/** The organisation's calendar: the IANA zone budgets' windows follow and the first day of a week (0 Sunday … 6 Saturday). */
export interface CalendarSettings {
  timezone: string;
  weekStart: number;
}

/** Which budget window a grant was counted in; settlement charges that window. */
export interface GrantBudget {
  id: string;
  /** The end user (end-user budgets), else ''. */
  subject: string;
  windowStart: number;
}

/**
 * What admission granted one request, kept in the object's memory while the request runs and
 * handed to the worker, which sends it back with the settle. A settle whose reservation the object
 * no longer remembers (it was evicted or restarted in between) is charged from this, against the
 * pool its persisted marks kept back (holds.ts), so it is never lost and never charged twice.
 */
export interface Grant {
  requestId: string;
  keyId: string;
  /** The key's project at admission (absent on grants from before projects). */
  projectId?: string | null;
  serviceId: string;
  model: string;
  endpoint: AdmitService['endpoint'];
  priceVersion: number;
  price: Price;
  /** The worst case reserved: the most this request can be charged. */
  reservedMicros: number;
  /** Output tokens granted (the origin's max_tokens); a settle is clamped to it. */
  maxOutputTokens: number;
  /** Upper bound of the prompt's tokens; a settle is clamped to it. */
  promptTokensUpper: number;
  /** Tokens counted in the tokens-per-minute window at admission, corrected at settlement. */
  reservedTokens: number;
  promptTokensEstimate: number;
  /** Start of the rate window the tokens were counted in. */
  tokensWindowStart: number;
  keyPeriod: SpendPeriod;
  createdAt: number;
  /** When the object stops waiting for the settle and charges `reservedMicros` (hold until settle). */
  expiresAt: number;
  /** What it holds on each in-flight counter, by hold id (buckets.ts). */
  holds: Record<string, number>;
  /** The budget windows it counts in (absent on grants from before budgets). */
  budgets?: GrantBudget[];
  /** Attribution for the usage event: the key's creator, the end user, the feature tags (each absent when none). */
  memberId?: string;
  endUser?: string;
  tags?: Record<string, string>;
}

export type AdmitResult =
  | {
      ok: true;
      reservationId: string;
      maxTokens: number;
      reservedMicros: number;
      balanceMicros: number;
      limits: RateHeadersState;
      grant: Grant;
      /**
       * The grant holds a slot of a limited concurrency bucket: the worker delivers the settle before
       * the answer ends, so a client that sends its next request on receiving this one finds the slot free.
       */
      holdsSlot: boolean;
      /** Served by a fallback budget's model instead of the one asked for. */
      fallback?: { budgetId: string; budgetName: string; from: string; model: string };
      /** The models this account's fallback budgets name (for the worker to offer next time). */
      fallbackModels?: string[];
    }
  | {
      ok: false;
      reason: DenyReason;
      message: string;
      retryAfterMs?: number;
      limits?: RateHeadersState;
      /** The budget that refused (budget_exceeded). */
      budget?: { id: string; name: string; remainingMicros: number; resetsAt: number | null };
      /** A fallback budget refused and its model was not offered: admit again with it (`fallbackFor`). */
      fallback?: { model: string; budgetId: string };
      /** The models this account's fallback budgets name (for the worker to offer next time). */
      fallbackModels?: string[];
    };

/** How a request ended; `lifetime_exceeded`: the gateway ended it at the request lifetime cap. */
export type UsageStatus = 'ok' | 'client_closed' | 'origin_error' | 'origin_timeout' | 'lifetime_exceeded' | 'expired';

export interface SettleRequest {
  reservationId: string;
  inputTokens: number;
  outputTokens: number;
  /** True when the counts came from our tokenizer rather than the origin. */
  estimated: boolean;
  status: UsageStatus;
  model: string;
  latencyMs: number;
  ttftMs: number | null;
  /** The worker could not count what was produced: charge the reservation's upper bound. */
  chargeReserved?: boolean;
  /** What admission granted (from the admit result): lets the object charge a reservation it no longer remembers. */
  grant?: Grant;
}

export interface SettleResult {
  costMicros: number;
  balanceMicros: number;
  priceVersion: number;
  /** The tokens billed: the reported figures clamped to what admission granted. */
  inputTokens: number;
  outputTokens: number;
  /** True when this reservation had already been settled (the earlier result is returned). */
  duplicate: boolean;
  /** True when the object has no such reservation (never admitted, or settled and forgotten): nothing was charged. */
  unknown?: boolean;
}

/**
 * What a journal entry records. Credits: topup, promotion, dispute_reinstated, credit;
 * debits: usage, refund, dispute_withdrawn, reversal, debit; writeoff brings a negative balance
 * back to zero at the operator's expense.
 */
export type JournalKind =
  | 'usage'
  | 'topup'
  | 'refund'
  | 'dispute_withdrawn'
  | 'dispute_reinstated'
  | 'reversal'
  | 'promotion'
  | 'credit'
  | 'debit'
  | 'adjustment'
  | 'writeoff';

/** System ledger accounts on the other side of each entry (the D1 double-entry mirror). */
export type SystemAccount =
  | 'sys:revenue'
  | 'sys:card_clearing'
  | 'sys:bitcoin_clearing'
  | 'sys:promotions'
  | 'sys:dispute_hold'
  | 'sys:adjustments'
  | 'sys:writeoff';

export interface JournalEntry {
  seq: number;
  idempotencyKey: string;
  kind: JournalKind;
  counterAccount: SystemAccount;
  amountMicros: number;
  balanceAfterMicros: number;
  ref: string | null;
  reason: string | null;
  createdAt: number;
}

/** A balance change requested from outside the request path (payments, promotions, admin). */
export interface EntryInput {
  idempotencyKey: string;
  kind: JournalKind;
  /** Signed: positive credits the account, negative debits it. */
  amountMicros: number;
  counterAccount: SystemAccount;
  ref?: string | null;
  reason?: string | null;
}

/** One settled request, as written to D1 and Analytics Engine. */
export interface UsageEvent {
  id: string;
  accountId: string;
  keyId: string;
  projectId: string | null;
  serviceId: string;
  model: string;
  endpoint: string;
  inputTokens: number;
  outputTokens: number;
  costMicros: number;
  priceVersion: number;
  latencyMs: number;
  ttftMs: number | null;
  status: UsageStatus;
  estimated: boolean;
  createdAt: number;
  /** The organisation's zone and local day number (days since 1970-01-01) at `createdAt`, for the daily rollups. */
  tz?: string;
  day?: number;
  /** Who created the key, the end user, the feature tags (null when none). */
  memberId?: string | null;
  endUser?: string | null;
  tags?: Record<string, string> | null;
}
