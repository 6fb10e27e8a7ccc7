/**
 * @module metering/settle
 * Turns what the origin produced into one settlement: the origin's reported usage when it sent
 * one, otherwise a tokenizer count (marked estimated).
 *
 * The settle is sent after the response, not before it: the charge is a pure function of the
 * grant admission returned and the counts (lib/billable.ts), so the worker computes it for the
 * client's cost header or stream comment at once, and sends the settle (with the grant, so the
 * object can charge it even after a restart) to be group-committed while the client already has
 * its answer. `delivered` resolves when the object has it; the handler keeps the request alive
 * (waitUntil) until then.
 *
 * Settlement cannot throw: when the worker cannot count (a body the tokenizer chokes on, any
 * error while counting), it asks the object to charge the reserved upper bound. Settlement is
 * idempotent in the account object (by request id), so delivery is retried: a few times with
 * back-off inside the request, then durably from D1 by the per-minute cron until it lands
 * (metering/pending-settlements.ts). If even that write fails, the reservation's alarm charges the
 * reserved upper bound, so a lost settle can overcharge until corrected, never undercharge.
 */
import type { Grant, SettleRequest, SettleResult, UsageStatus } from '../durable-objects/account/types';
import { billable } from '../lib/billable';
import type { AccountBooks } from '../durable-objects/account';
import type { Env } from '../env';
import { countPromptTokens, countTokens } from '../lib/tokens';
import type { UpstreamUsage } from '../origins/types';
import { analyticsEngineSink } from '../services/analytics';
import type { CatalogService, Endpoint } from '../services/catalog';
import { queueSettlement } from './pending-settlements';

export interface SettleContext {
  env: Env;
  /** The account object's stub the request was admitted on (calls on one stub arrive in order). */
  stub?: DurableObjectStub<AccountBooks>;
  requestId: string;
  accountId: string;
  keyId: string;
  service: CatalogService;
  endpoint: Endpoint;
  requestBody: Record<string, unknown>;
  startedAt: number;
  /** What admission granted (set once admitted); the object charges a forgotten reservation from it. */
  grant?: Grant;
  /** The balance admission saw: the cost header reports it less this request's charge. */
  balanceMicros?: number;
}

export interface Outcome {
  usage: UpstreamUsage | null;
  /** Text the origin produced so far (used only when it reported no usage). */
  text: string;
  status: UsageStatus;
  ttftMs: number | null;
  /** The worker knows output was produced but cannot count it: charge the reserved upper bound. */
  uncountable?: boolean;
  /**
   * A floor on the output tokens (the stream was stopped for passing the grant): the count sent is
   * at least this, so the object clamps it to the grant and raises a review item for the operator.
   */
  outputAtLeast?: number;
}

export interface Settled {
  result: SettleResult;
  estimated: boolean;
  /** Resolves once the account object has the settle (null: queued durably for the cron to deliver). */
  delivered: Promise<SettleResult | null>;
}

/** Back-off between in-request delivery attempts (ms): about 6 s in all, well inside waitUntil's 30 s. */
const BACKOFF_MS = [100, 200, 400, 800, 1600, 3200];

type Counted = Pick<SettleRequest, 'inputTokens' | 'outputTokens' | 'estimated' | 'chargeReserved'>;

/** Counts an outcome; never throws. */
async function count(ctx: SettleContext, outcome: Outcome): Promise<Counted> {
  if (outcome.uncountable) return { inputTokens: 0, outputTokens: 0, estimated: true, chargeReserved: true };
  const floor = outcome.outputAtLeast ?? 0;
  if (outcome.usage) return { inputTokens: outcome.usage.inputTokens, outputTokens: Math.max(outcome.usage.outputTokens, floor), estimated: false };
  try {
    // Nothing produced and not a normal end (origin failure, client gone): nothing to count.
    const producedNothing = outcome.text === '' && outcome.status !== 'ok';
    return {
      inputTokens: producedNothing ? 0 : await countPromptTokens(ctx.requestBody),
      outputTokens: Math.max(await countTokens(outcome.text), floor),
      estimated: true,
    };
  } catch (error) {
    console.error(
      JSON.stringify({ level: 'error', requestId: ctx.requestId, msg: 'could not count usage; charging the reserved upper bound', error: String(error) }),
    );
    return { inputTokens: 0, outputTokens: 0, estimated: true, chargeReserved: true };
  }
}

/**
 * Settles a request: counts it, and sends the settle to the account object. Resolves with the
 * charge as soon as it is counted (computed here from the grant, exactly as the object computes
 * it); `delivered` follows. Null only when the request was never admitted with a grant and the
 * object could not be reached.
 */
export async function settleRequest(ctx: SettleContext, outcome: Outcome): Promise<Settled | null> {
  const counted = await count(ctx, outcome);
  const request: SettleRequest = {
    reservationId: ctx.requestId,
    ...counted,
    status: outcome.status,
    model: ctx.service.name,
    latencyMs: Date.now() - ctx.startedAt,
    ttftMs: outcome.ttftMs,
    ...(ctx.grant ? { grant: ctx.grant } : {}),
  };
  const estimated = request.estimated || !!request.chargeReserved;
  const delivered = deliver(ctx, request);
  if (!ctx.grant) {
    const result = await delivered;
    return result ? { result, estimated, delivered } : null;
  }
  const billed = billable(ctx.grant, request);
  const result: SettleResult = {
    costMicros: billed.costMicros,
    balanceMicros: (ctx.balanceMicros ?? 0) - billed.costMicros,
    priceVersion: ctx.grant.priceVersion,
    inputTokens: billed.inputTokens,
    outputTokens: billed.outputTokens,
    duplicate: false,
  };
  return { result, estimated, delivered };
}

/** Sends the settle, retrying with back-off, then queues it durably; never throws. */
async function deliver(ctx: SettleContext, request: SettleRequest): Promise<SettleResult | null> {
  const stub = ctx.stub ?? ctx.env.ACCOUNT.get(ctx.env.ACCOUNT.idFromName(ctx.accountId));
  let lastError: unknown;
  for (let attempt = 0; attempt <= BACKOFF_MS.length; attempt++) {
    try {
      const result = await stub.settle(request);
      if (result.unknown) {
        console.error(JSON.stringify({ level: 'error', requestId: ctx.requestId, msg: 'settle for a reservation the object does not know' }));
        return null;
      }
      record(ctx, request, result);
      return result;
    } catch (error) {
      lastError = error;
      if (attempt < BACKOFF_MS.length) await new Promise((resolve) => setTimeout(resolve, BACKOFF_MS[attempt]));
    }
  }
  await queueSettlement(ctx.env, ctx.accountId, request, lastError);
  return null;
}

/** One Analytics Engine point per settled request; a failing sink never fails the settle. */
function record(ctx: SettleContext, request: SettleRequest, result: SettleResult): void {
  try {
    analyticsEngineSink(ctx.env.USAGE).write({
      id: ctx.requestId,
      accountId: ctx.accountId,
      keyId: ctx.keyId,
      projectId: ctx.grant?.projectId ?? null,
      serviceId: ctx.service.id,
      model: ctx.service.name,
      endpoint: ctx.endpoint,
      inputTokens: result.inputTokens,
      outputTokens: result.outputTokens,
      costMicros: result.costMicros,
      priceVersion: result.priceVersion,
      latencyMs: request.latencyMs,
      ttftMs: request.ttftMs,
      status: request.status,
      estimated: request.estimated || !!request.chargeReserved,
      createdAt: ctx.startedAt,
    });
  } catch (error) {
    console.error(JSON.stringify({ level: 'error', requestId: ctx.requestId, msg: 'analytics write failed', error: String(error) }));
  }
}
