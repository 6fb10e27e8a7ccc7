// @ts-check
/** Money for the fake providers: integer cents and the decimal strings providers put on the wire. */

/**
 * Whole cents as a decimal string: 2500 → "25.00" (integers only, no float formatting).
 * @param {number} cents
 */
export function centsToDecimal(cents) {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/**
 * A decimal amount ("25.00", "25", 25.5) as integer cents, or null if it is not one.
 * @param {unknown} value
 */
export function parseCents(value) {
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string') return null;
  const match = /^(\d{1,12})(?:\.(\d{1,2}))?$/.exec(text.trim());
  return match ? Number(match[1]) * 100 + Number((match[2] ?? '0').padEnd(2, '0')) : null;
}
