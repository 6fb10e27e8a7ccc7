/**
 * @module index
 * Worker entry: the Hono app and the Durable Object classes.
 */
import { createApp } from './app';
import type { Env } from './env';
import { archiveUsage } from './analytics/archive';
import { pruneRollups } from './analytics/prune-rollups';
import { raiseForecastAlerts } from './analytics/forecast-alerts';
import { detectDailyAnomalies } from './analytics/anomalies-job';
import { sweepIdentity } from './auth/sweep';
import { replayPendingSettlements } from './metering/pending-settlements';
import { deliverDue } from './notifications/deliver';
import { reconcile } from './payments/reconcile';
import { issueStatements } from './statements/run';

export { AccountObject } from './account-object';

const app = createApp();

/** The per-minute trigger in wrangler.toml; any other trigger runs the hourly work. Not exported: the entry module may export only handlers and classes. */
const EVERY_MINUTE = '* * * * *';

export default {
  fetch: app.fetch,
  /**
   * Cron, every minute: replay settles that could not reach their account object. Hourly (any
   * trigger but `EVERY_MINUTE`): reconcile every account's journal with D1 and every paid top-up with its
   * credit; sweep expired identity rows (throttle counters, tokens, sessions, old outbox mail); move usage
   * events past the retention window to R2; prune 15-minute rollups past their horizon.
   */
  async scheduled(controller, env, ctx) {
    ctx.waitUntil(
      replayPendingSettlements(env).then(
        (result) => {
          if (result.landed || result.waiting) console.log(JSON.stringify({ level: 'info', msg: 'pending settles replayed', ...result }));
        },
        (error: unknown) => console.log(JSON.stringify({ level: 'error', msg: 'pending settle replay failed', error: String(error) })),
      ),
    );
    ctx.waitUntil(
      deliverDue(env, { limit: 200 }).then(
        (result) => {
          if (result.delivered || result.failed || result.waiting) console.log(JSON.stringify({ level: 'info', msg: 'alert deliveries', ...result }));
        },
        (error: unknown) => console.log(JSON.stringify({ level: 'error', msg: 'alert delivery run failed', error: String(error) })),
      ),
    );
    if (controller.cron === EVERY_MINUTE) return;
    ctx.waitUntil(
      raiseForecastAlerts(env, Date.now()).then(
        (run) => {
          if (run.alerts) console.log(JSON.stringify({ level: 'info', msg: 'forecast alerts', ...run }));
        },
        (error: unknown) => console.log(JSON.stringify({ level: 'error', msg: 'forecast alert run failed', error: String(error) })),
      ),
    );
    ctx.waitUntil(
      issueStatements(env, Date.now()).then(
        (run) => {
          if (run.issued || run.emailed || run.waiting || run.failed)
            console.log(JSON.stringify({ level: run.failed ? 'error' : 'info', msg: 'monthly statements', ...run }));
        },
        (error: unknown) => console.log(JSON.stringify({ level: 'error', msg: 'statement run failed', error: String(error) })),
      ),
    );
    ctx.waitUntil(
      detectDailyAnomalies(env, Date.now()).then(
        (run) => {
          if (run.recorded || run.more) console.log(JSON.stringify({ level: 'info', msg: 'daily anomalies', ...run }));
        },
        (error: unknown) => console.log(JSON.stringify({ level: 'error', msg: 'daily anomaly detection failed', error: String(error) })),
      ),
    );
    ctx.waitUntil(
      reconcile(env).then((report) => {
        console.log(JSON.stringify({ level: report.problems.length ? 'error' : 'info', msg: 'reconciliation', ...report }));
      }),
    );
    ctx.waitUntil(
      archiveUsage(env).then(
        (run) => {
          if (run.objects || run.raced) console.log(JSON.stringify({ level: 'info', msg: 'usage archived', ...run }));
        },
        (error: unknown) => console.log(JSON.stringify({ level: 'error', msg: 'usage archival failed', error: String(error) })),
      ),
    );
    ctx.waitUntil(
      pruneRollups(env).then(
        (run) => {
          if (run.slots) console.log(JSON.stringify({ level: 'info', msg: 'rollups pruned', ...run }));
        },
        (error: unknown) => console.log(JSON.stringify({ level: 'error', msg: 'rollup pruning failed', error: String(error) })),
      ),
    );
    ctx.waitUntil(
      sweepIdentity(env).then(
        (removed) => console.log(JSON.stringify({ level: 'info', msg: 'identity sweep', ...removed })),
        (error: unknown) => console.log(JSON.stringify({ level: 'error', msg: 'identity sweep failed', error: String(error) })),
      ),
    );
  },
} satisfies ExportedHandler<Env>;
