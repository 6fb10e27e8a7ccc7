/**
 * @module index
 * Worker entry: the Hono app and the Durable Object classes.
 */
import { createApp } from './app';
import type { Env } from './env';
import { sweepIdentity } from './auth/sweep';
import { reconcile } from './payments/reconcile';

export { AccountObject } from './durable-objects/account';

const app = createApp();

export default {
  fetch: app.fetch,
  /**
   * Cron: reconcile every account's journal with D1 and every paid top-up with its credit; sweep
   * expired identity rows (throttle counters, tokens, sessions, old outbox mail).
   */
  async scheduled(_controller, env, ctx) {
    ctx.waitUntil(
      reconcile(env).then((report) => {
        console.log(JSON.stringify({ level: report.problems.length ? 'error' : 'info', msg: 'reconciliation', ...report }));
      }),
    );
    ctx.waitUntil(
      sweepIdentity(env).then(
        (removed) => console.log(JSON.stringify({ level: 'info', msg: 'identity sweep', ...removed })),
        (error: unknown) => console.log(JSON.stringify({ level: 'error', msg: 'identity sweep failed', error: String(error) })),
      ),
    );
  },
} satisfies ExportedHandler<Env>;
