/**
 * @module account
 * `AccountBooks` (run as `AccountObject`, worker/account-object.ts): one Durable Object per billing account, the single serial point for its
 * money and limits. Every RPC that changes state does so in one `transactionSync` with no
 * await inside, so admission and settlement are atomic across all limits. There is no
 * `blockConcurrencyWhile` on the request path (the schema is applied in the constructor,
 * which the runtime already serialises).
 *
 * The alarm expires reservations that were never settled, flushes the outbox to D1 and
 * prunes rate cells; it reschedules itself while work remains.
 */
import { DurableObject } from 'cloudflare:workers';
import { admit } from './admission';
import { HOLD_BALANCE } from './buckets';
import { BudgetBook } from './budgets';
import { adoptLegacyReservations } from './legacy';
import { LowBalanceAlert } from './low-balance';
import { Holds } from './holds';
import { KeyCache, type KeyPatch, type NewKey, insertKey, readKey, rowToKey, updateKeyRow } from './keys';
import { ProjectBook, type ProjectRemoval } from './projects';
import { type AnomalySettings, anomalySettingsProblem } from './anomaly-settings';
import { KeySpendWatch } from './spend-watch';
import { type AccountRow, findEntry, post, rowToEntry } from './ledger';
import {
  readAutoRecharge,
  savePaymentMethod,
  triggerAutoRecharge,
  writeAutoRecharge,
  type AutoRechargeSettings,
  type AutoRechargeState,
} from './auto-recharge';
import { snapshot, type ReconciliationSnapshot } from './reconciliation';
import {
  applyInvoiceStatus,
  applyReversal,
  creditPayment,
  paymentTotals,
  type Ctx,
  type InvoiceOutcome,
  type PaymentCredit,
  type PaymentTotals,
  type ReversalInput,
} from './payments';
import { flushOutbox } from './outbox';
import { RateCells, WINDOW_MS } from './rate-window';
import { migrate } from './schema';
import { durationSetting } from '../../lib/duration';
import { type Books, expireGrants, settleOne } from './settlement';
import type {
  AdmitRequest,
  AdmitResult,
  BudgetInput,
  BudgetStatus,
  CalendarSettings,
  EntryInput,
  JournalEntry,
  KeyLimits,
  KeyRecord,
  Project,
  ProjectInput,
  SettleRequest,
  SettleResult,
} from './types';
import { DEFAULT_PROJECT_ID } from './types';

/** Longest request lifetime the object accepts from the worker, whatever it asks for. */
const MAX_REQUEST_LIFETIME_MS = 60 * 60_000;
/**
 * How long a reservation outlives its request's lifetime cap: time for the worker's settle (and
 * its durable retries) to land before the alarm charges the reserved upper bound instead.
 */
const DEFAULT_RESERVATION_GRACE_MS = 5 * 60_000;
const FLUSH_DELAY_MS = 1_000;
const RETRY_DELAY_MS = 10_000;
const SETTLEMENT_RETENTION_MS = 24 * 60 * 60_000;
/** Settles committed in one transaction at most (a larger batch commits at once). */
const MAX_BATCH = 256;

interface Waiting {
  req: SettleRequest;
  resolve: (result: SettleResult) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; result: SettleResult } | { ok: false; error: unknown };

export interface AccountSummary {
  accountId: string;
  status: 'active' | 'suspended';
  balanceMicros: number;
  /** Held for requests in flight: this life's open grants plus the pool. */
  reservedMicros: number;
  /** Of that, kept back for requests an earlier life of the object may still have in flight (until the pool expires). */
  pooledMicros: number;
  openReservations: number;
  pendingOutbox: number;
}

/** What the books read from the worker's bindings. */
export interface AccountEnv {
  DB: D1Database;
  /** How long a reservation outlives its request's lifetime before the alarm charges it in full (ms). */
  RESERVATION_GRACE_MS?: string;
}

/**
 * The account's books: admission, settlement, the ledger and its outbox. The class the runtime
 * runs (`AccountObject`, worker/account-object.ts) adds what reaches outside them, the
 * auto-recharge payment, so these books never import the payments layer.
 */
export abstract class AccountBooks<E extends AccountEnv = AccountEnv> extends DurableObject<E> {
  private readonly sql: SqlStorage;
  /** When the alarm is known to be set for; undefined until read once. Cache of storage state. */
  private alarmAt: number | null | undefined;

  /** Grants of requests in flight, and the marks that keep them across a restart (holds.ts). */
  private readonly holds: Holds;
  /** Rate windows (rate-window.ts) and key rows (keys.ts) in memory, written by the group commit. */
  private readonly rates = new RateCells();
  private readonly keys = new KeyCache();
  /** Budgets, the calendar and each budget window's running total (budgets.ts). */
  private readonly budgets = new BudgetBook();
  /** Projects: their allowed models apply at admission (projects.ts). */
  private readonly projects = new ProjectBook();
  /** Each key's 5-minute spend against its own baseline: real-time anomalies (spend-watch.ts). */
  private readonly watch = new KeySpendWatch();
  /** Settles waiting for the next group commit, and its timer. */
  private batch: Waiting[] = [];
  private commitTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(ctx: DurableObjectState, env: E) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    migrate(this.sql);
    // A new life: the last life's marks become pools held until they expire.
    this.holds = ctx.storage.transactionSync(() => {
      const holds = Holds.start(this.sql, Date.now());
      adoptLegacyReservations(this.sql, holds);
      return holds;
    });
  }

  /**
   * Makes the auto-recharge payment marked in flight (the alarm calls it). Returns false when it
   * should be retried later. `afterCredit` runs right after a credit is written to storage.
   */
  protected abstract runRecharge(accountId: string, afterCredit: () => void): Promise<boolean>;

  /** Alerts of this account were just written to D1 (with their deliveries): send them now rather than at the next cron. Never throws. */
  protected abstract alertsRecorded(accountId: string): Promise<void>;

  /**
   * How long a reservation is held: the request's lifetime cap (which the worker enforces by
   * ending the request) plus the settle grace. Money held for a live request is therefore never
   * released before it settles; and when it does expire, it is charged in full, not released.
   */
  private holdMs(lifetimeMs: number): number {
    const lifetime = Number.isFinite(lifetimeMs) && lifetimeMs > 0 ? Math.min(lifetimeMs, MAX_REQUEST_LIFETIME_MS) : MAX_REQUEST_LIFETIME_MS;
    return lifetime + durationSetting(this.env.RESERVATION_GRACE_MS, DEFAULT_RESERVATION_GRACE_MS, 0);
  }

  /** The account id never changes once set; cached after the first read. */
  private cachedAccountId: string | undefined;
  /** Whether auto-recharge could trigger (enabled, card saved, none in flight); undefined = re-read. */
  private rechargeArmed: boolean | undefined;

  /**
   * The `account` row (status, balance, last journal seq) kept in memory: this object is its only
   * writer. Transactions work on a copy that becomes the cache only once they commit; a
   * transaction that throws (and rolls back) drops the cache. Undefined = read it again.
   */
  private row: AccountRow | null | undefined;

  private accountRow(): AccountRow | null {
    if (this.row === undefined) {
      this.row = this.sql.exec<AccountRow>('SELECT status, balance_micros, last_seq FROM account').toArray()[0] ?? null;
    }
    return this.row;
  }

  /** One synchronous transaction over a working copy of the account row. */
  private tx<T>(fn: (row: AccountRow | null) => T): T {
    const base = this.accountRow();
    const work = base ? { ...base } : null;
    try {
      const out = this.ctx.storage.transactionSync(() => fn(work));
      this.row = work;
      return out;
    } catch (error) {
      // Rolled back: the cache built on storage may hold the transaction's changes; read it again.
      this.row = undefined;
      throw error;
    }
  }

  /**
   * Runs settlement work in one transaction with an undo log for the memory it changes; the
   * account row, the keys, the windows and the marks are written once for the whole batch.
   */
  private inBooks<T>(fn: (books: Books) => T): T {
    const undo: Array<() => void> = [];
    const accountId = this.accountId();
    try {
      return this.tx((row) => {
        if (!row) throw new Error('account object not initialised');
        const lastSeq = row.last_seq;
        const out = fn({
          sql: this.sql,
          accountId,
          row,
          holds: this.holds,
          rates: this.rates,
          keys: this.keys,
          budgets: this.budgets,
          watch: this.watch,
          undo,
        });
        if (row.last_seq !== lastSeq) this.sql.exec('UPDATE account SET balance_micros = ?, last_seq = ?', row.balance_micros, row.last_seq);
        this.keys.persist(this.sql);
        this.budgets.persist(this.sql);
        this.watch.persist(this.sql);
        this.rates.persist(this.sql);
        this.holds.persist(this.sql);
        return out;
      });
    } catch (error) {
      for (const step of undo.reverse()) step();
      this.keys.forget();
      this.budgets.forget(true);
      this.watch.forget();
      this.rates.markAllDirty();
      this.holds.markAllDirty();
      throw error;
    }
  }

  /** Commits the waiting settles soon (and with them the windows counted by admissions). */
  private scheduleCommit(): void {
    this.commitTimer ??= setTimeout(() => this.commit(), 0);
  }

  /**
   * The group commit: every settle received since the last one, in one transaction. Each settle is
   * answered only after it (the runtime's output gate holds the answers until the write is
   * durable). A batch that fails is retried one settle at a time, so one bad settle fails alone.
   */
  private commit(): void {
    if (this.commitTimer !== undefined) clearTimeout(this.commitTimer);
    this.commitTimer = undefined;
    const batch = this.batch;
    this.batch = [];
    const now = Date.now();
    const run = (items: Waiting[]) =>
      this.inBooks((books) => {
        const results = items.map((item) => settleOne(books, item.req, now));
        const charged = results.some((r) => !r.duplicate && r.costMicros > 0);
        if (charged) {
          const undo = this.lowBalance.check(books.sql, books.accountId, books.row, books.row.balance_micros - this.holds.held(HOLD_BALANCE, now), now);
          if (undo) books.undo.push(undo);
        }
        return { results, recharge: charged && this.rechargeDue(books, now) };
      });
    let outcomes: Outcome[];
    let recharge = false;
    try {
      const done = run(batch);
      recharge = done.recharge;
      outcomes = done.results.map((result) => ({ ok: true, result }));
    } catch (error) {
      outcomes = batch.map((item) => {
        if (batch.length === 1) return { ok: false, error };
        try {
          const done = run([item]);
          recharge ||= done.recharge;
          return { ok: true, result: done.results[0] };
        } catch (itemError) {
          console.error(
            JSON.stringify({ level: 'error', msg: 'settle failed; the worker retries it', requestId: item.req.reservationId, error: String(itemError) }),
          );
          return { ok: false, error: itemError };
        }
      });
    }
    if (outcomes.some((o) => o.ok && !o.result.duplicate)) {
      this.ensureAlarm(recharge ? now : now + FLUSH_DELAY_MS).catch((error: unknown) => {
        console.error(JSON.stringify({ level: 'error', msg: 'could not arm the alarm', error: String(error) }));
      });
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i];
      if (outcome.ok) item.resolve(outcome.result);
      else item.reject(outcome.error);
    });
  }

  /** Low-balance alert: raised once in the settling transaction, re-armed by credit (low-balance.ts). */
  private readonly lowBalance = new LowBalanceAlert();

  /** The low-balance alert's setting. */
  alertSettings(): { lowBalanceMicros: number | null } {
    return { lowBalanceMicros: this.lowBalance.setting(this.sql).threshold };
  }

  /** Sets (or with null, switches off) the low-balance alert; it is raised when charges next take the balance under it. */
  setAlertSettings(settings: { lowBalanceMicros: number | null }): { lowBalanceMicros: number | null } {
    this.lowBalance.set(this.sql, settings.lowBalanceMicros);
    return this.alertSettings();
  }

  /** The organisation's anomaly thresholds (anomaly-settings.ts). */
  anomalySettings(): AnomalySettings {
    return this.watch.settings(this.sql);
  }

  /** Replaces the anomaly thresholds; out-of-bounds values are refused (the field is named). */
  setAnomalySettings(next: AnomalySettings): AnomalySettings | { problem: string } {
    const problem = anomalySettingsProblem(next);
    if (problem) return { problem };
    this.settledReads();
    return this.watch.setSettings(this.sql, next);
  }

  /** Lifts a spend anomaly's pause: the key is admitted again from the very next request. */
  resumeKey(keyId: string, byUserId: string): { resumed: boolean } {
    this.settledReads();
    const key = this.keys.get(this.sql, keyId);
    if (!key || key.pausedAt === null) return { resumed: false };
    this.sql.exec('UPDATE keys SET paused_at = NULL, paused_reason = NULL WHERE id = ?', keyId);
    this.keys.forget(keyId);
    console.log(JSON.stringify({ level: 'info', msg: 'key resumed after a spend anomaly', keyId, by: byUserId }));
    return { resumed: true };
  }

  /** After a credit: the low-balance alert is re-armed once the available balance is back over its threshold. */
  private rearmLowBalance(): void {
    this.lowBalance.rearm(this.sql, this.balance() - this.holds.held(HOLD_BALANCE, Date.now()));
  }

  /** Auto-recharge: whether this batch took the available balance under the threshold (marks one recharge in flight). */
  private rechargeDue(books: Books, now: number): boolean {
    if (this.rechargeArmed === undefined) {
      const state = readAutoRecharge(this.sql, now);
      this.rechargeArmed = state.enabled && state.paymentMethod !== null && state.inflightTopupId === null;
    }
    if (!this.rechargeArmed) return false;
    const due = triggerAutoRecharge(this.sql, now, books.row.balance_micros - this.holds.held(HOLD_BALANCE, now));
    if (due) {
      this.rechargeArmed = undefined;
      books.undo.push(() => (this.rechargeArmed = undefined));
    }
    return due;
  }

  /** Reads see every settle the object has received: commit the waiting ones first. */
  private settledReads(): void {
    if (this.batch.length > 0 || this.commitTimer !== undefined) this.commit();
  }

  private accountId(): string {
    if (this.cachedAccountId) return this.cachedAccountId;
    const row = this.sql.exec<{ account_id: string }>('SELECT account_id FROM account').toArray()[0];
    if (!row) throw new Error('account object not initialised');
    this.cachedAccountId = row.account_id;
    return row.account_id;
  }

  /** Makes sure the alarm fires no later than `at`. Costs no I/O when it already will. */
  private async ensureAlarm(at: number): Promise<void> {
    if (this.alarmAt === undefined) this.alarmAt = await this.ctx.storage.getAlarm();
    if (this.alarmAt !== null && this.alarmAt <= at) return;
    this.alarmAt = at;
    await this.ctx.storage.setAlarm(at);
  }

  /** Creates the account's state on first use; later calls are no-ops. */
  init(accountId: string): AccountSummary {
    this.sql.exec('INSERT OR IGNORE INTO account (singleton, account_id) VALUES (1, ?)', accountId);
    this.row = undefined;
    return this.summary();
  }

  /** Balance, reservations and outbox depth. */
  summary(): AccountSummary {
    this.settledReads();
    const row = this.sql
      .exec<{ account_id: string; status: string; balance_micros: number }>('SELECT account_id, status, balance_micros FROM account')
      .toArray()[0];
    if (!row) throw new Error('account object not initialised');
    const now = Date.now();
    return {
      accountId: row.account_id,
      status: row.status as AccountSummary['status'],
      balanceMicros: row.balance_micros,
      reservedMicros: this.holds.held(HOLD_BALANCE, now),
      pooledMicros: this.holds.poolOn(HOLD_BALANCE, now),
      openReservations: this.holds.size,
      pendingOutbox: this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM outbox').one().n,
    };
  }

  /** Suspends or reactivates the account; suspension refuses every new request at once. */
  setStatus(status: 'active' | 'suspended'): AccountSummary {
    this.sql.exec('UPDATE account SET status = ?', status);
    this.row = undefined;
    return this.summary();
  }

  /**
   * The hot path: admits and holds in memory, or names the limit that refused. No storage write,
   * except (rarely) raising a mark; the windows it counted are written by the next group commit.
   */
  async admit(req: AdmitRequest): Promise<AdmitResult> {
    const now = Date.now();
    const key = this.keys.get(this.sql, req.keyId);
    const { caps, ...result } = admit(
      {
        sql: this.sql,
        account: this.accountRow(),
        key,
        project: this.projects.get(this.sql, key?.projectId ?? null),
        holds: this.holds,
        rates: this.rates,
        budgets: this.budgets,
      },
      req,
      now,
      this.holdMs(req.lifetimeMs),
    );
    if (!result.ok) return result;
    if (this.holds.add(result.grant, caps)) {
      try {
        this.ctx.storage.transactionSync(() => this.holds.persist(this.sql));
      } catch (error) {
        // The mark is not durable: the request cannot be admitted.
        this.holds.take(result.grant.requestId);
        this.holds.markAllDirty();
        throw error;
      }
    }
    this.scheduleCommit();
    await this.ensureAlarm(result.grant.expiresAt);
    return result;
  }

  /**
   * Closes a grant exactly once with what the origin really produced. Group-committed: the answer
   * comes once the batch holding this settle is written. Idempotent by request id, also for a
   * grant this life of the object does not remember (`req.grant` is then charged against the pool).
   */
  settle(req: SettleRequest): Promise<SettleResult> {
    return new Promise<SettleResult>((resolve, reject) => {
      this.batch.push({ req, resolve, reject });
      if (this.batch.length >= MAX_BATCH) this.commit();
      else this.scheduleCommit();
    });
  }

  /** Posts one balance change (payments, promotions, admin); idempotent by key. */
  async postEntry(input: EntryInput): Promise<{ entry: JournalEntry; duplicate: boolean; balanceMicros: number }> {
    const now = Date.now();
    const accountId = this.accountId();
    const result = this.tx((row) => {
      return post(this.sql, accountId, { ...input, ref: input.ref ?? null, reason: input.reason ?? null, keyId: null, now }, { row: row ?? undefined });
    });
    if (!result.duplicate) {
      this.rearmLowBalance();
      await this.ensureAlarm(now + FLUSH_DELAY_MS);
    }
    return { ...result, balanceMicros: this.balance() };
  }

  // Payments (./payments.ts): each decision reads what the journal holds for the payment and
  // writes in the same transaction, so concurrent deliveries about one payment converge.

  /** Runs a payment decision in one transaction and arms the flush when it posted anything. */
  private async payment<T>(fn: (ctx: Ctx) => T): Promise<T> {
    const now = Date.now();
    const accountId = this.accountId();
    const before = this.accountRow()?.last_seq ?? 0;
    const result = this.tx((row) => fn({ sql: this.sql, accountId, row: row ?? undefined, now }));
    if ((this.accountRow()?.last_seq ?? 0) !== before) {
      this.rearmLowBalance();
      await this.ensureAlarm(now + FLUSH_DELAY_MS);
    }
    return result;
  }

  /** Credits a payment once (keyed by the payment) and posts reversals that waited for it. */
  creditPayment(input: PaymentCredit): Promise<{ duplicate: boolean; totals: PaymentTotals; balanceMicros: number }> {
    return this.payment((ctx) => creditPayment(ctx, input)).then((result) => ({ ...result, balanceMicros: this.balance() }));
  }

  /** Records a refund or dispute total for a payment; posts at most what the payment credited. */
  applyReversal(input: ReversalInput): Promise<PaymentTotals> {
    return this.payment((ctx) => applyReversal(ctx, input));
  }

  /** Decides a BTCPay invoice's money (Settled credits, Invalid reverses) in one step. */
  applyInvoiceStatus(input: PaymentCredit & { status: 'Settled' | 'Invalid' }): Promise<{ outcome: InvoiceOutcome; totals: PaymentTotals }> {
    return this.payment((ctx) => applyInvoiceStatus(ctx, input));
  }

  /** What the journal credited and reversed for one payment (reconciliation). */
  paymentTotals(paymentKey: string): PaymentTotals {
    return paymentTotals(this.sql, paymentKey);
  }

  /** Whether an entry with this idempotency key exists. */
  hasEntry(idempotencyKey: string): boolean {
    return findEntry(this.sql, idempotencyKey) !== null;
  }

  /** What reconciliation compares with D1: the journal's sum and chain, and how far D1 should have it. */
  reconciliationSnapshot(): ReconciliationSnapshot {
    return snapshot(this.sql);
  }

  /** Auto-recharge settings and state. */
  autoRecharge(): AutoRechargeState {
    return readAutoRecharge(this.sql);
  }

  /** Changes auto-recharge settings; enabling needs a saved card. */
  setAutoRecharge(settings: AutoRechargeSettings): AutoRechargeState {
    this.rechargeArmed = undefined;
    return this.ctx.storage.transactionSync(() => writeAutoRecharge(this.sql, settings));
  }

  /** Remembers the card saved during a Checkout top-up, for off-session auto-recharge. */
  savePaymentMethod(customerId: string, paymentMethod: string): AutoRechargeState {
    this.rechargeArmed = undefined;
    return this.ctx.storage.transactionSync(() => savePaymentMethod(this.sql, customerId, paymentMethod));
  }

  /** The committed balance (the account row is cached in memory; this object is its only writer). */
  private balance(): number {
    return this.accountRow()?.balance_micros ?? 0;
  }

  /** Journal entries, newest first, before an optional sequence number. */
  journal(options: { before?: number; limit?: number } = {}): JournalEntry[] {
    this.settledReads();
    const limit = Math.min(Math.max(options.limit ?? 50, 1), 500);
    return this.sql
      .exec<Record<string, SqlStorageValue>>('SELECT * FROM journal WHERE seq < ? ORDER BY seq DESC LIMIT ?', options.before ?? Number.MAX_SAFE_INTEGER, limit)
      .toArray()
      .map(rowToEntry);
  }

  /**
   * Records a new key (its hash lives in KV/D1; its status and limits live here). An inference key
   * goes in its project (the default one unless named), which fills in the limits the request left
   * unset; null when the project does not exist.
   */
  createKey(key: Omit<NewKey, 'createdAt'>, unset: Array<keyof KeyLimits> = []): KeyRecord | null {
    let record: NewKey = { ...key, createdAt: Date.now() };
    if (key.kind === 'inference') {
      const project = this.projects.get(this.sql, key.projectId ?? DEFAULT_PROJECT_ID);
      if (!project) return null;
      const defaults = Object.fromEntries(Object.entries(project.keyDefaults).filter(([field]) => unset.includes(field as keyof KeyLimits)));
      record = { ...record, ...defaults, projectId: project.id };
    }
    insertKey(this.sql, record);
    this.keys.forget(key.id);
    return readKey(this.sql, key.id) as KeyRecord;
  }

  /** One key, or null if this account has no such key. */
  getKey(keyId: string): KeyRecord | null {
    return this.keys.get(this.sql, keyId);
  }

  /** A key together with its account's status (what `GET /v1/models` needs, in one call). */
  keyWithAccountStatus(keyId: string): { key: KeyRecord | null; accountStatus: string | null } {
    const account = this.sql.exec<{ status: string }>('SELECT status FROM account').toArray()[0];
    return { key: this.keys.get(this.sql, keyId), accountStatus: account?.status ?? null };
  }

  /** Every key of the account, newest first. */
  listKeys(kind?: KeyRecord['kind']): KeyRecord[] {
    this.settledReads();
    const rows = kind
      ? this.sql.exec<Record<string, SqlStorageValue>>('SELECT * FROM keys WHERE kind = ? ORDER BY created_at DESC', kind)
      : this.sql.exec<Record<string, SqlStorageValue>>('SELECT * FROM keys ORDER BY created_at DESC');
    return rows.toArray().map(rowToKey);
  }

  /** Edits a key's name and limits; takes effect on the very next admission. */
  updateKey(keyId: string, patch: KeyPatch): KeyRecord | null {
    return this.ctx.storage.transactionSync(() => {
      if (!readKey(this.sql, keyId)) return null;
      if (patch.projectId !== undefined && !this.projects.get(this.sql, patch.projectId)) return null;
      updateKeyRow(this.sql, keyId, patch);
      this.keys.forget(keyId);
      return readKey(this.sql, keyId);
    });
  }

  /** Revokes a key; the very next request with it is refused. */
  revokeKey(keyId: string): KeyRecord | null {
    return this.ctx.storage.transactionSync(() => {
      if (!readKey(this.sql, keyId)) return null;
      this.sql.exec("UPDATE keys SET status = 'revoked', revoked_at = COALESCE(revoked_at, ?) WHERE id = ?", Date.now(), keyId);
      this.keys.forget(keyId);
      return readKey(this.sql, keyId);
    });
  }

  // Budgets (./budgets.ts): every write drops the cache, so it applies to the very next admission.

  /** Every budget with its current window's spend, holds and state. */
  listBudgets(): BudgetStatus[] {
    this.settledReads();
    return this.budgets.status(this.sql, this.holds, Date.now());
  }

  /** One budget's status, or null. */
  getBudget(budgetId: string): BudgetStatus | null {
    return this.listBudgets().find((b) => b.id === budgetId) ?? null;
  }

  /** Adds a budget; the key or project it names must be this organisation's (null otherwise). */
  createBudget(input: BudgetInput): BudgetStatus | null {
    if (input.keyId !== null && !this.keys.get(this.sql, input.keyId)) return null;
    if (input.projectId !== null && !this.projects.get(this.sql, input.projectId)) return null;
    return this.getBudget(this.budgets.create(this.sql, input, Date.now()));
  }

  /**
   * Edits a budget. What its current window spent stays; a changed window starts counting from
   * the new window's total. Null when there is no such budget (or the key is not this account's).
   */
  updateBudget(budgetId: string, patch: Partial<Omit<BudgetInput, 'scope'>>): BudgetStatus | null {
    if (patch.keyId && !this.keys.get(this.sql, patch.keyId)) return null;
    if (patch.projectId && !this.projects.get(this.sql, patch.projectId)) return null;
    return this.budgets.update(this.sql, budgetId, patch, Date.now()) ? this.getBudget(budgetId) : null;
  }

  /** Deletes a budget; requests in flight against it settle normally. */
  deleteBudget(budgetId: string): boolean {
    return this.budgets.remove(this.sql, budgetId);
  }

  // Projects (./projects.ts): an edit of allowed models applies to the very next admission.

  /** Every project, the default first. */
  listProjects(): Project[] {
    return this.projects.list(this.sql);
  }

  getProject(projectId: string): Project | null {
    return this.projects.get(this.sql, projectId);
  }

  createProject(input: ProjectInput): Project {
    return this.projects.create(this.sql, input, Date.now());
  }

  updateProject(projectId: string, patch: Partial<ProjectInput>): Project | null {
    return this.projects.update(this.sql, projectId, patch, Date.now());
  }

  /** Deletes a project without active keys; the default project cannot be deleted. */
  deleteProject(projectId: string): ProjectRemoval {
    return this.projects.remove(this.sql, projectId);
  }

  /** A member left the organisation: out of every project; their keys stay, owned by the organisation. */
  removeMember(userId: string): void {
    this.projects.removeMember(this.sql, userId, Date.now());
  }

  /** The organisation's calendar: the zone budget windows follow, and the first day of a week. */
  calendar(): CalendarSettings {
    return { ...this.budgets.settings(this.sql) };
  }

  setCalendar(settings: Partial<CalendarSettings>): CalendarSettings {
    this.budgets.setSettings(this.sql, settings);
    return this.calendar();
  }

  /** Whether a management key is valid for this account right now. */
  authorizeManagement(keyId: string): boolean {
    const key = this.keys.get(this.sql, keyId);
    return !!key && key.kind === 'management' && key.status === 'active' && (key.expiresAt === null || key.expiresAt > Date.now());
  }

  /** Expires stale reservations, flushes the outbox to D1, prunes old windows; reschedules. */
  async alarm(): Promise<void> {
    this.alarmAt = null;
    const now = Date.now();
    const initialised = this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM account').one().n > 0;
    if (!initialised) return;
    const accountId = this.accountId();
    this.settledReads();
    this.inBooks((books) => {
      expireGrants(books, now);
      this.holds.tidy(now);
      this.rates.prune(now);
      this.sql.exec('DELETE FROM rate_cells WHERE window_start < ?', now - 2 * WINDOW_MS);
      this.sql.exec('DELETE FROM settlements WHERE created_at < ?', now - SETTLEMENT_RETENTION_MS);
      this.sql.exec('DELETE FROM expired_prices WHERE created_at < ?', now - SETTLEMENT_RETENTION_MS);
      // Windows long past (kept a while for the dashboard's history), and those of deleted budgets.
      this.sql.exec(
        `DELETE FROM budget_spend WHERE budget_id NOT IN (SELECT id FROM budgets) OR (window_start > 0 AND window_start < ? - (SELECT CASE window_kind
           WHEN 'hour' THEN 2 WHEN 'day' THEN 35 WHEN 'week' THEN 70 ELSE 400 END FROM budgets WHERE budgets.id = budget_spend.budget_id) * 86400000)`,
        now,
      );
    });
    let next: number | null = null;
    if (readAutoRecharge(this.sql).inflightTopupId) {
      const done = await this.runRecharge(accountId, () => {
        this.row = undefined; // the runner posts its credit straight to storage
      });
      this.rechargeArmed = undefined;
      if (!done) next = now + RETRY_DELAY_MS;
    }
    try {
      let alerts = 0;
      for (let more = true; more; ) {
        const flushed = await flushOutbox(this.sql, this.env.DB);
        more = flushed.more;
        alerts += flushed.alerts;
      }
      if (alerts > 0) await this.alertsRecorded(accountId);
    } catch (error) {
      console.error(JSON.stringify({ level: 'error', msg: 'outbox flush failed; will retry', accountId, error: String(error) }));
      next = now + RETRY_DELAY_MS;
    }
    const earliest = this.holds.nextExpiry(Date.now());
    if (earliest !== null) next = next === null ? earliest : Math.min(next, earliest);
    if (next !== null) await this.ensureAlarm(next);
  }

  /** Demo history for `npm start` (history.ts); reached only through the admin demo route, which exists only with DEMO_HISTORY=1. */
  async importDemoHistory(input: import('./history').HistoryInput): Promise<import('./history').HistoryResult> {
    const { importHistory } = await import('./history');
    this.settledReads();
    return importHistory(input, {
      inBooks: (fn) => this.inBooks(fn),
      project: (id) => this.projects.get(this.sql, id),
      db: this.env.DB,
      flushSoon: () => this.ensureAlarm(Date.now()),
    });
  }
}
