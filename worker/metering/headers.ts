/**
 * @module metering/headers
 * What every /v1 response tells the client: OpenAI's `x-ratelimit-*` headers, and the
 * gateway's cost, balance and price version.
 */
import type { RateHeadersState, SettleResult } from '../durable-objects/account/types';
import { microsToUsd } from '../lib/money';

/** OpenAI's duration format for `x-ratelimit-reset-*`: "20ms", "6s", "1m30s". */
export function formatReset(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.ceil(ms))}ms`;
  const seconds = Math.ceil(ms / 1000);
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes}m${seconds % 60}s` : `${seconds}s`;
}

/** `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` for the limits that apply. */
export function rateLimitHeaders(limits: RateHeadersState | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, state] of [
    ['requests', limits?.requests],
    ['tokens', limits?.tokens],
  ] as const) {
    if (!state) continue;
    headers[`x-ratelimit-limit-${name}`] = String(state.limit);
    headers[`x-ratelimit-remaining-${name}`] = String(state.remaining);
    headers[`x-ratelimit-reset-${name}`] = formatReset(state.resetMs);
  }
  return headers;
}

/** Cost headers once a request is settled. */
export function costHeaders(result: SettleResult, estimated: boolean): Record<string, string> {
  return {
    'x-gateway-cost-micros': String(result.costMicros),
    'x-gateway-cost-usd': microsToUsd(result.costMicros),
    'x-gateway-balance-micros': String(result.balanceMicros),
    'x-gateway-price-version': String(result.priceVersion),
    'x-gateway-usage-estimated': String(estimated),
  };
}

/** The body of the final stream chunk that carries the cost. */
export function costPayload(requestId: string, result: SettleResult, estimated: boolean) {
  return {
    request_id: requestId,
    cost_micros: result.costMicros,
    cost_usd: microsToUsd(result.costMicros),
    balance_micros: result.balanceMicros,
    price_version: result.priceVersion,
    usage_estimated: estimated,
  };
}
