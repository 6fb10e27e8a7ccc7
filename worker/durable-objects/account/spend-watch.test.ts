import { describe, expect, it } from 'vitest';
import { DEFAULT_ANOMALY_SETTINGS, anomalySettingsProblem } from './anomaly-settings';
import { p95Of, thresholdMicros } from './spend-watch';

describe('a key baseline: the p95 of its 5-minute windows', () => {
  it('counts windows without spend as zero', () => {
    // 100 windows, 4 with spend: the 95th value of 100 sorted is still a zero.
    expect(p95Of([50, 60, 70, 80], 100)).toBe(0);
    // 6 with spend: ranks 95..100 are the six values, so the p95 is the smallest of them.
    expect(p95Of([10, 20, 30, 40, 50, 60], 100)).toBe(10);
  });

  it('is the nearest-rank p95 of a full week', () => {
    const values = Array.from({ length: 2016 }, (_, i) => i + 1);
    expect(p95Of(values, 2016)).toBe(Math.ceil(0.95 * 2016));
  });

  it('is not moved by one spike', () => {
    const values = Array.from({ length: 2016 }, () => 1_000);
    values[7] = 500_000_000;
    expect(p95Of(values, 2016)).toBe(1_000);
  });

  it('is zero for a key with no past windows', () => {
    expect(p95Of([], 0)).toBe(0);
  });
});

describe('the threshold a window must pass', () => {
  const s = DEFAULT_ANOMALY_SETTINGS.keySpend;
  it('is the multiple of the baseline, rounded up to a micro-dollar', () => {
    expect(thresholdMicros({ ...s, multiplier: 2.5, floorMicros: 0 }, 1_001)).toBe(2_503);
  });
  it('never goes under the floor, so a new key is not flagged for its first requests', () => {
    expect(thresholdMicros({ ...s, multiplier: 4, floorMicros: 2_000_000 }, 0)).toBe(2_000_000);
  });
});

describe('anomaly settings bounds', () => {
  it('accepts the defaults and names the first field out of bounds', () => {
    expect(anomalySettingsProblem(DEFAULT_ANOMALY_SETTINGS)).toBeNull();
    const bad = structuredClone(DEFAULT_ANOMALY_SETTINGS);
    bad.keySpend.multiplier = 1;
    expect(anomalySettingsProblem(bad)).toBe('keySpend.multiplier');
    const fraction = structuredClone(DEFAULT_ANOMALY_SETTINGS);
    fraction.daily.minDayMicros = 0.5;
    expect(anomalySettingsProblem(fraction)).toBe('daily.minDayMicros');
    const nan = structuredClone(DEFAULT_ANOMALY_SETTINGS);
    nan.daily.sigma = Number.NaN;
    expect(anomalySettingsProblem(nan)).toBe('daily.sigma');
  });
});
