import { describe, expect, it } from 'vitest';
import { type DailySettings, type DayPoint, detectDaily, detectJump, detectOutlier, LOOSEST_DAILY } from './anomalies-daily';

const SETTINGS: DailySettings = { enabled: true, jumpPercent: 50, sigma: 2, minDayMicros: 1_000_000 };

/** A series of `costs` (µUSD) and `requests`, on consecutive days from 1 November 2026. */
function series(costs: number[], requests: number[] | number = 1000): DayPoint[] {
  return costs.map((costMicros, i) => ({
    day: `2026-11-${String(i + 1).padStart(2, '0')}`,
    costMicros,
    requests: Array.isArray(requests) ? requests[i] : requests,
  }));
}

describe('daily anomaly detection', () => {
  it('finds nothing in a flat series', () => {
    expect(detectDaily(series(Array(20).fill(10_000_000)), SETTINGS)).toEqual([]);
  });

  it('finds no jump when cost grows with requests at the same price per request', () => {
    // Traffic doubles every day (cost too): cost per request is unchanged.
    const s = series([10_000_000, 20_000_000], [1000, 2000]);
    expect(detectJump(s, SETTINGS)).toBeNull();
  });

  it('finds a jump when cost per request doubles at the same traffic', () => {
    const s = series([10_000_000, 20_000_000], [1000, 1000]);
    const found = detectJump(s, SETTINGS);
    expect(found).toMatchObject({
      kind: 'daily_jump',
      day: '2026-11-02',
      observedMicros: 20_000_000,
      baselineMicros: 10_000_000,
      thresholdMicros: 15_000_000,
      requests: 1000,
      baselineRequests: 1000,
    });
    expect(found?.details).toMatchObject({ costChangePercent: 100, requestsChangePercent: 0, costPerRequestMicros: 20_000, costPerRequestChangePercent: 100 });
  });

  it('needs both cost and cost per request up by more than jumpPercent', () => {
    // Cost per request up 60 % but traffic halved: cost fell, which is no spending risk.
    expect(detectJump(series([10_000_000, 8_000_000], [1000, 500]), SETTINGS)).toBeNull();
    // Cost up 80 % with requests up 50 %: cost per request up only 20 %.
    expect(detectJump(series([10_000_000, 18_000_000], [1000, 1500]), SETTINGS)).toBeNull();
    // Exactly +50 % is not more than 50 %; one µUSD more is, and the threshold says where the line was.
    expect(detectJump(series([10_000_000, 15_000_000]), SETTINGS)).toBeNull();
    expect(detectJump(series([10_000_000, 15_000_001]), SETTINGS)?.thresholdMicros).toBe(15_000_000);
    // With requests up, the bound follows them: 1.5 × 10 $ × 1200/1000 = 18 $.
    expect(detectJump(series([10_000_000, 18_000_001], [1000, 1200]), SETTINGS)?.thresholdMicros).toBe(18_000_000);
  });

  it('rounds a fractional threshold up to a whole µUSD', () => {
    const found = detectJump(series([10_000_001, 30_000_000], [3, 3]), SETTINGS);
    // 10,000,001 × 1.5 = 15,000,001.5 → 15,000,002.
    expect(found?.thresholdMicros).toBe(15_000_002);
  });

  it('flags a 3σ spike above the trailing 14-day mean', () => {
    // History alternates 9 $ and 11 $: mean 10 $, σ 1 $. The spike of 13.5 $ is 3.5σ above.
    const history = Array.from({ length: 14 }, (_, i) => (i % 2 ? 11_000_000 : 9_000_000));
    const found = detectOutlier(series([...history, 13_500_000]), SETTINGS);
    expect(found).toMatchObject({
      kind: 'daily_outlier',
      day: '2026-11-15',
      observedMicros: 13_500_000,
      baselineMicros: 10_000_000,
      thresholdMicros: 12_000_000,
    });
    expect(found?.details).toMatchObject({ historyDays: 14, stdDevMicros: 1_000_000, observedSigmas: 3.5, sigma: 2 });
    // 11.9 $ is within 2σ.
    expect(detectOutlier(series([...history, 11_900_000]), SETTINGS)).toBeNull();
  });

  it('compares only with the 14 days before the last', () => {
    // An old expensive stretch outside the window does not lift the mean.
    const old = Array(6).fill(500_000_000);
    const history = Array.from({ length: 14 }, (_, i) => (i % 2 ? 11_000_000 : 9_000_000));
    expect(detectOutlier(series([...old, ...history, 13_500_000]), SETTINGS)?.baselineMicros).toBe(10_000_000);
  });

  it('keeps σ at least 5 % of the mean, so a flat history does not flag a cent', () => {
    const flat = Array(14).fill(10_000_000);
    expect(detectOutlier(series([...flat, 10_010_000]), SETTINGS)).toBeNull();
    // σ floor 0.5 $, 2σ → threshold 11 $.
    expect(detectOutlier(series([...flat, 11_000_001]), SETTINGS)?.thresholdMicros).toBe(11_000_000);
  });

  it('needs at least 7 days of history for an outlier', () => {
    expect(detectOutlier(series([...Array(6).fill(10_000_000), 90_000_000]), SETTINGS)).toBeNull();
    expect(detectOutlier(series([...Array(7).fill(10_000_000), 90_000_000]), SETTINGS)?.details.historyDays).toBe(7);
    expect(detectJump(series([90_000_000]), SETTINGS)).toBeNull();
  });

  it('ignores days under minDayMicros', () => {
    // Cents: cost per request up 10× and 10× the usual day, but below the 1 $ floor.
    expect(detectDaily(series([...Array(14).fill(10_000), 100_000]), SETTINGS)).toEqual([]);
    // A jump from a day under the floor is not judged either.
    expect(detectJump(series([900_000, 5_000_000]), SETTINGS)).toBeNull();
  });

  it('finds nothing when disabled, and the loosest settings find at least what any settings find', () => {
    const s = series([...Array(14).fill(10_000_000), 40_000_000]);
    expect(detectDaily(s, { ...SETTINGS, enabled: false })).toEqual([]);
    expect(detectDaily(s, SETTINGS).map((f) => f.kind)).toEqual(['daily_jump', 'daily_outlier']);
    expect(detectDaily(s, LOOSEST_DAILY).map((f) => f.kind)).toEqual(['daily_jump', 'daily_outlier']);
  });
});
