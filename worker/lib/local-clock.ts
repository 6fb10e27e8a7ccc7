/**
 * @module lib/local-clock
 * Calendar time in one IANA zone: the instants where local hours, days, weeks and months begin,
 * exact across DST changes and for zones whose offset is not a whole hour. Budgets (their windows
 * follow the organisation's zone) and analytics (local days) both read time through this.
 */

const HOUR_MS = 3_600_000;

/** Whether `tz` names an IANA time zone this runtime knows. */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** A calendar window: hour, day, week, month (all local), or lifetime (never resets). */
export type WindowKind = 'hour' | 'day' | 'week' | 'month' | 'lifetime';

/** The window containing an instant: `[start, end)`; `end` is null for a lifetime window. */
export interface WindowSpan {
  start: number;
  end: number | null;
}

/** Local calendar time in one zone, and the instants where local hours, days, weeks and months begin. */
export class LocalClock {
  private readonly format: Intl.DateTimeFormat;
  readonly tz: string;

  /** Throws a RangeError when `tz` is not an IANA time zone. */
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
      throw new RangeError(`'${tz}' is not an IANA time zone (e.g. Europe/Berlin).`);
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

  /** The instant of local midnight on a calendar date (month 1-based; overflowing days and months roll over). */
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

  /** Start of the local week containing `ms`; `firstDay` 0 = Sunday … 6 = Saturday (1, Monday, is ISO's). */
  weekStart(ms: number, firstDay: number): number {
    const p = this.parts(ms);
    const weekday = new Date(Date.UTC(p.year, p.month - 1, p.day)).getUTCDay();
    return this.midnight(p.year, p.month, p.day - ((weekday - firstDay + 7) % 7));
  }

  /** The window of `kind` containing `ms`. Local days last 23 to 25 hours; weeks and months follow the calendar. */
  window(kind: WindowKind, ms: number, firstDay = 1): WindowSpan {
    switch (kind) {
      case 'hour': {
        const start = this.hourStart(ms);
        return { start, end: start + HOUR_MS };
      }
      case 'day': {
        const p = this.parts(ms);
        return { start: this.midnight(p.year, p.month, p.day), end: this.midnight(p.year, p.month, p.day + 1) };
      }
      case 'week': {
        const start = this.weekStart(ms, firstDay);
        const p = this.parts(start + 12 * HOUR_MS);
        return { start, end: this.midnight(p.year, p.month, p.day + 7) };
      }
      case 'month': {
        const p = this.parts(ms);
        return { start: this.midnight(p.year, p.month, 1), end: this.midnight(p.year, p.month + 1, 1) };
      }
      case 'lifetime':
        return { start: 0, end: null };
    }
  }

  /** An instant as local ISO 8601 with its offset, e.g. 2026-12-08T00:00:00+05:30. */
  iso(ms: number): string {
    const p = this.parts(ms);
    const off = Math.round(this.offset(ms) / 60_000);
    const sign = off < 0 ? '-' : '+';
    const two = (n: number) => String(n).padStart(2, '0');
    const zone = `${sign}${two(Math.floor(Math.abs(off) / 60))}:${two(Math.abs(off) % 60)}`;
    return `${p.year}-${two(p.month)}-${two(p.day)}T${two(p.hour)}:${two(p.minute)}:${two(p.second)}${zone}`;
  }
}
