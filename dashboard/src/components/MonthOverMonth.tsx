/**
 * @module components/MonthOverMonth
 * The month-over-month card: this month so far against the same days of last month, with the
 * change in percent, and all of last month for scale. The API counts in the caller's `tz` (the
 * browser's zone), so the day ranges named here are the browser's calendar too.
 */
import { useId } from 'react';
import type { MonthOverMonth } from '../api/types';
import { usdTotal } from '../lib/money';
import { formatCount } from '../lib/time';

const day = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });

/** "Dec 1 – Dec 7" for this month so far, and the same stretch of last month (cut at its end). */
function monthRanges(now: Date): { thisMonth: string; lastMonthToDate: string } {
  const thisStart = new Date(now.getFullYear(), now.getMonth(), 1);
  const lastStart = new Date(now.getFullYear(), now.getMonth() - 1, 1);
  const elapsed = now.getTime() - thisStart.getTime();
  const lastEnd = new Date(Math.min(lastStart.getTime() + elapsed, thisStart.getTime() - 1));
  const range = (from: Date, to: Date) => (from.getDate() === to.getDate() ? day.format(from) : `${day.format(from)} – ${day.format(to)}`);
  return { thisMonth: range(thisStart, now), lastMonthToDate: range(lastStart, lastEnd) };
}

function requests(n: number): string {
  return `${formatCount(n)} ${n === 1 ? 'request' : 'requests'}`;
}

/** The change in plain words: "Up 12.5 %", "Down 3 %", "No change". */
function changeWords(percent: number): string {
  if (percent === 0) return 'No change';
  const size = `${Math.abs(percent).toLocaleString(undefined, { maximumFractionDigits: 1 })} %`;
  return percent > 0 ? `Up ${size}` : `Down ${size}`;
}

interface MonthOverMonthCardProps {
  data: MonthOverMonth;
  /** What the money is: "Spend" for an organisation, "Revenue" for the platform. */
  what?: string;
}

/** A card: this month so far, the change on the same days of last month, all of last month. */
export function MonthOverMonthCard({ data, what = 'Spend' }: MonthOverMonthCardProps) {
  const titleId = useId();
  const ranges = monthRanges(new Date());
  const { changePercent: change } = data;
  return (
    <section className="card month-over-month" aria-labelledby={titleId} data-testid="month-over-month">
      <h2 id={titleId}>{what} this month vs last month</h2>
      <div className="mom-body">
        <div>
          <p className="stat-value">{usdTotal(data.thisMonth.costMicros)}</p>
          <p className="stat-hint">
            This month so far ({ranges.thisMonth}) · {requests(data.thisMonth.requests)}
          </p>
        </div>
        <div>
          {change === null ? (
            <p className="trend">Nothing in the same days of last month to compare with.</p>
          ) : (
            <p className="trend">
              <span aria-hidden="true">{change > 0 ? '↑ ' : change < 0 ? '↓ ' : ''}</span>
              <strong>{changeWords(change)}</strong> on the same days of last month
            </p>
          )}
          <dl className="kv">
            <dt>Same days last month ({ranges.lastMonthToDate})</dt>
            <dd>
              {usdTotal(data.lastMonthToDate.costMicros)} · {requests(data.lastMonthToDate.requests)}
            </dd>
            <dt>All of last month</dt>
            <dd>
              {usdTotal(data.lastMonth.costMicros)} · {requests(data.lastMonth.requests)}
            </dd>
          </dl>
        </div>
      </div>
    </section>
  );
}
