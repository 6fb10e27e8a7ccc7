/**
 * @module payments/reconcile
 * The scheduled reconciliation. Per account it proves:
 *  1. the journal is internally consistent (running balances chain, balance = sum);
 *  2. D1 holds exactly the journal up to what has left the outbox — same count, same sum,
 *     in both the journal mirror and the double-entry transfers;
 *  3. every paid top-up was credited exactly once (one journal entry with its payment key).
 * Platform-wide, the transfers sum to zero over all ledger accounts.
 * A mismatch becomes an open review item (an alert) for the admin; no row is ever "fixed".
 */
import type { Env } from '../env';
import { accountObject } from '../services/accounts';
import { addReview } from './topups';

export interface ReconciliationReport {
  accounts: number;
  topupsChecked: number;
  problems: string[];
}

async function alert(env: Env, report: ReconciliationReport, accountId: string | null, key: string, message: string): Promise<void> {
  report.problems.push(message);
  await addReview(env, { kind: 'reconciliation', accountId, dedupeKey: `reconcile:${key}`, message });
}

/** Runs every check and raises alerts for what fails. */
export async function reconcile(env: Env): Promise<ReconciliationReport> {
  const report: ReconciliationReport = { accounts: 0, topupsChecked: 0, problems: [] };
  const accounts = await env.DB.prepare('SELECT id FROM accounts').all<{ id: string }>();
  for (const { id } of accounts.results) {
    report.accounts += 1;
    const snap = await accountObject(env, id).reconciliationSnapshot();
    if (!snap.chainOk) await alert(env, report, id, `${id}:chain:${snap.lastSeq}`, `Account ${id}: the journal's running balances do not chain (balance ${snap.balanceMicros}, sum ${snap.journalSumMicros}).`);
    const [mirror, transfers] = await env.DB.batch<{ n: number; total: number }>([
      env.DB.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(amount_micros), 0) AS total FROM journal_entries WHERE account_id = ? AND seq <= ?').bind(id, snap.mirroredThroughSeq),
      env.DB.prepare(
        `SELECT COUNT(*) AS n, COALESCE(SUM(CASE WHEN credit_account = ?1 THEN amount_micros ELSE -amount_micros END), 0) AS total
         FROM ledger_transfers WHERE account_id = ?2 AND journal_seq <= ?3`,
      ).bind(`acct:${id}`, id, snap.mirroredThroughSeq),
    ]);
    for (const [name, row] of [['journal mirror', mirror.results[0]], ['ledger transfers', transfers.results[0]]] as const) {
      if (row.n !== snap.mirroredThroughSeq || row.total !== snap.balanceAtMirroredMicros) {
        await alert(env, report, id, `${id}:${name}:${snap.mirroredThroughSeq}`,
          `Account ${id}: D1 ${name} has ${row.n} entries summing to ${row.total} µUSD through seq ${snap.mirroredThroughSeq}; the journal has ${snap.mirroredThroughSeq} summing to ${snap.balanceAtMirroredMicros}.`);
      }
    }
  }
  const paid = await env.DB.prepare(
    "SELECT id, account_id, method, provider_ref, payment_ref, credit_micros FROM topups WHERE credited_micros > 0 OR status IN ('paid', 'partially_refunded', 'refunded', 'disputed')",
  ).all<{ id: string; account_id: string; method: string; provider_ref: string | null; payment_ref: string | null; credit_micros: number }>();
  for (const t of paid.results) {
    report.topupsChecked += 1;
    const key = t.method === 'card' ? `stripe:pi:${t.payment_ref}` : `btcpay:inv:${t.provider_ref}`;
    const credits = await env.DB.prepare("SELECT COUNT(*) AS n, COALESCE(SUM(amount_micros), 0) AS total FROM journal_entries WHERE account_id = ? AND kind = 'topup' AND ref = ?")
      .bind(t.account_id, t.id).first<{ n: number; total: number }>();
    const inJournal = await accountObject(env, t.account_id).hasEntry(key);
    if (!inJournal) await alert(env, report, t.account_id, `${t.id}:missing`, `Top-up ${t.id} is marked paid but the account's journal has no credit ${key}.`);
    else if (credits && credits.n > 1) await alert(env, report, t.account_id, `${t.id}:twice`, `Top-up ${t.id} was credited ${credits.n} times (${credits.total} µUSD).`);
  }
  const zero = await env.DB.prepare(
    `SELECT COALESCE(SUM(balance), 0) AS total FROM (
       SELECT credit_account AS account, SUM(amount_micros) AS balance FROM ledger_transfers GROUP BY credit_account
       UNION ALL SELECT debit_account, -SUM(amount_micros) FROM ledger_transfers GROUP BY debit_account)`,
  ).first<{ total: number }>();
  if (zero && zero.total !== 0) await alert(env, report, null, `zero-sum:${zero.total}`, `The ledger does not sum to zero over all accounts (${zero.total} µUSD).`);
  return report;
}
