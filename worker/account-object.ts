/**
 * @module account-object
 * The account Durable Object the runtime runs: the books (durable-objects/account) plus the two
 * things they call out to: the off-session auto-recharge payment, and sending the alerts they
 * raised (notifications/). Kept apart so the books import nothing of the payments or delivery
 * layers, and those (which reach accounts through `Env.ACCOUNT`) can depend on the books' type
 * without a circle.
 */
import { AccountBooks } from './durable-objects/account';
import type { Env } from './env';
import { deliverDue } from './notifications/deliver';
import { runAutoRecharge } from './payments/auto-recharge-runner';

export class AccountObject extends AccountBooks<Env> {
  protected runRecharge(accountId: string, afterCredit: () => void): Promise<boolean> {
    return runAutoRecharge(this.env, this.ctx.storage, accountId, afterCredit);
  }

  protected async alertsRecorded(accountId: string): Promise<void> {
    try {
      await deliverDue(this.env, { accountId });
    } catch (error) {
      // The per-minute cron sends what this could not.
      console.error(JSON.stringify({ level: 'error', msg: 'alert delivery failed; the cron retries', accountId, error: String(error) }));
    }
  }
}
