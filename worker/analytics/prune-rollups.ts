/**
 * @module analytics/prune-rollups
 * The 15-minute rollups are kept for a horizon, then deleted, so D1's size follows the traffic of
 * the last weeks and not the whole history: past the horizon the daily rollups (in each
 * organisation's zone, per UTC day for the platform) answer every view, and raw events are in R2
 * (archive.ts). The horizon is the retention window of raw events, and never less than 64 days,
 * so "last month" (at most 62 days back, a day more in any zone) always resolves to 15 minutes.
 *
 * Pruned: the detail, tag and end-user slot rollups and the per-organisation slot totals. Kept:
 * the platform's per-model slots and latency hours (a few rows per model and hour) and every
 * daily rollup.
 */
import type { Env } from '../env';
import { retentionDays } from './archive';
import { SLOT_MS } from './rollups';

const DAY_MS = 86_400_000;
const SLOTS_PER_DAY = DAY_MS / SLOT_MS;
/** "Last month" reaches at most 62 days back; one day more covers any zone. */
const MIN_HORIZON_DAYS = 64;
const PRUNED = ['usage_rollup', 'usage_rollup_tags', 'usage_rollup_end_users', 'usage_rollup_accounts'] as const;
/** D1 batches of a bounded size. */
const BATCH = 40;

/** How many days the 15-minute rollups are kept. */
export function slotHorizonDays(env: Pick<Env, 'USAGE_RETENTION_DAYS'>): number {
  return Math.max(MIN_HORIZON_DAYS, retentionDays(env));
}

/** The first slot kept at `now` (slots before it are pruned, or about to be). */
export function slotHorizon(env: Pick<Env, 'USAGE_RETENTION_DAYS'>, now: number): number {
  return Math.floor((now - slotHorizonDays(env) * DAY_MS) / SLOT_MS);
}

export interface PruneRun {
  /** Slots (of every organisation at once) pruned in this run. */
  slots: number;
  rows: number;
  /** More slots past the horizon are left for the next run. */
  more: boolean;
}

/**
 * Deletes slot rollups before the horizon, a day of slots per step, at most `maxSteps` steps (the
 * hourly cron runs it again; once caught up, each run deletes the hour that passed the horizon).
 * The organisations with rows in a step are listed from the per-organisation totals (indexed by
 * slot), whose rows go last, so an interrupted step is found again and finished by the next one;
 * the watermark (`rollup_pruned`) moves with the step's last batch.
 */
export async function pruneRollups(env: Pick<Env, 'DB' | 'USAGE_RETENTION_DAYS'>, options: { now?: number; maxSteps?: number } = {}): Promise<PruneRun> {
  const horizon = slotHorizon(env, options.now ?? Date.now());
  const run: PruneRun = { slots: 0, rows: 0, more: false };
  for (let step = 0; step < (options.maxSteps ?? 24); step++) {
    const oldest = await env.DB.prepare('SELECT slot FROM usage_rollup_accounts WHERE slot < ?1 ORDER BY slot LIMIT 1').bind(horizon).first<{ slot: number }>();
    if (!oldest) return run;
    const first = oldest.slot;
    const end = Math.min(horizon, (Math.floor(first / SLOTS_PER_DAY) + 1) * SLOTS_PER_DAY);
    const accounts = await env.DB.prepare('SELECT DISTINCT account_id FROM usage_rollup_accounts WHERE slot >= ?1 AND slot < ?2')
      .bind(first, end)
      .all<{ account_id: string }>();
    const statements = accounts.results.flatMap(({ account_id }) =>
      PRUNED.map((table) => env.DB.prepare(`DELETE FROM ${table} WHERE account_id = ?1 AND slot >= ?2 AND slot < ?3`).bind(account_id, first, end)),
    );
    // The watermark goes with the last batch: once it says a slot is gone, it is gone everywhere.
    statements.push(
      env.DB.prepare(
        'INSERT INTO rollup_pruned (id, before_slot) VALUES (1, ?1) ON CONFLICT (id) DO UPDATE SET before_slot = max(before_slot, excluded.before_slot)',
      ).bind(end),
    );
    const deletes = statements.length - 1;
    for (let i = 0; i < statements.length; i += BATCH) {
      const results = await env.DB.batch(statements.slice(i, i + BATCH));
      results.forEach((result, j) => {
        if (i + j < deletes) run.rows += result.meta.changes ?? 0;
      });
    }
    run.slots += end - first;
  }
  run.more = true;
  return run;
}

/** The slot before which every 15-minute rollup has been pruned (0 before the first prune). */
export async function prunedBefore(db: D1Database): Promise<number> {
  const row = await db.prepare('SELECT before_slot FROM rollup_pruned WHERE id = 1').first<{ before_slot: number }>();
  return row?.before_slot ?? 0;
}
