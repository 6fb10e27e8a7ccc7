/**
 * @module account/rate-window
 * Sliding-window counting over two fixed cells (the approach Cloudflare and Unkey use):
 * usage(now) = previous × (W − elapsed) / W + current. All arithmetic is scaled by W so it
 * stays in integers.
 */
import type { LimitState } from './types';

export const WINDOW_MS = 60_000;

export interface WindowCells {
  previous: number;
  current: number;
  /** Milliseconds into the current cell. */
  elapsed: number;
}

/** Usage the window counts now, rounded up. */
export function windowUsage({ previous, current, elapsed }: WindowCells): number {
  return current + Math.ceil((previous * (WINDOW_MS - elapsed)) / WINDOW_MS);
}

/** Whether `cost` more fits under `limit`. */
export function fits(cells: WindowCells, cost: number, limit: number): boolean {
  return cells.previous * (WINDOW_MS - cells.elapsed) + (cells.current + cost) * WINDOW_MS <= limit * WINDOW_MS;
}

/**
 * Milliseconds until `cost` would fit, or null if it never can (cost above the limit).
 * Within the current cell the previous cell's weight decays linearly; failing that, the
 * current cell becomes the previous one and decays in turn.
 */
export function retryAfterMs(cells: WindowCells, cost: number, limit: number): number | null {
  if (cost > limit) return null;
  const { previous, current, elapsed } = cells;
  if (current + cost <= limit && previous > 0) {
    // previous × (W − elapsed − d) ≤ (limit − current − cost) × W
    const wait = Math.ceil(WINDOW_MS - elapsed - ((limit - current - cost) * WINDOW_MS) / previous);
    if (wait < WINDOW_MS - elapsed) return Math.max(wait, 0);
  }
  // In the next cell, at e'' ms: current × (W − e'') ≤ (limit − cost) × W.
  const intoNext = current === 0 ? 0 : Math.max(0, Math.ceil(WINDOW_MS - ((limit - cost) * WINDOW_MS) / current));
  return WINDOW_MS - elapsed + intoNext;
}

/** The state reported in `x-ratelimit-*` headers. */
export function limitState(cells: WindowCells, limit: number): LimitState {
  const used = windowUsage(cells);
  // The window is back to full once both cells have aged out.
  const resetMs = cells.current > 0 ? 2 * WINDOW_MS - cells.elapsed : cells.previous > 0 ? WINDOW_MS - cells.elapsed : 0;
  return { limit, remaining: Math.max(0, limit - used), resetMs };
}

/** One key's counter for one scope (requests, or tokens of one service): the current and previous cells. */
export interface RateCell {
  keyId: string;
  scope: string;
  /** Start of the current cell. */
  start: number;
  current: number;
  previous: number;
}

/** The cell's view at `now` for the window arithmetic above. */
export function cellsAt(cell: RateCell, now: number): WindowCells {
  return { previous: cell.previous, current: cell.current, elapsed: now - cell.start };
}

/**
 * The rate windows in the object's memory, read from `rate_cells` once per key and scope per life
 * and written back with the next group commit (not on the admission's path). Requests admitted in
 * the milliseconds between an admission and that commit are the only ones a crash can forget.
 */
export class RateCells {
  private readonly cells = new Map<string, RateCell>();
  private readonly dirty = new Set<RateCell>();

  /** The cell for a key and scope, rolled forward to `now`. */
  get(sql: SqlStorage, keyId: string, scope: string, now: number): RateCell {
    const id = `${keyId}\u0000${scope}`;
    const start = now - (now % WINDOW_MS);
    let cell = this.cells.get(id);
    if (!cell) {
      cell = { keyId, scope, start, current: 0, previous: 0 };
      for (const row of sql.exec<{ window_start: number; used: number }>(
        'SELECT window_start, used FROM rate_cells WHERE key_id = ? AND scope = ? AND window_start >= ?',
        keyId,
        scope,
        start - WINDOW_MS,
      )) {
        if (row.window_start === start) cell.current = row.used;
        else if (row.window_start === start - WINDOW_MS) cell.previous = row.used;
      }
      this.cells.set(id, cell);
    } else if (cell.start < start) {
      cell.previous = cell.start === start - WINDOW_MS ? cell.current : 0;
      cell.current = 0;
      cell.start = start;
    }
    return cell;
  }

  /** Counts `amount` in the current cell. */
  add(cell: RateCell, amount: number): void {
    cell.current += amount;
    this.dirty.add(cell);
  }

  /**
   * Corrects what was counted in the cell that started at `windowStart` (a settle replacing the
   * reserved tokens with the real ones); returns the undo, or null if that cell has aged out.
   */
  correct(keyId: string, scope: string, windowStart: number, delta: number): (() => void) | null {
    const cell = this.cells.get(`${keyId}\u0000${scope}`);
    if (!cell || delta === 0) return null;
    const field = cell.start === windowStart ? 'current' : cell.start - WINDOW_MS === windowStart ? 'previous' : null;
    if (!field) return null;
    const before = cell[field];
    cell[field] = Math.max(0, before + delta);
    this.dirty.add(cell);
    return () => {
      cell[field] = before;
    };
  }

  /** Whether counts wait to be written. */
  get pending(): boolean {
    return this.dirty.size > 0;
  }

  /** Writes the changed cells (both of each). Must run inside the caller's transaction. */
  persist(sql: SqlStorage): void {
    for (const cell of this.dirty) {
      sql.exec(
        `INSERT INTO rate_cells (key_id, scope, window_start, used) VALUES (?1, ?2, ?3, ?4), (?1, ?2, ?5, ?6)
         ON CONFLICT (key_id, scope, window_start) DO UPDATE SET used = excluded.used`,
        cell.keyId,
        cell.scope,
        cell.start,
        cell.current,
        cell.start - WINDOW_MS,
        cell.previous,
      );
    }
    this.dirty.clear();
  }

  /** A failed write: every cell in memory is to be written again. */
  markAllDirty(): void {
    for (const cell of this.cells.values()) this.dirty.add(cell);
  }

  /** Forgets cells older than the window (alarm); the table is pruned by the caller. */
  prune(now: number): void {
    for (const [id, cell] of this.cells) if (cell.start < now - 2 * WINDOW_MS && !this.dirty.has(cell)) this.cells.delete(id);
  }
}
