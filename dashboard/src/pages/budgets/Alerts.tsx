/**
 * @module pages/budgets/Alerts
 * The alerts raised (budget thresholds, low balance, auto-recharge failures), newest first, with CSV download and "Show older alerts".
 */
import { useEffect, useState } from 'react';
import { query } from '../../api/client';
import type { BudgetAlert } from '../../api/types';
import { useResource } from '../../api/use-resource';
import { DataTable, resourceState, type Column } from '../../components/DataTable';
import { usdPlain, usdTotal } from '../../lib/money';
import { formatDateTime, isoTime } from '../../lib/time';
import { actionWords } from './budget-words';

const PAGE = 50;
/** The API's largest page. */
const MAX_LIMIT = 200;

const WINDOW_WORDS: Record<NonNullable<BudgetAlert['window']>, string> = {
  hour: 'Hourly window',
  day: 'Daily window',
  week: 'Weekly window',
  month: 'Monthly window',
  lifetime: 'Lifetime',
};

const TYPE_WORDS: Record<BudgetAlert['type'], string> = {
  'budget.threshold': 'Budget threshold',
  'balance.low': 'Low balance',
  'auto_recharge.failed': 'Auto-recharge failed',
  'anomaly.key_spend': 'Key spend anomaly',
  'anomaly.daily': 'Daily cost anomaly',
  'budget.forecast': 'Budget forecast to run out',
};

const ALERT_COLUMNS: Column<BudgetAlert>[] = [
  {
    key: 'time',
    header: 'Time',
    cell: (a) => formatDateTime(a.createdAt),
    sortValue: (a) => a.createdAt,
    csv: { created_at: (a) => isoTime(a.createdAt) },
  },
  {
    key: 'alert',
    header: 'Alert',
    cell: (a) => (
      <>
        <strong>{a.budgetName ?? TYPE_WORDS[a.type]}</strong>
        <div className="sub">{a.action ? actionWords(a.action) : a.message}</div>
      </>
    ),
    sortValue: (a) => a.budgetName ?? TYPE_WORDS[a.type],
    csv: { type: (a) => a.type, budget: (a) => a.budgetName, budget_id: (a) => a.budgetId, action: (a) => a.action, message: (a) => a.message },
  },
  {
    key: 'end-user',
    header: 'End user',
    cell: (a) => (a.endUser ? <code className="soft-break">{a.endUser}</code> : '—'),
    sortValue: (a) => a.endUser,
    csv: { end_user: (a) => a.endUser },
  },
  {
    key: 'percent',
    header: 'Threshold',
    align: 'right',
    cell: (a) => (a.percent === null ? '—' : `${a.percent}%`),
    sortValue: (a) => a.percent,
    csv: { threshold_percent: (a) => a.percent },
  },
  {
    key: 'spent',
    header: 'Spent',
    align: 'right',
    cell: (a) =>
      a.type === 'budget.threshold' && a.spentMicros !== null && a.amountMicros !== null
        ? `${usdTotal(a.spentMicros)} of ${usdTotal(a.amountMicros)}`
        : a.type === 'balance.low' && a.spentMicros !== null
          ? `${usdTotal(a.spentMicros)} left`
          : '—',
    sortValue: (a) => a.spentMicros,
    csv: {
      spent_usd: (a) => (a.spentMicros === null ? '' : usdPlain(a.spentMicros)),
      amount_usd: (a) => (a.amountMicros === null ? '' : usdPlain(a.amountMicros)),
    },
  },
  {
    key: 'window',
    header: 'Window start',
    cell: (a) =>
      a.window === null || a.windowStart === null ? (
        '—'
      ) : a.window === 'lifetime' ? (
        'Lifetime'
      ) : (
        <>
          {formatDateTime(a.windowStart)}
          <div className="sub">{WINDOW_WORDS[a.window]}</div>
        </>
      ),
    sortValue: (a) => a.windowStart,
    csv: {
      window: (a) => a.window,
      window_start: (a) => (a.window === null || a.window === 'lifetime' || a.windowStart === null ? '' : isoTime(a.windowStart)),
      request_id: (a) => a.requestId,
    },
  },
];

/** The alerts table, in the browser's time zone; `refreshKey` changing (a budget saved) reads it again. */
export function AlertsSection({ refreshKey }: { refreshKey: number }) {
  // "Show older" asks for a longer page; the alerts already shown stay while it loads.
  const [limit, setLimit] = useState(PAGE);
  const alerts = useResource<{ alerts: BudgetAlert[] }>(`/api/account/alerts${query({ limit })}`);
  const { reload } = alerts;

  useEffect(() => {
    if (refreshKey > 0) reload();
  }, [refreshKey, reload]);

  const rows = alerts.data?.alerts;
  return (
    <section className="card flush">
      <DataTable
        title="Alerts"
        columns={ALERT_COLUMNS}
        rows={rows}
        rowKey={(a) => a.id}
        {...resourceState(alerts)}
        loadingText="Loading alerts…"
        empty="No alerts yet. A budget raises one the first time its spend passes each threshold in a window; a low balance and a failed auto-recharge raise one too."
        csvName="alerts"
        actions={
          <button type="button" className="secondary small" onClick={reload} disabled={alerts.status === 'loading'}>
            Refresh
          </button>
        }
      />
      {rows && rows.length >= limit && limit < MAX_LIMIT && (
        <div className="table-foot">
          <button
            type="button"
            className="secondary small"
            disabled={alerts.status === 'loading'}
            onClick={() => setLimit((n) => Math.min(n + PAGE, MAX_LIMIT))}
          >
            {alerts.status === 'loading' ? 'Loading…' : 'Show older alerts'}
          </button>
        </div>
      )}
    </section>
  );
}
