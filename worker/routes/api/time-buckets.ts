/**
 * @module routes/api/time-buckets
 * Local-time buckets for analytics. SQL groups usage by 15-minute UTC slots; every real UTC
 * offset is a whole number of quarter hours, so no slot straddles a local midnight or hour, and
 * folding slots into local days (or hours) here, with Intl, is exact, also across DST changes.
 */
import { ApiError } from '../../errors';

export const SLOT_MS = 15 * 60_000;
const HOUR_MS = 3_600_000;

export type BucketKind = 'day' | 'hour';

/** Local calendar time in one zone, and the instants where local days and hours begin. */
export class LocalClock {
  private readonly format: Intl.DateTimeFormat;
  readonly tz: string;

  constructor(tz: string) {
    try {
      this.format = new Intl.DateTimeFormat('en-US', {
        timeZone: tz,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      throw new ApiError({ code: 'invalid_request', param: 'tz', message: `tz: '${tz}' is not an IANA time zone (e.g. Europe/Berlin).` });
    }
    this.tz = this.format.resolvedOptions().timeZone;
  }

  /** Local wall-clock fields at an instant. */
  parts(ms: number): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
    const out: Record<string, number> = {};
    for (const p of this.format.formatToParts(new Date(ms))) if (p.type !== 'literal') out[p.type] = Number(p.value);
    return { year: out.year, month: out.month, day: out.day, hour: out.hour, minute: out.minute, second: out.second };
  }

  /** UTC offset (ms) at an instant. */
  offset(ms: number): number {
    const p = this.parts(ms);
    return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - (ms - (((ms % 1000) + 1000) % 1000));
  }

  /** The instant of local midnight on a calendar date (month 1-based; overflowing days roll over). */
  midnight(year: number, month: number, day: number): number {
    const wall = Date.UTC(year, month - 1, day);
    let guess = wall - this.offset(wall);
    guess = wall - this.offset(guess);
    return guess;
  }

  /** Start of the local day containing `ms`. */
  dayStart(ms: number): number {
    const p = this.parts(ms);
    return this.midnight(p.year, p.month, p.day);
  }

  /** Start of the local month containing `ms`. */
  monthStart(ms: number): number {
    const p = this.parts(ms);
    return this.midnight(p.year, p.month, 1);
  }

  /** Start of the local hour containing `ms`. */
  hourStart(ms: number): number {
    const p = this.parts(ms);
    return ms - (((ms % 1000) + 1000) % 1000) - p.minute * 60_000 - p.second * 1000;
  }

  /** Start of the bucket containing `ms`. */
  bucketStart(kind: BucketKind, ms: number): number {
    return kind === 'day' ? this.dayStart(ms) : this.hourStart(ms);
  }

  /** Every bucket start from the one containing `from` up to (excluding) `to`. */
  buckets(kind: BucketKind, from: number, to: number): number[] {
    const out: number[] = [];
    // A local day lasts 23 to 25 hours, so 36 hours after a day's start is always inside the next day.
    for (let t = this.bucketStart(kind, from); t < to; t = kind === 'day' ? this.dayStart(t + 36 * HOUR_MS) : this.hourStart(t + HOUR_MS + 1)) out.push(t);
    return out;
  }
}

/** Days when the range is longer than 48 hours, hours otherwise. */
export function bucketKind(from: number, to: number): BucketKind {
  return to - from <= 48 * HOUR_MS ? 'hour' : 'day';
}

/** Maps 15-minute slots to their local bucket, memoised (many rows share a slot). */
export function slotMapper(clock: LocalClock, kind: BucketKind): (slot: number) => number {
  const memo = new Map<number, number>();
  return (slot) => {
    let t = memo.get(slot);
    if (t === undefined) {
      t = clock.bucketStart(kind, slot * SLOT_MS);
      memo.set(slot, t);
    }
    return t;
  };
}
