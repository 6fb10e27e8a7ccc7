import { describe, expect, it } from 'vitest';
import { isTimeZone, LocalClock, type WindowKind } from './local-clock';

const at = (iso: string) => Date.parse(iso);
function span(tz: string, kind: WindowKind, iso: string, firstDay = 1) {
  const w = new LocalClock(tz).window(kind, at(iso), firstDay);
  return { start: new Date(w.start).toISOString(), end: w.end === null ? null : new Date(w.end).toISOString() };
}

describe('budget windows in the organisation’s zone', () => {
  it('gives New York its 23- and 25-hour days at the DST changes', () => {
    expect(span('America/New_York', 'day', '2026-03-08T12:00:00Z')).toEqual({ start: '2026-03-08T05:00:00.000Z', end: '2026-03-09T04:00:00.000Z' });
    expect(span('America/New_York', 'day', '2026-11-01T12:00:00Z')).toEqual({ start: '2026-11-01T04:00:00.000Z', end: '2026-11-02T05:00:00.000Z' });
  });

  it('starts Auckland’s days and months at local midnight across its September DST start', () => {
    expect(span('Pacific/Auckland', 'day', '2026-09-27T06:00:00Z')).toEqual({ start: '2026-09-26T12:00:00.000Z', end: '2026-09-27T11:00:00.000Z' });
    expect(span('Pacific/Auckland', 'month', '2026-12-15T00:00:00Z')).toEqual({ start: '2026-11-30T11:00:00.000Z', end: '2026-12-31T11:00:00.000Z' });
    // September holds the change: it starts at +12 and ends at +13.
    expect(span('Pacific/Auckland', 'month', '2026-09-10T00:00:00Z')).toEqual({ start: '2026-08-31T12:00:00.000Z', end: '2026-09-30T11:00:00.000Z' });
  });

  it('aligns Kolkata’s hours and months to its half-hour offset, across a month end', () => {
    // 19:00Z on 31 March is 00:30 on 1 April in Kolkata.
    expect(span('Asia/Kolkata', 'month', '2026-03-31T19:00:00Z')).toEqual({ start: '2026-03-31T18:30:00.000Z', end: '2026-04-30T18:30:00.000Z' });
    expect(span('Asia/Kolkata', 'hour', '2026-03-31T19:00:00Z')).toEqual({ start: '2026-03-31T18:30:00.000Z', end: '2026-03-31T19:30:00.000Z' });
    expect(span('Asia/Kolkata', 'month', '2026-02-28T18:29:59Z')).toEqual({ start: '2026-01-31T18:30:00.000Z', end: '2026-02-28T18:30:00.000Z' });
  });

  it('starts a week on Monday or on Sunday, as the organisation chose, across a DST change', () => {
    // Wednesday 4 November 2026; New York left DST on Sunday 1 November.
    expect(span('America/New_York', 'week', '2026-11-04T15:00:00Z', 1)).toEqual({ start: '2026-11-02T05:00:00.000Z', end: '2026-11-09T05:00:00.000Z' });
    expect(span('America/New_York', 'week', '2026-11-04T15:00:00Z', 0)).toEqual({ start: '2026-11-01T04:00:00.000Z', end: '2026-11-08T05:00:00.000Z' });
    // Auckland's Sunday-start week that holds its DST start is 167 hours long.
    expect(span('Pacific/Auckland', 'week', '2026-09-30T00:00:00Z', 0)).toEqual({ start: '2026-09-26T12:00:00.000Z', end: '2026-10-03T11:00:00.000Z' });
    // On the first day itself, the week starts that midnight.
    expect(span('Asia/Kolkata', 'week', '2026-11-01T18:30:00Z', 1)).toEqual({ start: '2026-11-01T18:30:00.000Z', end: '2026-11-08T18:30:00.000Z' });
  });

  it('never resets a lifetime window, and refuses a zone that does not exist', () => {
    expect(span('UTC', 'lifetime', '2026-11-04T15:00:00Z')).toEqual({ start: '1970-01-01T00:00:00.000Z', end: null });
    expect(isTimeZone('Europe/Berlin')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
    expect(() => new LocalClock('Mars/Olympus')).toThrow(/IANA/);
  });

  it('writes an instant in local time with its offset', () => {
    expect(new LocalClock('Asia/Kolkata').iso(at('2026-03-31T18:30:00Z'))).toBe('2026-04-01T00:00:00+05:30');
    expect(new LocalClock('America/New_York').iso(at('2026-11-02T05:00:00Z'))).toBe('2026-11-02T00:00:00-05:00');
  });
});
