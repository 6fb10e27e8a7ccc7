/**
 * @module routes/api/time-buckets
 * Local-time buckets for analytics. SQL groups usage by 15-minute UTC slots; every real UTC
 * offset is a whole number of quarter hours, so no slot straddles a local midnight or hour, and
 * folding slots into local days (or hours) here, with Intl, is exact, also across DST changes.
 */
import { ApiError } from '../../errors';
import { isTimeZone, LocalClock as Clock } from '../../lib/local-clock';

export const SLOT_MS = 15 * 60_000;
const HOUR_MS = 3_600_000;

export type BucketKind = 'day' | 'hour';

function zoneParam(tz: string): string {
  if (!isTimeZone(tz)) throw new ApiError({ code: 'invalid_request', param: 'tz', message: `tz: '${tz}' is not an IANA time zone (e.g. Europe/Berlin).` });
  return tz;
}

/** The analytics clock: a LocalClock whose bad zone is the request's `tz` at fault. */
export class LocalClock extends Clock {
  constructor(tz: string) {
    super(zoneParam(tz));
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
