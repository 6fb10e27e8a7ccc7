/**
 * @module account-object
 * The account Durable Object the runtime runs: the books (durable-objects/account) plus the one
 * thing they call out to, the off-session auto-recharge payment. Kept apart so the books import
 * nothing of the payments layer, and the payments layer (which reaches accounts through
 * `Env.ACCOUNT`) can depend on the books' type without a circle.
 */
import { AccountBooks } from './durable-objects/account';
import type { Env } from './env';
import { runAutoRecharge } from './payments/auto-recharge-runner';

export class AccountObject extends AccountBooks<Env> {
  protected runRecharge(accountId: string, afterCredit: () => void): Promise<boolean> {
    return runAutoRecharge(this.env, this.ctx.storage, accountId, afterCredit);
  }
}
