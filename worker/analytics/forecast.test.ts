import { describe, expect, it } from 'vitest';
import {
  balanceRunway,
  dailyPace,
  type DailySpend,
  fitModel,
  projectDay,
  projectRestOfToday,
  projectWindow,
  ratioNumber,
  scaleModel,
  type TodayLeft,
  weekdayOf,
} from './forecast';

const DAY_MS = 86_400_000;
// 2026-11-30 was a Monday: the synthetic histories below end the day before TODAY.
const TODAY = Date.UTC(2026, 10, 30) / DAY_MS;

/** `n` complete days ending yesterday, each costing `cost(weekday, index from the oldest)`. */
function history(n: number, cost: (weekday: number, i: number) => number): DailySpend[] {
  return Array.from({ length: n }, (_, i) => {
    const day = TODAY - n + i;
    return { day, weekday: weekdayOf(day), costMicros: cost(weekdayOf(day), i) };
  });
}

const wholeDay: TodayLeft = { today: TODAY, leftMs: DAY_MS, dayMs: DAY_MS };
const weekend = (w: number) => w === 0 || w === 6;

describe('weekdayOf', () => {
  it('knows 1970-01-01 was a Thursday and 2026-11-30 a Monday', () => {
    expect(weekdayOf(0)).toBe(4);
    expect(weekdayOf(TODAY)).toBe(1);
    expect(weekdayOf(-1)).toBe(3);
  });
});

describe('fitModel and projections', () => {
  it('forecasts a flat series at its level', () => {
    const model = fitModel(history(28, () => 100_000));
    expect(model.kind).toBe('weekday');
    expect(ratioNumber(model.level)).toBe(1);
    for (let i = 0; i < 7; i++) expect(projectDay(model, TODAY + i)).toBe(100_000);
    expect(dailyPace(model)).toBe(100_000);
  });

  it('forecasts a growing series at the last week’s level, not the four-week average', () => {
    // Weeks of 100, 200, 300, 400 per day: the profile's median is 250, the level 400/250 = 1.6.
    const model = fitModel(history(28, (_, i) => 100 * (Math.floor(i / 7) + 1)));
    expect(ratioNumber(model.level)).toBe(1.6);
    for (let i = 0; i < 7; i++) expect(projectDay(model, TODAY + i)).toBe(400);
  });

  it('keeps a weekly pattern: weekdays high, weekends low', () => {
    const model = fitModel(history(28, (w) => (weekend(w) ? 20_000 : 100_000)));
    expect(projectDay(model, TODAY)).toBe(100_000); // Monday
    expect(projectDay(model, TODAY + 5)).toBe(20_000); // Saturday
    expect(projectDay(model, TODAY + 6)).toBe(20_000); // Sunday
    expect(dailyPace(model)).toBe(Math.ceil((5 * 100_000 + 2 * 20_000) / 7));
  });

  it('does not let a single spike dominate, in the profile weeks or in the last week', () => {
    for (const spikeAt of [3, 25]) {
      const model = fitModel(history(28, (_, i) => (i === spikeAt ? 10_000_000 : 100_000)));
      for (let i = 0; i < 7; i++) expect(projectDay(model, TODAY + i), `spike on day ${spikeAt}`).toBe(100_000);
    }
  });

  it('forecasts nothing for zero spend, and a runway of null', () => {
    const model = fitModel(history(28, () => 0));
    expect(projectDay(model, TODAY)).toBe(0);
    expect(balanceRunway(model, 5_000_000, wholeDay)).toEqual({ runsOutOn: null, days: null, dailyPaceMicros: 0 });
  });

  it('uses the median day of a short history (a new account), and nothing with no history', () => {
    const short = fitModel(history(5, (_, i) => [100, 300, 200, 5_000, 250][i]));
    expect(short.kind).toBe('flat');
    expect(projectDay(short, TODAY)).toBe(250);
    expect(projectDay(short, TODAY + 3)).toBe(250);
    const none = fitModel([]);
    expect(none.kind).toBe('none');
    expect(dailyPace(none)).toBe(0);
  });

  it('forecasts spend that only began in the last week at that week’s median day', () => {
    const model = fitModel(history(28, (_, i) => (i >= 21 ? 700 : 0)));
    expect(projectDay(model, TODAY)).toBe(700);
  });

  it('rounds a fractional forecast up once to whole µUSD', () => {
    // Mondays alternate 100 and 101 (median 100.5), every other day is 100 (the level stays 1).
    const model = fitModel(history(28, (w, i) => (w === 1 && Math.floor(i / 7) % 2 === 1 ? 101 : 100)));
    expect(ratioNumber(model.level)).toBe(1);
    expect(projectDay(model, TODAY)).toBe(101);
    expect(projectDay(model, TODAY + 1)).toBe(100);
    expect(projectRestOfToday(model, { today: TODAY, leftMs: DAY_MS / 2, dayMs: DAY_MS })).toBe(51);
  });
});

describe('balanceRunway', () => {
  it('runs out on the day the forecast spend reaches the balance', () => {
    const model = fitModel(history(28, () => 100_000));
    // Half of today (50,000) and then 100,000 a day: 1,000,000 is gone 9.5 days out, on day 10.
    const half = { today: TODAY, leftMs: DAY_MS / 2, dayMs: DAY_MS };
    expect(balanceRunway(model, 1_000_000, half)).toEqual({ runsOutOn: TODAY + 10, days: 10, dailyPaceMicros: 100_000 });
    expect(balanceRunway(model, 0, half).runsOutOn).toBe(TODAY);
  });

  it('stretches over weekends when weekends are quiet', () => {
    const model = fitModel(history(28, (w) => (weekend(w) ? 0 : 100_000)));
    // Monday to Friday spend 500,000; the weekend nothing; the next Monday reaches 600,000.
    expect(balanceRunway(model, 600_000, wholeDay).runsOutOn).toBe(TODAY + 7);
  });

  it('reports a runway beyond the horizon as null', () => {
    const model = fitModel(history(28, () => 1));
    expect(balanceRunway(model, 1_000_000, wholeDay).runsOutOn).toBeNull();
  });
});

describe('projectWindow', () => {
  const model = fitModel(history(28, () => 100_000));

  it('projects spent plus the rest of the window, and the day it passes the amount', () => {
    // Spent 1,000,000, the rest of today and 10 more days: 2,100,000 against 1,500,000.
    const f = projectWindow(model, 1_000_000, 1_500_000, wholeDay, 10);
    expect(f).toEqual({ projectedMicros: 2_100_000, predictedBreach: true, breachOn: TODAY + 5 });
  });

  it('is no breach when the projection equals the amount exactly', () => {
    expect(projectWindow(model, 100_000, 1_200_000, wholeDay, 10)).toEqual({ projectedMicros: 1_200_000, predictedBreach: false, breachOn: null });
  });

  it('scales the organisation’s forecast to a scope by its share of the window so far', () => {
    // The scope spent a quarter of what the organisation did: it is forecast at 25,000 a day.
    const scoped = scaleModel(model, 250_000, 1_000_000);
    expect(projectWindow(scoped, 250_000, 10_000_000, wholeDay, 3).projectedMicros).toBe(350_000);
    expect(projectDay(scaleModel(model, 5, 0), TODAY)).toBe(0);
  });
});
