/**
 * @module instant
 * Parsing the time bounds that management queries accept.
 */
import { ApiError } from '../errors';

/** An ISO date-time or epoch milliseconds, or the fallback when absent; a clear 400 otherwise. */
export function instant(value: string | undefined, fallback: number, param: string): number {
  if (value === undefined) return fallback;
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms)) throw new ApiError({ code: 'invalid_request', param, message: `${param}: expected an ISO date-time or epoch milliseconds.` });
  return ms;
}
