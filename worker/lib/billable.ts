/**
 * @module lib/billable
 * What one settled request is charged, as a pure function of what admission granted and what the
 * worker counted. The account object charges it; the worker computes the same figure for the
 * response's cost header and stream comment without waiting for the object (the settle is sent
 * after the response, and the object's charge is this same function of the same inputs).
 */
import { costMicros, type Price } from './money';
import type { UsageStatus } from '../durable-objects/account/types';

/** What the worker counted for one request. */
export interface Counted {
  inputTokens: number;
  outputTokens: number;
  status: UsageStatus;
  /** The worker could not count: charge the reserved upper bound. */
  chargeReserved?: boolean;
}

/** What admission granted: the ceilings a settle is clamped to (null on reservations older than the clamp). */
export interface Ceilings {
  price: Price;
  reservedMicros: number | null;
  maxOutputTokens: number | null;
  promptTokensUpper: number | null;
}

export interface Billed {
  inputTokens: number;
  outputTokens: number;
  costMicros: number;
  /** The origin reported more than was granted; the excess was not charged. */
  overrun: boolean;
}

const ORIGIN_FAILURES: UsageStatus[] = ['origin_error', 'origin_timeout'];

/**
 * Cost of a settled request: nothing when the origin failed before any output, or when a request
 * that did not end normally (client gone, lifetime cap) produced nothing at all. A client that left
 * after the origin did the work (an embedding, a non-streamed answer) pays for it.
 */
export function chargeFor(price: Price, req: Pick<Counted, 'inputTokens' | 'outputTokens' | 'status'>): number {
  if (ORIGIN_FAILURES.includes(req.status) && req.outputTokens === 0) return 0;
  if (req.status !== 'ok' && req.inputTokens === 0 && req.outputTokens === 0) return 0;
  return costMicros(price, req);
}

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
const UNBOUNDED = Number.MAX_SAFE_INTEGER;

/** What a settle is charged: the reported usage clamped to the grant, or the grant itself when it could not be counted. */
export function billable(grant: Ceilings, req: Counted): Billed {
  const maxOut = grant.maxOutputTokens ?? UNBOUNDED;
  const maxIn = grant.promptTokensUpper ?? UNBOUNDED;
  const cap = grant.reservedMicros ?? UNBOUNDED;
  if (req.chargeReserved || !isCount(req.inputTokens) || !isCount(req.outputTokens)) {
    const inputTokens = grant.promptTokensUpper ?? 0;
    const outputTokens = grant.maxOutputTokens ?? 0;
    return { inputTokens, outputTokens, costMicros: grant.reservedMicros ?? costMicros(grant.price, { inputTokens, outputTokens }), overrun: false };
  }
  const inputTokens = Math.min(req.inputTokens, maxIn);
  const outputTokens = Math.min(req.outputTokens, maxOut);
  return {
    inputTokens,
    outputTokens,
    costMicros: Math.min(chargeFor(grant.price, { inputTokens, outputTokens, status: req.status }), cap),
    overrun: req.inputTokens > maxIn || req.outputTokens > maxOut,
  };
}
