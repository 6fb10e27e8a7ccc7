/**
 * @module account/holds
 * What is held for requests in flight. Admission reserves in the object's memory, with no storage
 * write: the object is single-threaded, so balance − held is exact. Each grant holds amounts in
 * named in-flight counters ("holds": the balance, a key's spend, a key's concurrency; buckets.ts
 * names them), and the counters are running totals, so admission reads them in O(1).
 *
 * Surviving an eviction or a restart between admit and settle: for every hold the object persists
 * a **mark**, an upper bound of what is in flight there, raised in coarse steps (doubling) only
 * when the in-flight amount passes it, and valid until a time no open grant outlives. So a steady
 * load writes nothing here; a growing one writes O(log) times.
 *
 * A new life of the object (the constructor) turns the last life's marks into **pools**: amounts
 * treated as still held until the mark's expiry, because requests admitted before the restart may
 * still be running. A settle for a grant the object no longer remembers is charged from the grant
 * the worker sends back with it and takes its amounts out of the pools (never below zero); the
 * request id keeps it from being charged twice. When a pool expires (every request it covered has
 * passed its lifetime cap and settle grace), what is left of it is released.
 */
import type { Grant } from './types';

/** The smallest step a mark is raised by: µUSD for money holds, requests for counts. */
const MIN_STEP_MICROS = 10_000;
const MIN_STEP_COUNT = 4;

interface Mark {
  /** Persisted upper bound of this life's in-flight amount. */
  mark: number;
  markExpiresAt: number;
  /** What earlier lives may still have in flight. */
  pool: number;
  poolExpiresAt: number;
}

interface MarkRow extends Record<string, SqlStorageValue> {
  hold: string;
  mark: number;
  mark_expires_at: number;
  pool: number;
  pool_expires_at: number;
}

/** Holds whose amount is a count of requests rather than µUSD. */
export const isCountHold = (hold: string): boolean => hold.startsWith('key:') && hold.endsWith(':n');

function step(hold: string, amount: number, cap = Number.POSITIVE_INFINITY): number {
  return Math.max(amount, Math.min(Math.max(2 * amount, isCountHold(hold) ? MIN_STEP_COUNT : MIN_STEP_MICROS), cap));
}

export class Holds {
  /** Open grants by request id. */
  private readonly grants = new Map<string, Grant>();
  private readonly inFlight = new Map<string, number>();
  private readonly marks = new Map<string, Mark>();
  /** Marks changed in memory and not yet written. */
  private readonly dirty = new Set<string>();

  /**
   * A new life: the last life's marks become pools (added to any pool still running), persisted
   * at once. Grants left in the legacy `reservations` table (objects older than this engine) are
   * taken into memory and covered by marks.
   */
  static start(sql: SqlStorage, now: number): Holds {
    const holds = new Holds();
    for (const row of sql.exec<MarkRow>('SELECT * FROM hold_marks')) {
      const livePool = row.pool_expires_at > now ? row.pool : 0;
      const pool = livePool + row.mark;
      const poolExpiresAt = Math.max(livePool > 0 ? row.pool_expires_at : 0, row.mark > 0 ? row.mark_expires_at : 0);
      if (pool > 0 && poolExpiresAt > now) holds.marks.set(row.hold, { mark: 0, markExpiresAt: 0, pool, poolExpiresAt });
    }
    sql.exec('DELETE FROM hold_marks');
    for (const [hold, m] of holds.marks) {
      sql.exec('INSERT INTO hold_marks (hold, mark, mark_expires_at, pool, pool_expires_at) VALUES (?, 0, 0, ?, ?)', hold, m.pool, m.poolExpiresAt);
    }
    return holds;
  }

  /** Open grants. */
  get size(): number {
    return this.grants.size;
  }

  /** Every open grant (expiry scans, tests). */
  open(): IterableIterator<Grant> {
    return this.grants.values();
  }

  get(requestId: string): Grant | undefined {
    return this.grants.get(requestId);
  }

  /** What this life has in flight on a hold. */
  inFlightOn(hold: string): number {
    return this.inFlight.get(hold) ?? 0;
  }

  /** What earlier lives may still have in flight on a hold. */
  poolOn(hold: string, now: number): number {
    const m = this.marks.get(hold);
    return m && m.poolExpiresAt > now ? m.pool : 0;
  }

  /** Everything counted as held on a hold: this life's grants and the pool. */
  held(hold: string, now: number): number {
    return this.inFlightOn(hold) + this.poolOn(hold, now);
  }

  /**
   * Takes a grant in (admission); returns whether a mark had to be raised (persist before
   * answering). `caps`: per hold, the most that can ever be in flight there (the bucket's limit
   * less what is used), so a mark never keeps back more than the limit allows.
   */
  add(grant: Grant, caps: Record<string, number> = {}): boolean {
    this.grants.set(grant.requestId, grant);
    let raised = false;
    for (const [hold, amount] of Object.entries(grant.holds)) {
      const total = (this.inFlight.get(hold) ?? 0) + amount;
      this.inFlight.set(hold, total);
      const m = this.marks.get(hold);
      if (!m || total > m.mark || grant.expiresAt > m.markExpiresAt) {
        // Valid a while past this grant, so a steady stream of new grants rewrites it only now and then.
        const slack = Math.ceil((grant.expiresAt - grant.createdAt) / 4);
        const next = {
          mark: total > (m?.mark ?? 0) ? step(hold, total, caps[hold]) : (m?.mark ?? 0),
          markExpiresAt: Math.max(m?.markExpiresAt ?? 0, grant.expiresAt + slack),
          pool: m?.pool ?? 0,
          poolExpiresAt: m?.poolExpiresAt ?? 0,
        };
        this.marks.set(hold, next);
        this.dirty.add(hold);
        raised = true;
      }
    }
    return raised;
  }

  /** Removes an open grant (settled or expired); undefined when this life does not know it. */
  take(requestId: string): Grant | undefined {
    const grant = this.grants.get(requestId);
    if (!grant) return undefined;
    this.grants.delete(requestId);
    for (const [hold, amount] of Object.entries(grant.holds)) {
      const left = (this.inFlight.get(hold) ?? 0) - amount;
      if (left > 0) this.inFlight.set(hold, left);
      else this.inFlight.delete(hold);
    }
    return grant;
  }

  /** Puts a taken grant back (a rolled-back transaction). */
  restore(grant: Grant): void {
    this.grants.set(grant.requestId, grant);
    for (const [hold, amount] of Object.entries(grant.holds)) this.inFlight.set(hold, (this.inFlight.get(hold) ?? 0) + amount);
  }

  /**
   * A settle for a grant of an earlier life: its amounts leave the pools. Returns what was taken,
   * for `returnToPools` if the transaction rolls back.
   */
  takeFromPools(grant: Grant, now: number): Array<[string, number]> {
    const taken: Array<[string, number]> = [];
    for (const [hold, amount] of Object.entries(grant.holds)) {
      const m = this.marks.get(hold);
      if (!m || m.poolExpiresAt <= now || m.pool <= 0) continue;
      const take = Math.min(m.pool, amount);
      m.pool -= take;
      this.dirty.add(hold);
      taken.push([hold, take]);
    }
    return taken;
  }

  returnToPools(taken: Array<[string, number]>): void {
    for (const [hold, amount] of taken) {
      const m = this.marks.get(hold);
      if (m) m.pool += amount;
    }
  }

  /**
   * Housekeeping (alarm): releases expired pools, and lowers marks far above what is in flight
   * (to twice the step of it), so a burst does not leave a large mark behind for the next restart.
   */
  tidy(now: number): void {
    for (const [hold, m] of this.marks) {
      const inFlight = this.inFlightOn(hold);
      let changed = false;
      if (m.pool > 0 && m.poolExpiresAt <= now) {
        m.pool = 0;
        changed = true;
      }
      if (inFlight === 0 && m.mark > 0 && m.markExpiresAt <= now) {
        m.mark = 0;
        changed = true;
      } else if (m.mark > 4 * step(hold, inFlight)) {
        m.mark = 2 * step(hold, inFlight);
        changed = true;
      }
      if (changed) this.dirty.add(hold);
    }
  }

  /** Writes the marks changed since the last call. Must run inside the caller's transaction. */
  persist(sql: SqlStorage): void {
    for (const hold of this.dirty) {
      const m = this.marks.get(hold);
      if (!m || (m.mark === 0 && m.pool === 0)) {
        sql.exec('DELETE FROM hold_marks WHERE hold = ?', hold);
        this.marks.delete(hold);
        continue;
      }
      sql.exec(
        `INSERT INTO hold_marks (hold, mark, mark_expires_at, pool, pool_expires_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (hold) DO UPDATE SET mark = excluded.mark, mark_expires_at = excluded.mark_expires_at,
           pool = excluded.pool, pool_expires_at = excluded.pool_expires_at`,
        hold,
        m.mark,
        m.markExpiresAt,
        m.pool,
        m.poolExpiresAt,
      );
    }
    this.dirty.clear();
  }

  /** Whether marks wait to be written. */
  get pending(): boolean {
    return this.dirty.size > 0;
  }

  /** A failed write: everything in memory is to be written again. */
  markAllDirty(): void {
    for (const hold of this.marks.keys()) this.dirty.add(hold);
  }

  /** When the alarm must next look: the earliest grant or pool expiry. */
  nextExpiry(now: number): number | null {
    let next: number | null = null;
    for (const grant of this.grants.values()) if (next === null || grant.expiresAt < next) next = grant.expiresAt;
    for (const m of this.marks.values()) {
      if (m.pool > 0 && m.poolExpiresAt > now && (next === null || m.poolExpiresAt < next)) next = m.poolExpiresAt;
    }
    return next;
  }
}
