/**
 * @module account/period
 * Calendar periods for per-key spend limits, in UTC.
 */
import type { SpendPeriod } from './types';

/** Epoch ms at which the period containing `now` began. */
export function periodStart(period: SpendPeriod, now: number): number {
  const d = new Date(now);
  return period === 'day' ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) : Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}
