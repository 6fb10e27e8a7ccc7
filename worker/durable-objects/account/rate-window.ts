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
