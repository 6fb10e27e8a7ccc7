/**
 * @module metering/settle
 * Turns what the origin produced into one settlement: the origin's reported usage when it
 * sent one, otherwise a tokenizer count (marked estimated). Settlement is idempotent in the
 * account object, so it is retried on transient RPC failure; if every try fails, the
 * reservation's alarm closes it.
 */
import type { SettleResult, UsageStatus } from '../durable-objects/account/types';
import type { AccountObject } from '../durable-objects/account';
import type { Env } from '../env';
import { countPromptTokens, countTokens } from '../lib/tokens';
import type { UpstreamUsage } from '../origins/types';
import { analyticsEngineSink } from '../services/analytics';
import type { CatalogService, Endpoint } from '../services/catalog';

export interface SettleContext {
  env: Env;
  /** The account object's stub the request was admitted on (calls on one stub arrive in order). */
  stub?: DurableObjectStub<AccountObject>;
  requestId: string;
  accountId: string;
  keyId: string;
  service: CatalogService;
  endpoint: Endpoint;
  requestBody: Record<string, unknown>;
  startedAt: number;
}

export interface Outcome {
  usage: UpstreamUsage | null;
  /** Text the origin produced so far (used only when it reported no usage). */
  text: string;
  status: UsageStatus;
  ttftMs: number | null;
}

export interface Settled {
  result: SettleResult;
  estimated: boolean;
}

const ATTEMPTS = 3;

/** Settles a request; resolves to null only if the account object could not be reached. */
export async function settleRequest(ctx: SettleContext, outcome: Outcome): Promise<Settled | null> {
  let usage = outcome.usage;
  const estimated = usage === null;
  if (!usage) {
    // Nothing produced and not a normal end (origin failure, client gone): nothing to count.
    const producedNothing = outcome.text === '' && outcome.status !== 'ok';
    usage = {
      inputTokens: producedNothing ? 0 : await countPromptTokens(ctx.requestBody),
      outputTokens: await countTokens(outcome.text),
    };
  }
  const latencyMs = Date.now() - ctx.startedAt;
  const stub = ctx.stub ?? ctx.env.ACCOUNT.get(ctx.env.ACCOUNT.idFromName(ctx.accountId));
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await stub.settle({
        reservationId: ctx.requestId, inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, estimated,
        status: outcome.status, model: ctx.service.name, latencyMs, ttftMs: outcome.ttftMs,
      });
      analyticsEngineSink(ctx.env.USAGE).write({
        id: ctx.requestId, accountId: ctx.accountId, keyId: ctx.keyId, serviceId: ctx.service.id, model: ctx.service.name,
        endpoint: ctx.endpoint, inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, costMicros: result.costMicros,
        priceVersion: result.priceVersion, latencyMs, ttftMs: outcome.ttftMs, status: outcome.status, estimated, createdAt: ctx.startedAt,
      });
      return { result, estimated };
    } catch (error) {
      if (attempt >= ATTEMPTS) {
        console.error(JSON.stringify({ level: 'error', requestId: ctx.requestId, msg: 'settlement failed; the alarm will expire the reservation', error: String(error) }));
        return null;
      }
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    }
  }
}
