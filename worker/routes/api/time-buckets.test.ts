import { describe, expect, it } from 'vitest';
import { bucketKind, LocalClock, slotMapper, SLOT_MS } from './time-buckets';

const iso = (ms: number) => new Date(ms).toISOString();

describe('LocalClock', () => {
  it('makes a 25-hour bucket for the day New York leaves DST', () => {
    const clock = new LocalClock('America/New_York');
    const days = clock.buckets('day', Date.parse('2026-10-31T04:00:00Z'), Date.parse('2026-11-03T05:00:00Z'));
    expect(days.map(iso)).toEqual(['2026-10-31T04:00:00.000Z', '2026-11-01T04:00:00.000Z', '2026-11-02T05:00:00.000Z']);
    expect(days[2] - days[1]).toBe(25 * 3_600_000);
  });

  it('starts local hours at :15 UTC in Kathmandu (+05:45), and every slot maps into its hour', () => {
    const clock = new LocalClock('Asia/Kathmandu');
    const from = Date.parse('2026-01-01T00:00:00Z');
    const hours = clock.buckets('hour', from, from + 3 * 3_600_000);
    expect(hours.map(iso)).toEqual(['2025-12-31T23:15:00.000Z', '2026-01-01T00:15:00.000Z', '2026-01-01T01:15:00.000Z', '2026-01-01T02:15:00.000Z']);
    const toBucket = slotMapper(clock, 'hour');
    for (let slot = from / SLOT_MS; slot < (from + 3 * 3_600_000) / SLOT_MS; slot++) {
      const t = toBucket(slot);
      expect(hours).toContain(t);
      expect(slot * SLOT_MS - t).toBeGreaterThanOrEqual(0);
      expect(slot * SLOT_MS - t).toBeLessThan(3_600_000);
    }
  });

  it('finds the start of the local month and refuses unknown zones', () => {
    expect(iso(new LocalClock('Asia/Kolkata').monthStart(Date.parse('2026-03-31T19:00:00Z')))).toBe('2026-03-31T18:30:00.000Z');
    expect(() => new LocalClock('Not/AZone')).toThrow(/IANA/);
    expect(bucketKind(0, 48 * 3_600_000)).toBe('hour');
    expect(bucketKind(0, 48 * 3_600_000 + 1)).toBe('day');
  });
});
