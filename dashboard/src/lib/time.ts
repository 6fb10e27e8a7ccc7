/**
 * @module lib/time
 * Dates and times in the browser's own time zone.
 */

/** The browser's IANA time zone, sent to the analytics endpoints as `tz`. */
export const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dateTimeSeconds = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const dayLabel = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
const hourLabel = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

function toDate(value: string | number | Date): Date {
  return value instanceof Date ? value : new Date(value);
}

/** "Nov 22, 2026, 11:04 AM" in the local zone; "—" for nothing. */
export function formatDateTime(value: string | number | null | undefined, seconds = false): string {
  if (value === null || value === undefined || value === '') return '—';
  const date = toDate(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return (seconds ? dateTimeSeconds : dateTime).format(date);
}

/** An API time (ISO text or epoch ms) as epoch ms, for sorting; null for nothing. */
export function timeValue(value: string | number | null | undefined): number | null {
  if (value === null || value === undefined || value === '') return null;
  const ms = toDate(value).getTime();
  return Number.isNaN(ms) ? null : ms;
}

/** An API time as ISO 8601 in UTC, for CSV; '' for nothing. */
export function isoTime(value: string | number | null | undefined): string {
  const ms = timeValue(value);
  return ms === null ? '' : new Date(ms).toISOString();
}

/** A calendar date; plain "YYYY-MM-DD" strings (UTC days from the API) are shown as that day. */
export function formatDate(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)) {
    return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(`${value}T00:00:00Z`));
  }
  return dateOnly.format(toDate(value));
}

/** A chart bucket label for a bucket start. */
export function bucketLabel(t: number, bucket: 'day' | 'hour'): string {
  return bucket === 'hour' ? `${dayLabel.format(t)} ${hourLabel.format(t)}` : dayLabel.format(t);
}

/** "2026-11-22" for a local date input. */
export function toDateInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** Local midnight at the start of a "YYYY-MM-DD" date input, in epoch ms. */
export function startOfLocalDay(value: string): number {
  const [y, m, d] = value.split('-').map(Number);
  return new Date(y, m - 1, d).getTime();
}

/** Local midnight after a "YYYY-MM-DD" date input (an inclusive "To" day), in epoch ms. */
export function endOfLocalDay(value: string): number {
  const [y, m, d] = value.split('-').map(Number);
  return new Date(y, m - 1, d + 1).getTime();
}

/** "YYYY-MM-DDTHH:mm" for a datetime-local input. */
export function toDateTimeInput(value: string | number | null): string {
  if (value === null) return '';
  const date = toDate(value);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${toDateInput(date)}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** "1,234" */
export function formatCount(n: number): string {
  return new Intl.NumberFormat().format(n);
}
