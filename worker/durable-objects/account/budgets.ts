/**
 * @module account/budgets
 * Budgets in the account object: each is a money bucket (buckets.ts) checked in the same
 * admission as the balance and the key's limits, so every applicable budget must afford the
 * request's worst case before the origin is called, the grant is held against each, and
 * settlement charges each the real cost.
 *
 * A budget's window (hour, day, week, calendar month or lifetime) follows the organisation's
 * IANA zone. What a window has spent is a running total per (budget, subject, window start):
 * the subject is '' for organisation, key and model budgets, and the end user for end-user
 * budgets, so each end user gets a bucket of the budget's size. The grant records the window it
 * was counted in; its settlement charges that window, even when the window has rolled over in
 * the meantime. What requests in flight hold on a budget is one hold per (budget, subject),
 * across windows, so a request admitted just before a reset still counts against the new window
 * until it settles (never an overspend of either).
 *
 * Thresholds are detected at settlement, in the transaction that charges the window, and the
 * highest one raised is stored with the window's total: each fires once per window and subject,
 * whatever the concurrency, retries, replayed alarms or restarts. An alert goes to the outbox, and
 * from there to D1 (`alerts`) and to the organisation's notification channels (notifications/).
 *
 * Everything is cached in memory; a budget or calendar edit drops the cache, so it applies to the
 * very next admission. Admission stays O(applicable budgets).
 */
import { newId } from '../../lib/ids';
import { LocalClock, type WindowSpan } from '../../lib/local-clock';
import { usdText } from '../../lib/money';
import type { RaisedAlert } from '../../notifications/alerts';
import type { Bucket } from './buckets';
import type { Holds } from './holds';
import type { AdmitService, Budget, BudgetInput, BudgetStatus, BudgetUsage, CalendarSettings, Grant, GrantBudget, KeyRecord } from './types';

type Row = Record<string, SqlStorageValue>;

/** Window totals kept in memory at most (clean ones are dropped beyond this, oldest first). */
const MAX_CACHED_WINDOWS = 20_000;

export const budgetHold = (budgetId: string, subject: string): string => `budget:${budgetId}:${subject}`;

/** One window's running total for one subject. */
interface WindowTotal {
  spent: number;
  alerted: number;
}

export function rowToBudget(row: Row): Budget {
  return {
    id: String(row.id),
    name: String(row.name),
    scope: String(row.scope) as Budget['scope'],
    keyId: row.key_id === null ? null : String(row.key_id),
    model: row.model === null ? null : String(row.model),
    projectId: row.project_id == null ? null : String(row.project_id),
    memberId: row.member_id == null ? null : String(row.member_id),
    amountMicros: Number(row.amount_micros),
    window: String(row.window_kind) as Budget['window'],
    action: String(row.action) as Budget['action'],
    thresholds: JSON.parse(String(row.thresholds)) as number[],
    fallbackModel: row.fallback_model == null ? null : String(row.fallback_model),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

const WINDOW_WORDS: Record<Budget['window'], string> = { hour: 'per hour', day: 'per day', week: 'per week', month: 'per month', lifetime: 'in total' };

/** "$5.00 per day" */
export function describeAmount(b: Pick<Budget, 'amountMicros' | 'window'>): string {
  return `${usdText(b.amountMicros)} ${WINDOW_WORDS[b.window]}`;
}

export class BudgetBook {
  private all: Budget[] | undefined;
  private byKey = new Map<string, Budget[]>();
  private byModel = new Map<string, Budget[]>();
  private general: Budget[] = [];
  private fallbackNames: string[] = [];
  private calendar: CalendarSettings | undefined;
  private clock: LocalClock | undefined;
  private readonly windows = new Map<string, WindowSpan>();
  private readonly resets = new Map<number, string>();
  private day: { tz: string; day: number; start: number; end: number } | undefined;
  private readonly totals = new Map<string, WindowTotal>();
  private readonly dirty = new Set<string>();

  /** The organisation's calendar (zone and week start). */
  settings(sql: SqlStorage): CalendarSettings {
    if (!this.calendar) {
      const row = sql.exec<{ timezone: string; week_start: number }>('SELECT timezone, week_start FROM account').toArray()[0];
      this.calendar = { timezone: row?.timezone ?? 'UTC', weekStart: Number(row?.week_start ?? 1) };
    }
    return this.calendar;
  }

  private localClock(sql: SqlStorage): LocalClock {
    if (!this.clock) {
      const { timezone } = this.settings(sql);
      try {
        this.clock = new LocalClock(timezone);
      } catch {
        this.clock = new LocalClock('UTC');
      }
    }
    return this.clock;
  }

  /**
   * The organisation's local calendar day of an instant, as usage events carry it for the daily
   * rollups: its zone and the day number (days since 1970-01-01 of the local date). The day's
   * span is cached, so consecutive settlements cost two comparisons.
   */
  localDay(sql: SqlStorage, ms: number): { tz: string; day: number } {
    const d = this.day;
    if (d && ms >= d.start && ms < d.end) return { tz: d.tz, day: d.day };
    const clock = this.localClock(sql);
    const p = clock.parts(ms);
    const day = Date.UTC(p.year, p.month - 1, p.day) / 86_400_000;
    const span = clock.window('day', ms);
    this.day = { tz: clock.tz, day, start: span.start, end: span.end ?? span.start };
    return { tz: clock.tz, day };
  }

  /** Every budget, oldest first. */
  list(sql: SqlStorage): Budget[] {
    if (!this.all) {
      this.all = sql.exec<Row>('SELECT * FROM budgets ORDER BY created_at, id').toArray().map(rowToBudget);
      this.byKey.clear();
      this.byModel.clear();
      this.general = [];
      for (const b of this.all) {
        if (b.scope === 'key' && b.keyId) this.byKey.set(b.keyId, [...(this.byKey.get(b.keyId) ?? []), b]);
        else if (b.scope === 'model' && b.model) this.byModel.set(b.model, [...(this.byModel.get(b.model) ?? []), b]);
        else this.general.push(b);
      }
      this.fallbackNames = [...new Set(this.all.flatMap((b) => (b.action === 'fallback' && b.fallbackModel ? [b.fallbackModel] : [])))].sort();
    }
    return this.all;
  }

  /** The models the fallback budgets name (the worker offers their services with each admission). */
  fallbackModels(sql: SqlStorage): string[] {
    this.list(sql);
    return this.fallbackNames;
  }

  /** The budgets that apply to a request of `key` on `service` for `endUser`, in the order they are checked and reported. */
  applicable(sql: SqlStorage, key: KeyRecord, service: AdmitService, endUser: string | null): Array<{ budget: Budget; subject: string }> {
    this.list(sql);
    const out: Array<{ budget: Budget; subject: string }> = [];
    const matches = (b: Budget) =>
      (b.keyId === null || b.keyId === key.id) && (b.model === null || b.model === service.name) && (b.projectId === null || b.projectId === key.projectId);
    for (const b of this.general) {
      if (b.scope === 'organization') out.push({ budget: b, subject: '' });
      else if (b.scope === 'project' && b.projectId === key.projectId) out.push({ budget: b, subject: '' });
      else if (b.scope === 'member' && b.memberId !== null && b.memberId === key.createdBy) out.push({ budget: b, subject: '' });
      else if (b.scope === 'end_user' && endUser !== null && matches(b)) out.push({ budget: b, subject: endUser });
    }
    for (const b of this.byKey.get(key.id) ?? []) if (matches(b)) out.push({ budget: b, subject: '' });
    for (const b of this.byModel.get(service.name) ?? []) if (matches(b)) out.push({ budget: b, subject: '' });
    return out;
  }

  /** The budget's window containing `now` (cached until it ends). */
  window(sql: SqlStorage, budget: Budget, now: number): WindowSpan {
    let w = this.windows.get(budget.id);
    if (!w || now < w.start || (w.end !== null && now >= w.end)) {
      w = this.localClock(sql).window(budget.window, now, this.settings(sql).weekStart);
      this.windows.set(budget.id, w);
    }
    return w;
  }

  /** How a refusal names the window's end; formatted once per window (formatting a local time is costly). */
  private resetPhrase(sql: SqlStorage, w: WindowSpan): string {
    if (w.end === null) return 'it does not reset (a lifetime budget)';
    let phrase = this.resets.get(w.end);
    if (phrase === undefined) {
      if (this.resets.size >= MAX_CACHED_WINDOWS) this.resets.clear();
      phrase = `it resets at ${this.localClock(sql).iso(w.end)}`;
      this.resets.set(w.end, phrase);
    }
    return phrase;
  }

  private total(sql: SqlStorage, budgetId: string, subject: string, windowStart: number): WindowTotal {
    const id = `${budgetId}\u0000${subject}\u0000${windowStart}`;
    let t = this.totals.get(id);
    if (!t) {
      const row = sql
        .exec<{ spent_micros: number; alerted_percent: number }>(
          'SELECT spent_micros, alerted_percent FROM budget_spend WHERE budget_id = ? AND subject = ? AND window_start = ?',
          budgetId,
          subject,
          windowStart,
        )
        .toArray()[0];
      t = { spent: row?.spent_micros ?? 0, alerted: row?.alerted_percent ?? 0 };
      this.totals.set(id, t);
      if (this.totals.size > MAX_CACHED_WINDOWS) this.shed();
    }
    return t;
  }

  /** Drops the oldest clean window totals (they are re-read on use). */
  private shed(): void {
    for (const id of this.totals.keys()) {
      if (this.totals.size <= MAX_CACHED_WINDOWS * 0.9) break;
      if (!this.dirty.has(id)) this.totals.delete(id);
    }
  }

  /**
   * The money buckets of the applicable budgets. Alert-only budgets hold and count but never
   * refuse; so does `countOnly`, the fallback budget a fallback admission is for.
   */
  buckets(sql: SqlStorage, key: KeyRecord, service: AdmitService, endUser: string | null, now: number, countOnly?: string): Bucket[] {
    const out: Bucket[] = [];
    for (const { budget, subject } of this.applicable(sql, key, service, endUser)) {
      const w = this.window(sql, budget, now);
      const used = this.total(sql, budget.id, subject, w.start).spent;
      const resetPhrase = () => this.resetPhrase(sql, w);
      out.push({
        id: `budget.${budget.id}`,
        unit: 'micros',
        limit: budget.action === 'alert' || budget.id === countOnly ? null : budget.amountMicros,
        used,
        hold: budgetHold(budget.id, subject),
        reason: 'budget_exceeded',
        // Read only by a refusal: formatting it for every admission is wasted work.
        get message() {
          const whose = budget.scope === 'end_user' ? ` for end user '${subject}'` : '';
          return `This request would exceed the budget '${budget.name}' (${describeAmount(budget)}${whose}); ${resetPhrase()}.`;
        },
        budget: {
          id: budget.id,
          name: budget.name,
          subject,
          windowStart: w.start,
          resetsAt: w.end,
          ...(budget.action === 'fallback' && budget.fallbackModel && budget.fallbackModel !== service.name ? { fallbackModel: budget.fallbackModel } : {}),
        },
      });
    }
    return out;
  }

  /**
   * Adds a settled cost to each budget window the grant counted in, and queues an alert for each
   * threshold it reached and had not raised in that window. Returns the undo.
   */
  charge(sql: SqlStorage, accountId: string, grant: Pick<Grant, 'requestId' | 'budgets'>, costMicros: number, now: number): () => void {
    const undo: Array<() => void> = [];
    if (!grant.budgets?.length || costMicros === 0) return () => {};
    const byId = new Map(this.list(sql).map((b) => [b.id, b]));
    for (const gb of grant.budgets) {
      const budget = byId.get(gb.id);
      if (!budget) continue; // deleted since admission
      const id = `${gb.id}\u0000${gb.subject}\u0000${gb.windowStart}`;
      const t = this.total(sql, gb.id, gb.subject, gb.windowStart);
      const before = { ...t };
      const wasDirty = this.dirty.has(id);
      t.spent = Math.max(0, t.spent + costMicros);
      this.dirty.add(id);
      undo.push(() => {
        Object.assign(t, before);
        if (!wasDirty) this.dirty.delete(id);
      });
      if (costMicros <= 0 || budget.amountMicros <= 0) continue;
      const reached = budget.thresholds.filter((p) => p > t.alerted && t.spent * 100 >= p * budget.amountMicros);
      if (reached.length === 0) continue;
      t.alerted = Math.max(...reached);
      const w = this.window(sql, budget, gb.windowStart);
      for (const percent of reached) {
        const whose = budget.scope === 'end_user' ? ` for end user '${gb.subject}'` : '';
        const alert: RaisedAlert = {
          type: 'budget.threshold',
          message: `Budget '${budget.name}' (${describeAmount(budget)}${whose}) reached ${percent} %: ${usdText(t.spent)} spent.`,
          dedupeKey: `budget:${gb.id}:${gb.subject}:${gb.windowStart}:${percent}`,
          accountId,
          budgetId: gb.id,
          budgetName: budget.name,
          scope: budget.scope,
          endUser: budget.scope === 'end_user' ? gb.subject : null,
          window: budget.window,
          windowStart: gb.windowStart,
          resetsAt: w.end,
          percent,
          spentMicros: t.spent,
          amountMicros: budget.amountMicros,
          action: budget.action,
          requestId: grant.requestId,
          createdAt: now,
        };
        sql.exec("INSERT INTO outbox (kind, payload) VALUES ('alert', ?)", JSON.stringify(alert));
      }
    }
    return () => {
      for (const step of undo.reverse()) step();
    };
  }

  /** Writes every window total changed since the last call. Must run inside the caller's transaction. */
  persist(sql: SqlStorage): void {
    for (const id of this.dirty) {
      const t = this.totals.get(id);
      if (!t) continue;
      const [budgetId, subject, windowStart] = id.split('\u0000');
      sql.exec(
        `INSERT INTO budget_spend (budget_id, subject, window_start, spent_micros, alerted_percent) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (budget_id, subject, window_start) DO UPDATE SET spent_micros = excluded.spent_micros, alerted_percent = excluded.alerted_percent`,
        budgetId,
        subject,
        Number(windowStart),
        t.spent,
        t.alerted,
      );
    }
    this.dirty.clear();
  }

  /** Adds a budget; returns its id. */
  create(sql: SqlStorage, input: BudgetInput, now: number): string {
    const id = newId('bud');
    sql.exec(
      `INSERT INTO budgets (id, name, scope, key_id, model, project_id, member_id, amount_micros, window_kind, action, thresholds, fallback_model,
         created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      id,
      input.name,
      input.scope,
      input.keyId,
      input.model,
      input.projectId,
      input.memberId,
      input.amountMicros,
      input.window,
      input.action,
      JSON.stringify(input.thresholds),
      input.fallbackModel,
      now,
      now,
    );
    this.forget();
    return id;
  }

  /** Edits a budget (not its scope); false when there is no such budget. */
  update(sql: SqlStorage, budgetId: string, patch: Partial<Omit<BudgetInput, 'scope'>>, now: number): boolean {
    const row = sql.exec<Row>('SELECT * FROM budgets WHERE id = ?', budgetId).toArray()[0];
    if (!row) return false;
    const next: Budget = { ...rowToBudget(row), ...patch, updatedAt: now };
    sql.exec(
      `UPDATE budgets SET name = ?, key_id = ?, model = ?, project_id = ?, member_id = ?, amount_micros = ?, window_kind = ?, action = ?, thresholds = ?,
         fallback_model = ?, updated_at = ? WHERE id = ?`,
      next.name,
      next.keyId,
      next.model,
      next.projectId,
      next.memberId,
      next.amountMicros,
      next.window,
      next.action,
      JSON.stringify(next.thresholds),
      next.fallbackModel,
      next.updatedAt,
      budgetId,
    );
    this.forget();
    return true;
  }

  /** Deletes a budget; false when there was none. */
  remove(sql: SqlStorage, budgetId: string): boolean {
    const existed = sql.exec('DELETE FROM budgets WHERE id = ?', budgetId).rowsWritten > 0;
    this.forget();
    return existed;
  }

  /** Sets the organisation's calendar; budget windows follow it from the next request. */
  setSettings(sql: SqlStorage, settings: Partial<CalendarSettings>): void {
    const now = this.settings(sql);
    sql.exec('UPDATE account SET timezone = ?, week_start = ?', settings.timezone ?? now.timezone, settings.weekStart ?? now.weekStart);
    this.forget();
  }

  /** Drops the cached budgets and calendar (an edit), or everything (a rolled-back transaction). */
  forget(all = false): void {
    this.all = undefined;
    this.calendar = undefined;
    this.clock = undefined;
    this.day = undefined;
    this.windows.clear();
    this.resets.clear();
    if (all) {
      this.totals.clear();
      this.dirty.clear();
    }
  }

  /** Every budget with its current window's spend, holds and state. */
  status(sql: SqlStorage, holds: Holds, now: number): BudgetStatus[] {
    const { timezone } = this.settings(sql);
    return this.list(sql).map((b) => {
      const w = this.window(sql, b, now);
      const usage: BudgetUsage[] = [];
      const entry = (endUser: string | null, spent: number, alerted: number): BudgetUsage => {
        const reserved = holds.held(budgetHold(b.id, endUser ?? ''), now);
        return {
          endUser,
          spentMicros: spent,
          reservedMicros: reserved,
          remainingMicros: Math.max(0, b.amountMicros - spent - reserved),
          alertedPercent: alerted,
        };
      };
      if (b.scope === 'end_user') {
        const rows = sql
          .exec<{ subject: string; spent_micros: number; alerted_percent: number }>(
            'SELECT subject, spent_micros, alerted_percent FROM budget_spend WHERE budget_id = ? AND window_start = ? ORDER BY spent_micros DESC LIMIT 50',
            b.id,
            w.start,
          )
          .toArray();
        for (const r of rows) {
          const t = this.totals.get(`${b.id}\u0000${r.subject}\u0000${w.start}`);
          usage.push(entry(r.subject, t?.spent ?? r.spent_micros, t?.alerted ?? r.alerted_percent));
        }
        usage.sort((x, y) => y.spentMicros - x.spentMicros);
      } else {
        const t = this.total(sql, b.id, '', w.start);
        usage.push(entry(null, t.spent, t.alerted));
      }
      const worst = usage.reduce((m, u) => Math.max(m, b.amountMicros > 0 ? ((u.spentMicros + u.reservedMicros) * 100) / b.amountMicros : 100), 0);
      const warnAt = b.thresholds.find((p) => p < 100) ?? 80;
      const state = worst >= 100 ? 'exceeded' : worst >= warnAt ? 'warning' : 'ok';
      return { ...b, windowStart: w.start, resetsAt: w.end, timezone, usage, state };
    });
  }
}

/** A grant's budget windows, as sent back by the worker: checked before they are charged. */
export function validGrantBudgets(budgets: unknown): budgets is GrantBudget[] | undefined {
  if (budgets === undefined) return true;
  return (
    Array.isArray(budgets) &&
    budgets.length <= 64 &&
    budgets.every(
      (b) =>
        typeof b === 'object' &&
        b !== null &&
        typeof (b as GrantBudget).id === 'string' &&
        typeof (b as GrantBudget).subject === 'string' &&
        Number.isSafeInteger((b as GrantBudget).windowStart) &&
        (b as GrantBudget).windowStart >= 0,
    )
  );
}
