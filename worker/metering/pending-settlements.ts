/**
 * @module metering/pending-settlements
 * The durable retry of settles the worker could not deliver within the request: a row in D1's
 * `pending_settlements`, replayed by the per-minute cron with exponential back-off until the
 * account object accepts it. Replays are safe: the object settles each request id once, and a
 * settle that arrives after the reservation expired is applied as a correction (a refund of the
 * difference to the reserved upper bound the alarm charged).
 */
import type { SettleRequest } from '../durable-objects/account/types';
import type { Env } from '../env';

const REPLAY_BATCH = 100;
const MAX_BACKOFF_MS = 60 * 60_000;

/** Queues a settle for the cron; logs (and relies on the alarm's full charge) if D1 refuses too. */
export async function queueSettlement(env: Env, accountId: string, request: SettleRequest, error: unknown): Promise<void> {
  const now = Date.now();
  try {
    await env.DB.prepare(
      `INSERT INTO pending_settlements (request_id, account_id, payload, attempts, next_attempt_at, last_error, created_at)
       VALUES (?, ?, ?, 0, ?, ?, ?) ON CONFLICT (request_id) DO NOTHING`,
    )
      .bind(request.reservationId, accountId, JSON.stringify(request), now, String(error).slice(0, 200), now)
      .run();
    console.warn(JSON.stringify({ level: 'warn', requestId: request.reservationId, msg: 'settle queued for retry', error: String(error) }));
  } catch (queueError) {
    console.error(
      JSON.stringify({
        level: 'error',
        requestId: request.reservationId,
        msg: 'settle could not be delivered or queued; the alarm will charge the reserved upper bound',
        error: String(error),
        queueError: String(queueError),
      }),
    );
  }
}

/** Replays due pending settles (cron). Returns how many landed and how many are still waiting. */
export async function replayPendingSettlements(env: Env, now = Date.now()): Promise<{ landed: number; waiting: number }> {
  const due = await env.DB.prepare(
    'SELECT request_id, account_id, payload, attempts FROM pending_settlements WHERE next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?',
  )
    .bind(now, REPLAY_BATCH)
    .all<{ request_id: string; account_id: string; payload: string; attempts: number }>();
  let landed = 0;
  let waiting = 0;
  for (const row of due.results) {
    const stub = env.ACCOUNT.get(env.ACCOUNT.idFromName(row.account_id));
    try {
      const result = await stub.settle(JSON.parse(row.payload) as SettleRequest);
      // An unknown reservation cannot be settled by retrying (never admitted, or forgotten after a day): drop it.
      if (result.unknown)
        console.error(JSON.stringify({ level: 'error', requestId: row.request_id, msg: 'dropping a pending settle the object does not know' }));
      else landed += 1;
      await env.DB.prepare('DELETE FROM pending_settlements WHERE request_id = ?').bind(row.request_id).run();
    } catch (error) {
      waiting += 1;
      const backoff = Math.min(MAX_BACKOFF_MS, 60_000 * 2 ** row.attempts);
      await env.DB.prepare('UPDATE pending_settlements SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE request_id = ?')
        .bind(now + backoff, String(error).slice(0, 200), row.request_id)
        .run();
    }
  }
  return { landed, waiting };
}
