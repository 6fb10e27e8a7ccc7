/**
 * @module pages/budgets/BudgetCard
 * One budget: what it counts, its amount and window, and this window's spend as a bar (spent,
 * reserved for requests in flight, remaining), or per end user as a table.
 */
import { useId } from 'react';
import type { Budget, BudgetUsage } from '../../api/types';
import { DataTable, type Column } from '../../components/DataTable';
import { usdTotal } from '../../lib/money';
import { actionWords, amountWords, resetWords, scopeWords, StateBadge, type TargetNames, usedPercent } from './budget-words';

/** The tone of the bar's filled part. */
function tone(state: Budget['state']): string {
  return state === 'exceeded' ? 'bad' : state === 'warning' ? 'warn' : 'ok';
}

/** The stacked bar; it is drawn for the eye only, the figures beside it say the same in words. */
export function UsageBar({
  usage,
  amountMicros,
  thresholds,
  state,
  compact,
}: {
  usage: BudgetUsage;
  amountMicros: number;
  thresholds: number[];
  state: Budget['state'];
  compact?: boolean;
}) {
  // Display only: the widths may be floats, no money is computed from them.
  const used = usage.spentMicros + usage.reservedMicros;
  const scale = Math.max(amountMicros, used, 1);
  const width = (micros: number) => `${Math.min(100, (micros * 100) / scale)}%`;
  const ticks = used <= amountMicros ? thresholds.filter((p) => p < 100) : [];
  return (
    <div className={`budget-bar ${tone(state)}${compact ? ' compact' : ''}`} aria-hidden="true">
      <span className="budget-bar-spent" style={{ width: width(usage.spentMicros) }} />
      <span className="budget-bar-reserved" style={{ width: width(usage.reservedMicros) }} />
      {!compact && ticks.map((p) => <span key={p} className="budget-bar-tick" style={{ left: `${p}%` }} />)}
    </div>
  );
}

/** "43% used" plus "over by $1.20" when spend went past the amount (alert-only budgets). */
function usedWords(usage: BudgetUsage, amountMicros: number): string {
  const percent = usedPercent(usage.spentMicros, usage.reservedMicros, amountMicros);
  const over = usage.spentMicros + usage.reservedMicros - amountMicros;
  return `${percent}% used${over > 0 ? `, over by ${usdTotal(over)}` : ''}`;
}

/** Spent · reserved · remaining, with the bar's swatches. */
function Figures({ usage, amountMicros }: { usage: BudgetUsage; amountMicros: number }) {
  return (
    <ul className="budget-legend">
      <li>
        <span className="swatch spent" aria-hidden="true" /> Spent <strong>{usdTotal(usage.spentMicros)}</strong>
      </li>
      <li>
        <span className="swatch reserved" aria-hidden="true" /> Reserved <strong>{usdTotal(usage.reservedMicros)}</strong>
      </li>
      <li>
        <span className="swatch remaining" aria-hidden="true" /> Remaining <strong>{usdTotal(usage.remainingMicros)}</strong>
      </li>
      <li className="budget-percent">
        <strong>{usedWords(usage, amountMicros)}</strong> of {usdTotal(amountMicros)}
      </li>
    </ul>
  );
}

function endUserColumns(budget: Budget): Column<BudgetUsage>[] {
  return [
    { key: 'user', header: 'End user', cell: (u) => <code className="soft-break">{u.endUser ?? '—'}</code>, sortValue: (u) => u.endUser },
    {
      key: 'used',
      header: 'Used',
      cell: (u) => (
        <div className="budget-used">
          <UsageBar usage={u} amountMicros={budget.amountMicros} thresholds={budget.thresholds} state={userState(u, budget)} compact />
          <span>{usedPercent(u.spentMicros, u.reservedMicros, budget.amountMicros)}%</span>
        </div>
      ),
      sortValue: (u) => u.spentMicros + u.reservedMicros,
    },
    { key: 'spent', header: 'Spent', align: 'right', cell: (u) => usdTotal(u.spentMicros), sortValue: (u) => u.spentMicros },
    { key: 'reserved', header: 'Reserved', align: 'right', cell: (u) => usdTotal(u.reservedMicros), sortValue: (u) => u.reservedMicros },
    { key: 'remaining', header: 'Remaining', align: 'right', cell: (u) => usdTotal(u.remainingMicros), sortValue: (u) => u.remainingMicros },
  ];
}

/** One end user's state, judged as the gateway judges the budget's. */
function userState(u: BudgetUsage, budget: Budget): Budget['state'] {
  const percent = usedPercent(u.spentMicros, u.reservedMicros, budget.amountMicros);
  const warnAt = budget.thresholds.find((p) => p < 100) ?? 80;
  return percent >= 100 ? 'exceeded' : percent >= warnAt ? 'warning' : 'ok';
}

interface BudgetCardProps {
  budget: Budget;
  names: TargetNames;
  /** Absent: the caller's role cannot change budgets, so no Edit or Delete. */
  onEdit?(): void;
  onDelete?(): void;
}

/** A budget's card with Edit and Delete. */
export function BudgetCard({ budget, names, onEdit, onDelete }: BudgetCardProps) {
  const titleId = useId();
  const usersId = useId();
  const alerted = Math.max(0, ...budget.usage.map((u) => u.alertedPercent));
  const single =
    budget.scope === 'end_user'
      ? null
      : (budget.usage[0] ?? { endUser: null, spentMicros: 0, reservedMicros: 0, remainingMicros: budget.amountMicros, alertedPercent: 0 });

  return (
    <article className={`card budget-card ${budget.state}`} aria-labelledby={titleId} data-testid="budget-card">
      <div className="budget-head">
        <div className="budget-title">
          <h2 id={titleId}>{budget.name}</h2>
          <StateBadge state={budget.state} />
        </div>
        {onEdit && onDelete && (
          <div className="row-actions">
            <button type="button" className="secondary small" onClick={onEdit} aria-label={`Edit ${budget.name}`}>
              Edit
            </button>
            <button type="button" className="danger-outline small" onClick={onDelete} aria-label={`Delete ${budget.name}`}>
              Delete
            </button>
          </div>
        )}
      </div>
      <dl className="kv budget-facts">
        <dt>Applies to</dt>
        <dd data-testid="budget-scope">{scopeWords(budget, names)}</dd>
        <dt>Amount</dt>
        <dd>{amountWords(budget)}</dd>
        <dt>Action</dt>
        <dd>{actionWords(budget.action, budget.fallbackModel)}</dd>
        <dt>Alerts at</dt>
        <dd>
          {budget.thresholds.length ? budget.thresholds.map((p) => `${p}%`).join(', ') : 'No alerts'}
          {alerted > 0 && <span className="muted">{` · ${budget.scope === 'end_user' ? 'highest' : 'last'} alert this window: ${alerted}%`}</span>}
        </dd>
        <dt>Window</dt>
        <dd>{resetWords(budget)}</dd>
      </dl>

      {single && (
        <div className="budget-usage">
          <UsageBar usage={single} amountMicros={budget.amountMicros} thresholds={budget.thresholds} state={budget.state} />
          <Figures usage={single} amountMicros={budget.amountMicros} />
        </div>
      )}

      {budget.scope === 'end_user' && (
        <section className="budget-users" aria-labelledby={usersId}>
          <h3 id={usersId}>End users this window</h3>
          <DataTable
            columns={endUserColumns(budget)}
            rows={budget.usage}
            rowKey={(u) => u.endUser ?? ''}
            empty="No end user has spent from this budget in this window yet."
          />
          {budget.usage.length >= 50 && <p className="hint">The 50 end users who spent the most are shown.</p>}
        </section>
      )}
    </article>
  );
}
