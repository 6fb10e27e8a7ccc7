/**
 * @module instant
 * Parsing the time bounds that management queries accept.
 */
import { ApiError } from '../errors';

/** Latest instant accepted anywhere: 10000-01-01T00:00:00Z (every later date breaks Intl or toISOString). */
export const MAX_INSTANT_MS = 253_402_300_800_000;

const EPOCH_MS = /^\d{1,16}$/;
/** ISO 8601 date, or date-time with optional seconds, fraction and zone. */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

/** Whether `ms` is an integer instant from 1970 up to (excluding) the year 10000. */
export function inCalendar(ms: number): boolean {
  return Number.isSafeInteger(ms) && ms >= 0 && ms < MAX_INSTANT_MS;
}

/** An ISO date-time or epoch milliseconds, or the fallback when absent; a clear 400 otherwise. */
export function instant(value: string | undefined, fallback: number, param: string): number {
  if (value === undefined) return fallback;
  // Date.parse alone also takes legacy forms ("-1" is the year 2001), so only ISO shapes reach it.
  const ms = EPOCH_MS.test(value) ? Number(value) : ISO_DATE_TIME.test(value) ? Date.parse(value) : Number.NaN;
  if (!inCalendar(ms)) {
    throw new ApiError({ code: 'invalid_request', param, message: `${param}: expected an ISO date-time or epoch milliseconds between 1970 and 9999.` });
  }
  return ms;
}
