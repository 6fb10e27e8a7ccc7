/**
 * @module duration
 * Duration settings from `wrangler.toml` vars and secrets, read the same way everywhere.
 */

/**
 * A duration setting in milliseconds: a number of at least `min` (0 allows zero), or `fallback`
 * when the setting is unset, empty, below `min` or not a number.
 */
export function durationSetting(value: unknown, fallback: number, min = 1): number {
  const ms = typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  return Number.isFinite(ms) && ms >= min ? ms : fallback;
}
