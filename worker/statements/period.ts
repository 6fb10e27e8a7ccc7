/**
 * @module statements/period
 * A statement's month in the organisation's own zone: `YYYY-MM`, its local midnights, and the
 * day numbers the daily rollups count it in. Pure, so the month boundary is unit-tested.
 */
import { LocalClock } from '../lib/local-clock';

const DAY_MS = 86_400_000;
const PERIOD = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** One local month: `[start, end)` in ms and `[firstDay, endDay)` as the daily rollups' day numbers. */
export interface PeriodSpan {
  period: string;
  timeZone: string;
  start: number;
  end: number;
  firstDay: number;
  endDay: number;
}

const label = (year: number, month: number): string => {
  const d = new Date(Date.UTC(year, month - 1, 1));
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
};

/** Whether a string is a period (`YYYY-MM`). */
export function isPeriod(text: string): boolean {
  return PERIOD.test(text);
}

/** The month `period` in `timeZone`; throws a RangeError for a bad period or zone. */
export function periodSpan(timeZone: string, period: string): PeriodSpan {
  const m = PERIOD.exec(period);
  if (!m) throw new RangeError(`'${period}' is not a period (YYYY-MM).`);
  const year = Number(m[1]);
  const month = Number(m[2]);
  const clock = new LocalClock(timeZone);
  return {
    period,
    timeZone: clock.tz,
    start: clock.midnight(year, month, 1),
    end: clock.midnight(year, month + 1, 1),
    firstDay: Date.UTC(year, month - 1, 1) / DAY_MS,
    endDay: Date.UTC(year, month, 1) / DAY_MS,
  };
}

/** The last local month that has ended at `now` in `timeZone` (the month before the current local one). */
export function lastEndedPeriod(timeZone: string, now: number): PeriodSpan {
  const p = new LocalClock(timeZone).parts(now);
  return periodSpan(timeZone, label(p.year, p.month - 1));
}

/**
 * The earliest and latest "last ended month" any zone can be in at `now`: local time lies between
 * UTC−12 and UTC+14, so every organisation's due month is one of these two (equal most of the month).
 */
export function duePeriodBounds(now: number): { earliest: string; latest: string } {
  const at = (ms: number) => {
    const d = new Date(ms);
    return label(d.getUTCFullYear(), d.getUTCMonth());
  };
  return { earliest: at(now - 12 * 3_600_000), latest: at(now + 14 * 3_600_000) };
}
