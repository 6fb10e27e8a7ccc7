/**
 * @module account
 * `AccountObject`: one Durable Object per billing account, the single serial point for its
 * money and limits. Every RPC that changes state does so in one `transactionSync` with no
 * await inside, so admission and settlement are atomic across all limits. There is no
 * `blockConcurrencyWhile` on the request path (the schema is applied in the constructor,
 * which the runtime already serialises).
 *
 * The alarm expires reservations that were never settled, flushes the outbox to D1 and
 * prunes rate cells; it reschedules itself while work remains.
 */
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../../env';
import { admit } from './admission';
import { insertKey, readKey, rowToKey, updateKeyRow } from './keys';
import { type AccountRow, findEntry, post, rowToEntry } from './ledger';
import { readAutoRecharge, savePaymentMethod, triggerAutoRecharge, writeAutoRecharge, type AutoRechargeSettings, type AutoRechargeState } from './auto-recharge';
import { runAutoRecharge } from '../../payments/auto-recharge-runner';
import { snapshot, type ReconciliationSnapshot } from './reconciliation';
import { applyInvoiceStatus, applyReversal, creditPayment, paymentTotals, type Ctx, type InvoiceOutcome, type PaymentCredit, type PaymentTotals, type ReversalInput } from './payments';
import { flushOutbox } from './outbox';
import { WINDOW_MS } from './rate-window';
import { OpenReservations } from './open-reservations';
import { migrate } from './schema';
import { durationSetting } from '../../lib/duration';
import { expireReservations, settle } from './settlement';
import type { AdmitRequest, AdmitResult, EntryInput, JournalEntry, KeyLimits, KeyRecord, SettleRequest, SettleResult } from './types';

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

export interface AccountSummary {
  accountId: string;
  status: 'active' | 'suspended';
  balanceMicros: number;
  reservedMicros: number;
  openReservations: number;
  pendingOutbox: number;
}

export class AccountObject extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  /** When the alarm is known to be set for; undefined until read once. Cache of storage state. */
  private alarmAt: number | null | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    migrate(this.sql);
  }

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
      // Rolled back: the caches built on storage may hold the transaction's changes; rebuild them.
      this.row = undefined;
      this.open = undefined;
      throw error;
    }
  }

  /** Running totals of the open reservations (a cache of the table; see open-reservations.ts). */
  private open: OpenReservations | undefined;

  private openReservations(): OpenReservations {
    this.open ??= OpenReservations.load(this.sql);
    return this.open;
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
    const row = this.sql.exec<{ account_id: string; status: string; balance_micros: number }>('SELECT account_id, status, balance_micros FROM account').toArray()[0];
    if (!row) throw new Error('account object not initialised');
    const open = this.sql.exec<{ n: number; total: number }>('SELECT COUNT(*) AS n, COALESCE(SUM(reserved_micros), 0) AS total FROM reservations').one();
    return {
      accountId: row.account_id,
      status: row.status as AccountSummary['status'],
      balanceMicros: row.balance_micros,
      reservedMicros: open.total,
      openReservations: open.n,
      pendingOutbox: this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM outbox').one().n,
    };
  }

  /** Suspends or reactivates the account; suspension refuses every new request at once. */
  setStatus(status: 'active' | 'suspended'): AccountSummary {
    this.sql.exec('UPDATE account SET status = ?', status);
    this.row = undefined;
    return this.summary();
  }

  /** The hot path: admits and reserves, or names the limit that refused. */
  async admit(req: AdmitRequest): Promise<AdmitResult> {
    const now = Date.now();
    const holdMs = this.holdMs(req.lifetimeMs);
    const result = this.tx((row) => admit(this.sql, req, now, holdMs, this.openReservations(), row));
    if (result.ok) await this.ensureAlarm(now + holdMs);
    return result;
  }

  /** Closes a reservation exactly once with what the origin really produced. */
  async settle(req: SettleRequest): Promise<SettleResult> {
    const now = Date.now();
    const accountId = this.accountId();
    const { result, recharge } = this.tx((row) => {
      const open = this.openReservations();
      const settled = settle(this.sql, accountId, req, now, open, row ?? undefined);
      if (settled.duplicate || settled.costMicros === 0) return { result: settled, recharge: false };
      if (this.rechargeArmed === undefined) {
        const state = readAutoRecharge(this.sql, now);
        this.rechargeArmed = state.enabled && state.paymentMethod !== null && state.inflightTopupId === null;
      }
      const recharge = this.rechargeArmed && triggerAutoRecharge(this.sql, now, open.total);
      if (recharge) this.rechargeArmed = undefined;
      return { result: settled, recharge };
    });
    if (!result.duplicate) await this.ensureAlarm(recharge ? now : now + FLUSH_DELAY_MS);
    return result;
  }

  /** Posts one balance change (payments, promotions, admin); idempotent by key. */
  async postEntry(input: EntryInput): Promise<{ entry: JournalEntry; duplicate: boolean; balanceMicros: number }> {
    const now = Date.now();
    const accountId = this.accountId();
    const result = this.tx((row) => {
      const posted = post(this.sql, accountId, { ...input, ref: input.ref ?? null, reason: input.reason ?? null, keyId: null, now }, { row: row ?? undefined });
      return { ...posted, balanceMicros: row?.balance_micros ?? this.balance() };
    });
    if (!result.duplicate) await this.ensureAlarm(now + FLUSH_DELAY_MS);
    return result;
  }

  // Payments (./payments.ts): each decision reads what the journal holds for the payment and
  // writes in the same transaction, so concurrent deliveries about one payment converge.

  /** Runs a payment decision in one transaction and arms the flush when it posted anything. */
  private async payment<T>(fn: (ctx: Ctx) => T): Promise<T> {
    const now = Date.now();
    const accountId = this.accountId();
    const before = this.accountRow()?.last_seq ?? 0;
    const result = this.tx((row) => fn({ sql: this.sql, accountId, row: row ?? undefined, now }));
    if ((this.accountRow()?.last_seq ?? 0) !== before) await this.ensureAlarm(now + FLUSH_DELAY_MS);
    return result;
  }

  /** Credits a payment once (keyed by the payment) and posts reversals that waited for it. */
  creditPayment(input: PaymentCredit): Promise<{ duplicate: boolean; totals: PaymentTotals; balanceMicros: number }> {
    return this.payment((ctx) => ({ ...creditPayment(ctx, input), balanceMicros: ctx.row?.balance_micros ?? this.balance() }));
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

  private balance(): number {
    return this.sql.exec<{ balance_micros: number }>('SELECT balance_micros FROM account').one().balance_micros;
  }

  /** Journal entries, newest first, before an optional sequence number. */
  journal(options: { before?: number; limit?: number } = {}): JournalEntry[] {
    const limit = Math.min(Math.max(options.limit ?? 50, 1), 500);
    return this.sql
      .exec<Record<string, SqlStorageValue>>('SELECT * FROM journal WHERE seq < ? ORDER BY seq DESC LIMIT ?', options.before ?? Number.MAX_SAFE_INTEGER, limit)
      .toArray()
      .map(rowToEntry);
  }

  /** Records a new key (its hash lives in KV/D1; its status and limits live here). */
  createKey(key: Pick<KeyRecord, 'id' | 'kind' | 'name' | 'prefix' | 'last4'> & KeyLimits): KeyRecord {
    const createdAt = Date.now();
    insertKey(this.sql, { ...key, createdAt });
    return readKey(this.sql, key.id) as KeyRecord;
  }

  /** One key, or null if this account has no such key. */
  getKey(keyId: string): KeyRecord | null {
    return readKey(this.sql, keyId);
  }

  /** A key together with its account's status (what `GET /v1/models` needs, in one call). */
  keyWithAccountStatus(keyId: string): { key: KeyRecord | null; accountStatus: string | null } {
    const account = this.sql.exec<{ status: string }>('SELECT status FROM account').toArray()[0];
    return { key: readKey(this.sql, keyId), accountStatus: account?.status ?? null };
  }

  /** Every key of the account, newest first. */
  listKeys(kind?: KeyRecord['kind']): KeyRecord[] {
    const rows = kind
      ? this.sql.exec<Record<string, SqlStorageValue>>('SELECT * FROM keys WHERE kind = ? ORDER BY created_at DESC', kind)
      : this.sql.exec<Record<string, SqlStorageValue>>('SELECT * FROM keys ORDER BY created_at DESC');
    return rows.toArray().map(rowToKey);
  }

  /** Edits a key's name and limits; takes effect on the very next admission. */
  updateKey(keyId: string, patch: Partial<KeyLimits & { name: string }>): KeyRecord | null {
    return this.ctx.storage.transactionSync(() => {
      if (!readKey(this.sql, keyId)) return null;
      updateKeyRow(this.sql, keyId, patch);
      return readKey(this.sql, keyId);
    });
  }

  /** Revokes a key; the very next request with it is refused. */
  revokeKey(keyId: string): KeyRecord | null {
    return this.ctx.storage.transactionSync(() => {
      if (!readKey(this.sql, keyId)) return null;
      this.sql.exec("UPDATE keys SET status = 'revoked', revoked_at = COALESCE(revoked_at, ?) WHERE id = ?", Date.now(), keyId);
      return readKey(this.sql, keyId);
    });
  }

  /** Whether a management key is valid for this account right now. */
  authorizeManagement(keyId: string): boolean {
    const key = readKey(this.sql, keyId);
    return !!key && key.kind === 'management' && key.status === 'active' && (key.expiresAt === null || key.expiresAt > Date.now());
  }

  /** Expires stale reservations, flushes the outbox to D1, prunes old windows; reschedules. */
  async alarm(): Promise<void> {
    this.alarmAt = null;
    const now = Date.now();
    const initialised = this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM account').one().n > 0;
    if (!initialised) return;
    const accountId = this.accountId();
    this.tx((row) => {
      expireReservations(this.sql, accountId, now, this.openReservations(), row ?? undefined);
      this.sql.exec('DELETE FROM rate_cells WHERE window_start < ?', now - 2 * WINDOW_MS);
      this.sql.exec('DELETE FROM settlements WHERE created_at < ?', now - SETTLEMENT_RETENTION_MS);
      this.sql.exec('DELETE FROM expired_prices WHERE created_at < ?', now - SETTLEMENT_RETENTION_MS);
    });
    let next: number | null = null;
    if (readAutoRecharge(this.sql).inflightTopupId) {
      const done = await runAutoRecharge(this.env, this.ctx.storage, accountId, () => {
        this.row = undefined; // the runner posts its credit straight to storage
      });
      this.rechargeArmed = undefined;
      if (!done) next = now + RETRY_DELAY_MS;
    }
    try {
      for (let more = true; more; ) ({ more } = await flushOutbox(this.sql, this.env.DB));
    } catch (error) {
      console.error(JSON.stringify({ level: 'error', msg: 'outbox flush failed; will retry', accountId, error: String(error) }));
      next = now + RETRY_DELAY_MS;
    }
    const earliest = this.sql.exec<{ at: number | null }>('SELECT MIN(expires_at) AS at FROM reservations').one().at;
    if (earliest !== null) next = next === null ? earliest : Math.min(next, earliest);
    if (next !== null) await this.ensureAlarm(next);
  }
}
