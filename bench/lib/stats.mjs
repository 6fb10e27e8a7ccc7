// @ts-check
/** Percentiles and medians over raw samples (no histogram bucketing: sub-millisecond values matter here). */

/**
 * The p-th percentile (0–100) of samples, nearest-rank on a sorted copy; null when empty.
 * @param {ArrayLike<number>} samples
 * @param {number} p
 */
export function percentile(samples, p) {
  if (samples.length === 0) return null;
  const sorted = Float64Array.from(samples).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/**
 * The median of the numbers given, ignoring null and NaN; null when none is left.
 * @param {Array<number | null | undefined>} values
 */
export function median(values) {
  const xs = values.filter((v) => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => /** @type {number} */ (a) - /** @type {number} */ (b));
  if (xs.length === 0) return null;
  const mid = Math.floor(xs.length / 2);
  return xs.length % 2 ? /** @type {number} */ (xs[mid]) : /** @type {number} */ (xs[mid - 1] + /** @type {number} */ (xs[mid])) / 2;
}

/** A growable list of float samples (cheap to append at tens of thousands per second). */
export class Samples {
  constructor() {
    this.values = new Float64Array(4096);
    this.length = 0;
  }

  /** @param {number} value */
  push(value) {
    if (this.length === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.length++] = value;
  }

  /** @param {number} p */
  percentile(p) {
    return percentile(this.values.subarray(0, this.length), p);
  }
}
