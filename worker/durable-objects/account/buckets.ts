/**
 * @module account/buckets
 * Every limit is a bucket: a limit in one unit (µUSD, requests or tokens), what was already used
 * against it, and what requests in flight hold on it. Admission passes only if every applicable
 * bucket passes, and clamps the output to the tightest money bucket. Adding a scope (an
 * organisation, project, member, end user or model budget) is adding definitions here; admission
 * itself (admission.ts) does not change, and stays O(number of buckets).
 *
 * Two kinds of bucket:
 * - **held**: in-flight amounts are held on a named counter (holds.ts) until settlement, and the
 *   used amount is committed spend — the balance, a key's lifetime and period spend, a key's
 *   concurrency. Several buckets may share one hold (a key's lifetime and period spend are held
 *   by the same requests).
 * - **window**: a sliding one-minute window (rate-window.ts) counting the request at admission
 *   and corrected at settlement — requests and tokens per minute.
 */
import type { AccountRow } from './ledger';
import type { Holds } from './holds';
import { periodStart } from './period';
import { cellsAt, fits, retryAfterMs, type RateCell, WINDOW_MS } from './rate-window';
import type { AdmitService, DenyReason, KeyRecord } from './types';

export type Unit = 'micros' | 'requests' | 'tokens';

export interface Bucket {
  id: string;
  unit: Unit;
  /** Null: nothing to enforce (the bucket still holds, so a limit set later sees what is in flight). */
  limit: number | null;
  /** Committed use counted against the limit. */
  used: number;
  /** The in-flight counter (held buckets). */
  hold?: string;
  /** The sliding window (window buckets). */
  cell?: RateCell;
  reason: DenyReason;
  message: string;
  /** A budget's bucket: which budget, for whom, and the window it counts in (budgets.ts). */
  budget?: { id: string; name: string; subject: string; windowStart: number; resetsAt: number | null; fallbackModel?: string };
}

/** Hold ids: the account's balance and, per key, its spend and its open requests. */
export const HOLD_BALANCE = 'balance';
export const keySpendHold = (keyId: string): string => `key:${keyId}:spend`;
export const keyCountHold = (keyId: string): string => `key:${keyId}:n`;

/** What one request asks of a bucket, in the bucket's unit. */
export interface Need {
  micros: number;
  requests: number;
  tokens: number;
}

/** Room left in a bucket now (Infinity when it has no limit). Window buckets answer through `passes`. */
export function headroom(bucket: Bucket, holds: Holds, now: number): number {
  if (bucket.limit === null) return Number.POSITIVE_INFINITY;
  if (bucket.cell) return Number.POSITIVE_INFINITY;
  return bucket.limit - bucket.used - (bucket.hold ? holds.held(bucket.hold, now) : 0);
}

/** Whether `amount` more fits in the bucket. */
export function passes(bucket: Bucket, amount: number, holds: Holds, now: number): boolean {
  if (bucket.limit === null) return true;
  if (bucket.cell) return fits(cellsAt(bucket.cell, now), amount, bucket.limit);
  return amount <= headroom(bucket, holds, now);
}

/** When `amount` would fit in a window bucket (null: never, it exceeds the limit). */
export function retryAfter(bucket: Bucket, amount: number, now: number): number | null {
  if (!bucket.cell || bucket.limit === null) return null;
  return retryAfterMs(cellsAt(bucket.cell, now), amount, bucket.limit);
}

/** The buckets that apply to one request of `key` on `service`, in the order they are checked. */
export function bucketsFor(account: AccountRow, key: KeyRecord, service: AdmitService, now: number, cell: (scope: string) => RateCell): Bucket[] {
  const rpm = key.requestsPerMinute ?? service.defaults.requestsPerMinute;
  const tpm = key.tokensPerMinute?.[service.name] ?? key.tokensPerMinute?.['*'] ?? service.defaults.tokensPerMinute;
  const maxConcurrent = key.maxConcurrent ?? service.defaults.maxConcurrent;
  const spentThisPeriod = key.periodStart === periodStart(key.period ?? 'month', now) ? key.periodSpentMicros : 0;
  const buckets: Bucket[] = [
    {
      id: 'key.concurrency',
      unit: 'requests',
      limit: maxConcurrent,
      used: 0,
      hold: keyCountHold(key.id),
      reason: 'concurrency_limit',
      message: `This key allows ${maxConcurrent} concurrent requests.`,
    },
  ];
  // Windows count every request, limited or not, so a limit set later sees the last minute.
  buckets.push({
    id: 'key.rpm',
    unit: 'requests',
    limit: rpm,
    used: 0,
    cell: cell('rpm'),
    reason: 'rate_limit_requests',
    message: `Rate limit reached: ${rpm} requests per minute for this key.`,
  });
  buckets.push(
    {
      id: 'account.balance',
      unit: 'micros',
      limit: account.balance_micros,
      used: 0,
      hold: HOLD_BALANCE,
      reason: 'insufficient_credit',
      message: 'Your credit balance is too low for this request. Top up to continue.',
    },
    {
      id: 'key.lifetime',
      unit: 'micros',
      limit: key.spendLimitMicros,
      used: key.spentMicros,
      hold: keySpendHold(key.id),
      reason: 'spend_limit_exceeded',
      message: "This request would exceed the key's spend limit.",
    },
  );
  if (key.periodSpendLimitMicros !== null) {
    buckets.push({
      id: 'key.period',
      unit: 'micros',
      limit: key.periodSpendLimitMicros,
      used: spentThisPeriod,
      hold: keySpendHold(key.id),
      reason: 'spend_limit_exceeded',
      message: "This request would exceed the key's spend limit.",
    });
  }
  buckets.push({
    id: 'key.tpm',
    unit: 'tokens',
    limit: tpm,
    used: 0,
    cell: cell(`tpm:${service.id}`),
    reason: 'rate_limit_tokens',
    message: `Rate limit reached: ${tpm} tokens per minute for this key.`,
  });
  return buckets;
}

/** The window that resets fully, for `x-ratelimit-reset-*`. */
export const RATE_WINDOW_MS = WINDOW_MS;
