/**
 * @module lib/money
 * Formatting integer µUSD for people, and reading dollar amounts people type. Everything goes
 * through BigInt so no sum or rounding ever touches a float.
 */

const MICROS_PER_DOLLAR = 1_000_000n;
const MICROS_PER_CENT = 10_000n;

function group(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** µUSD → "$1,234.56" (rounded half away from zero to the cent). */
export function usd(micros: number | bigint): string {
  const value = BigInt(micros);
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const cents = (abs + MICROS_PER_CENT / 2n) / MICROS_PER_CENT;
  const text = `$${group((cents / 100n).toString())}.${(cents % 100n).toString().padStart(2, '0')}`;
  return negative && cents !== 0n ? `-${text}` : text;
}

/** µUSD → "$0.000036" (exact, six decimals) for per-request costs. */
export function usdPrecise(micros: number | bigint): string {
  const value = BigInt(micros);
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const text = `$${group((abs / MICROS_PER_DOLLAR).toString())}.${(abs % MICROS_PER_DOLLAR).toString().padStart(6, '0')}`;
  return negative ? `-${text}` : text;
}

/** µUSD → "-2.500000": exact dollars to six decimals, no "$" or grouping (for CSV and spreadsheets). */
export function usdPlain(micros: number | bigint): string {
  const value = BigInt(micros);
  const abs = value < 0n ? -value : value;
  return `${value < 0n ? '-' : ''}${abs / MICROS_PER_DOLLAR}.${(abs % MICROS_PER_DOLLAR).toString().padStart(6, '0')}`;
}

/** To the cent when that is exact, otherwise six decimals (e.g. a day of tiny usage charges). */
export function usdAuto(micros: number | bigint): string {
  return BigInt(micros) % MICROS_PER_CENT === 0n ? usd(micros) : usdPrecise(micros);
}

/**
 * A spend total: to the cent, except a non-zero total under one cent, which is shown to six
 * decimals so a few cheap requests never read as "$0.00".
 */
export function usdTotal(micros: number | bigint): string {
  const value = BigInt(micros);
  const abs = value < 0n ? -value : value;
  return abs > 0n && abs < MICROS_PER_CENT ? usdPrecise(value) : usd(value);
}

/** Cents → "$12.00". */
export function usdFromCents(cents: number): string {
  return usd(BigInt(cents) * MICROS_PER_CENT);
}

/** µUSD for chart axes only (display, never summed). */
export function microsToChartDollars(micros: number): number {
  return micros / 1_000_000;
}

/**
 * Parses a typed dollar amount ("12", "12.5", ".5", "-3.25", "1,000.000001") into integer µUSD.
 * Commas are read only as thousands separators, so "2,50" or "1,0,0" is not an amount.
 * Returns null when the text is not an amount or has more than `maxDecimals` decimals.
 */
export function parseUsdToMicros(text: string, { allowNegative = false, maxDecimals = 6 } = {}): number | null {
  const cleaned = text.trim().replace(/^\$/, '');
  const match = /^(-)?(\d{1,3}(?:,\d{3})+|\d*)(?:\.(\d+))?$/.exec(cleaned);
  if (!match) return null;
  const [, minus, grouped, fraction = ''] = match;
  const whole = grouped.replace(/,/g, '');
  if (!whole && !fraction) return null;
  if (minus && !allowNegative) return null;
  if (fraction.length > maxDecimals) return null;
  const micros = BigInt(whole || '0') * MICROS_PER_DOLLAR + BigInt(fraction.padEnd(6, '0'));
  const signed = minus ? -micros : micros;
  if (signed > BigInt(Number.MAX_SAFE_INTEGER) || signed < -BigInt(Number.MAX_SAFE_INTEGER)) return null;
  return Number(signed);
}

/** Parses a typed dollar amount to whole cents (at most two decimals). */
export function parseUsdToCents(text: string): number | null {
  const micros = parseUsdToMicros(text, { maxDecimals: 2 });
  return micros === null ? null : micros / 10_000;
}

/** µUSD → the plain number a dollar input shows ("12.5" style, exact). */
export function microsToInput(micros: number | null | undefined): string {
  if (micros === null || micros === undefined) return '';
  const value = BigInt(micros);
  const fraction = (value % MICROS_PER_DOLLAR).toString().padStart(6, '0').replace(/0+$/, '');
  return `${value / MICROS_PER_DOLLAR}${fraction ? `.${fraction}` : ''}`;
}
