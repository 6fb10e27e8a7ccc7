/**
 * @module money
 * All money is integer micro-dollars (µUSD). Prices are µUSD per 1M tokens plus µUSD per
 * request. A request's cost is computed exactly in BigInt and rounded up once:
 *   cost = requestMicros + ceil((input × inputPer1M + output × outputPer1M) / 1,000,000)
 * Nothing here touches a float.
 */

export interface Price {
  inputMicrosPer1M: number;
  outputMicrosPer1M: number;
  requestMicros: number;
}

export interface TokenCounts {
  inputTokens: number;
  outputTokens: number;
}

const MILLION = 1_000_000n;

function assertCount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
}

/** Exact cost of a request, rounded up once to the next µUSD. */
export function costMicros(price: Price, usage: TokenCounts): number {
  assertCount('inputTokens', usage.inputTokens);
  assertCount('outputTokens', usage.outputTokens);
  const tokenPart = BigInt(usage.inputTokens) * BigInt(price.inputMicrosPer1M) + BigInt(usage.outputTokens) * BigInt(price.outputMicrosPer1M);
  const rounded = (tokenPart + MILLION - 1n) / MILLION;
  return Number(rounded) + price.requestMicros;
}

/**
 * The largest output token count whose worst-case cost fits in `availableMicros`, given the
 * input tokens; `Number.MAX_SAFE_INTEGER` when output is free; -1 when not even the input fits.
 * Uses ceil(x / 1e6) ≤ A ⇔ x ≤ A × 1e6 for integer x, so the bound is exact.
 */
export function affordableOutputTokens(price: Price, availableMicros: number, inputTokens: number): number {
  const budget = (BigInt(availableMicros) - BigInt(price.requestMicros)) * MILLION - BigInt(inputTokens) * BigInt(price.inputMicrosPer1M);
  if (budget < 0n) return -1;
  if (price.outputMicrosPer1M === 0) return Number.MAX_SAFE_INTEGER;
  const tokens = budget / BigInt(price.outputMicrosPer1M);
  return tokens > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(tokens);
}

/** µUSD as a decimal dollar string with all six digits, e.g. 1234 → "0.001234". */
export function microsToUsd(micros: number): string {
  const sign = micros < 0 ? '-' : '';
  const abs = BigInt(Math.abs(micros));
  return `${sign}${abs / MILLION}.${(abs % MILLION).toString().padStart(6, '0')}`;
}

/** Dollars for people: "$5.00", "$0.000051" (cents always, more digits only when they are not zero). */
export function usdText(micros: number): string {
  const [whole, frac] = microsToUsd(micros).split('.');
  return `$${whole}.${frac.replace(/0+$/, '').padEnd(2, '0')}`;
}
