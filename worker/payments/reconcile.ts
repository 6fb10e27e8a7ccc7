/**
 * @module payments/reconcile
 * The scheduled reconciliation (hourly cron, and `POST /api/admin/reconcile`). Every check
 * compares two records kept by different code paths, so each one can really fail:
 *  - journal: the account object's running balances chain and sum to its balance;
 *  - journal_mirror / ledger_transfers: D1 holds exactly the journal up to what left the outbox;
 *  - usage: D1 usage events cost what the journal's usage entries debited (7a);
 *  - ledger_balance: the double-entry balance of `acct:<id>` equals the journal's (7d);
 *  - clearing: what each clearing account moved per account equals the top-ups table (7d);
 *  - topup_credit: every paid top-up has exactly one credit;
 *  - provider: what the journal credited equals what Stripe or BTCPay says was paid (7b).
 * Pending top-ups whose webhook was lost are re-read and converged through the webhook's own
 * code (7c). A mismatch becomes an open review item (an alert); no row is ever "fixed".
 */
import type { Env } from '../env';
import { checkAccount, checkClearing, checkPaidTopups } from './reconcile-ledger';
import { checkProviders, convergePending } from './reconcile-providers';
import type { Alerter, ReconciliationReport } from './reconcile-report';
import { addReview } from './topups';

export type { Alert, CheckName, ReconciliationReport } from './reconcile-report';

/** Runs every check and raises alerts for what fails. `now` is injectable for tests. */
export async function reconcile(env: Env, options: { now?: number } = {}): Promise<ReconciliationReport> {
  const now = options.now ?? Date.now();
  const report: ReconciliationReport = { accounts: 0, topupsChecked: 0, providerChecked: 0, pendingChecked: 0, skipped: 0, problems: [], alerts: [] };
  const alert: Alerter = async (check, accountId, key, message) => {
    report.problems.push(message);
    report.alerts.push({ check, accountId, message });
    await addReview(env, { kind: 'reconciliation', accountId, dedupeKey: `reconcile:${check}:${key}`, message });
  };
  // Lost webhooks first, so the checks below see the converged state.
  report.pendingChecked = await convergePending(env, now, report);
  const accounts = await env.DB.prepare('SELECT id FROM accounts').all<{ id: string }>();
  for (const { id } of accounts.results) {
    report.accounts += 1;
    await checkAccount(env, id, alert);
  }
  report.topupsChecked = await checkPaidTopups(env, alert);
  await checkClearing(env, now, alert);
  report.providerChecked = await checkProviders(env, now, alert, report);
  return report;
}
