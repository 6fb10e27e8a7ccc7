/**
 * @module payments/reconcile-ledger
 * The reconciliation checks that need no provider: each account's journal against its D1
 * mirror, usage events and double-entry balance, paid top-ups against their credits, and the
 * clearing accounts against the top-ups table.
 */
import type { Env } from '../env';
import { accountObject } from '../services/accounts';
import type { Alerter, CheckName } from './reconcile-report';

/**
 * A top-up's money fields change right after the account object posts, but the matching
 * transfers reach D1 only when the object's outbox flushes (seconds later). The clearing check
 * looks only at top-ups unchanged for this long, so a flush in progress is not an alarm.
 */
export const SETTLE_WINDOW_MS = 5 * 60_000;

const CLEARING: Record<string, 'card' | 'bitcoin'> = { 'sys:card_clearing': 'card', 'sys:bitcoin_clearing': 'bitcoin' };

/** The per-account checks: journal chain, D1 mirror, usage events, double-entry balance. */
export async function checkAccount(env: Env, id: string, alert: Alerter): Promise<void> {
  const snap = await accountObject(env, id).reconciliationSnapshot();
  if (!snap.chainOk)
    await alert(
      'journal',
      id,
      `${id}:${snap.lastSeq}`,
      `Account ${id}: the journal's running balances do not chain (balance ${snap.balanceMicros}, sum ${snap.journalSumMicros}).`,
    );
  const acct = `acct:${id}`;
  // One batch is one D1 transaction: every sum below is read from the same state.
  const [mirror, transfers, usage, ledger] = await env.DB.batch<Record<'n' | 'total' | 'events' | 'entries', number>>([
    env.DB.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(amount_micros), 0) AS total FROM journal_entries WHERE account_id = ? AND seq <= ?').bind(
      id,
      snap.mirroredThroughSeq,
    ),
    env.DB.prepare(
      `SELECT COUNT(*) AS n, COALESCE(SUM(CASE WHEN credit_account = ?1 THEN amount_micros ELSE -amount_micros END), 0) AS total
       FROM ledger_transfers WHERE account_id = ?2 AND journal_seq <= ?3`,
    ).bind(acct, id, snap.mirroredThroughSeq),
    // A settlement's usage event and its journal entry leave the outbox in one row and reach D1
    // in one batch, so over everything D1 holds the two sums agree at every instant; no
    // watermark is needed. (Corrections of expired reservations are usage entries too: their
    // events must carry the corrected cost.) The events' side is their daily rollup, which
    // triggers keep in the same transaction and which archival (usage/archive.ts) leaves alone.
    env.DB.prepare(
      `SELECT (SELECT COALESCE(SUM(cost_micros), 0) FROM usage_rollup_days WHERE account_id = ?1) AS events,
              (SELECT COALESCE(-SUM(amount_micros), 0) FROM journal_entries WHERE account_id = ?1 AND kind = 'usage') AS entries`,
    ).bind(id),
    // Every transfer touching the account's ledger account, whichever account filed it, except
    // its own entries past the watermark (they may have reached D1 after the snapshot).
    env.DB.prepare(
      `SELECT COUNT(*) AS n, COALESCE(SUM(CASE WHEN credit_account = ?1 THEN amount_micros ELSE -amount_micros END), 0) AS total
       FROM ledger_transfers WHERE (debit_account = ?1 OR credit_account = ?1) AND NOT (account_id = ?2 AND journal_seq > ?3)`,
    ).bind(acct, id, snap.mirroredThroughSeq),
  ]);
  const mirrored: Array<[CheckName, { n: number; total: number }]> = [
    ['journal_mirror', mirror.results[0]],
    ['ledger_transfers', transfers.results[0]],
  ];
  for (const [check, row] of mirrored) {
    if (row.n !== snap.mirroredThroughSeq || row.total !== snap.balanceAtMirroredMicros) {
      await alert(
        check,
        id,
        `${id}:${snap.mirroredThroughSeq}`,
        `Account ${id}: D1 ${check.replace('_', ' ')} has ${row.n} entries summing to ${row.total} µUSD ` +
          `through seq ${snap.mirroredThroughSeq}; ` +
          `the journal has ${snap.mirroredThroughSeq} summing to ${snap.balanceAtMirroredMicros}.`,
      );
    }
  }
  const u = usage.results[0];
  if (u.events !== u.entries) {
    await alert(
      'usage',
      id,
      `${id}:${u.events}:${u.entries}`,
      `Account ${id}: D1 usage events cost ${u.events} µUSD in all; the journal's usage entries debited ${u.entries} µUSD.`,
    );
  }
  const l = ledger.results[0];
  if (l.total !== snap.balanceAtMirroredMicros) {
    await alert(
      'ledger_balance',
      id,
      `${id}:${snap.mirroredThroughSeq}:${l.total}`,
      `Account ${id}: the D1 ledger balance of ${acct} is ${l.total} µUSD over ${l.n} transfers; ` +
        `the journal's balance at seq ${snap.mirroredThroughSeq} is ${snap.balanceAtMirroredMicros}.`,
    );
  }
}

/** Every top-up marked paid has exactly one credit under its payment's key. Returns how many were checked. */
export async function checkPaidTopups(env: Env, alert: Alerter): Promise<number> {
  const paid = await env.DB.prepare(
    'SELECT id, account_id, method, provider_ref, payment_ref FROM topups ' +
      "WHERE credited_micros > 0 OR status IN ('paid', 'partially_refunded', 'refunded', 'disputed')",
  ).all<{ id: string; account_id: string; method: string; provider_ref: string | null; payment_ref: string | null }>();
  for (const t of paid.results) {
    const key = t.method === 'card' ? `stripe:pi:${t.payment_ref}` : `btcpay:inv:${t.provider_ref}`;
    const credits = await env.DB.prepare(
      "SELECT COUNT(*) AS n, COALESCE(SUM(amount_micros), 0) AS total FROM journal_entries WHERE account_id = ? AND kind = 'topup' AND ref = ?",
    )
      .bind(t.account_id, t.id)
      .first<{ n: number; total: number }>();
    const inJournal = await accountObject(env, t.account_id).hasEntry(key);
    if (!inJournal)
      await alert('topup_credit', t.account_id, `${t.id}:missing`, `Top-up ${t.id} is marked paid but the account's journal has no credit ${key}.`);
    else if (credits && credits.n > 1)
      await alert('topup_credit', t.account_id, `${t.id}:twice`, `Top-up ${t.id} was credited ${credits.n} times (${credits.total} µUSD).`);
  }
  return paid.results.length;
}

/**
 * Per account and clearing account, what the D1 ledger moved out of `sys:card_clearing` /
 * `sys:bitcoin_clearing` (credits posted, less refunds and invalid-invoice reversals) must equal
 * what the top-ups table says was credited and not refunded. Only top-ups settled for
 * SETTLE_WINDOW_MS count; a transfer on a clearing account with no top-up behind it always does.
 */
export async function checkClearing(env: Env, now: number, alert: Alerter): Promise<void> {
  const cutoff = now - SETTLE_WINDOW_MS;
  const [expected, moved] = await env.DB.batch<{ account_id: string; clearing: string; net: number }>([
    env.DB.prepare(
      `SELECT account_id, CASE method WHEN 'card' THEN 'sys:card_clearing' ELSE 'sys:bitcoin_clearing' END AS clearing,
         SUM(CASE WHEN status = 'invalid' THEN 0 ELSE credited_micros - refunded_micros END) AS net
       FROM topups WHERE updated_at < ?1 GROUP BY 1, 2`,
    ).bind(cutoff),
    env.DB.prepare(
      `SELECT tr.account_id AS account_id, c.account AS clearing,
         SUM(CASE WHEN tr.debit_account = c.account THEN tr.amount_micros ELSE -tr.amount_micros END) AS net
       FROM ledger_transfers tr
       JOIN (SELECT 'sys:card_clearing' AS account UNION ALL SELECT 'sys:bitcoin_clearing') c ON tr.debit_account = c.account OR tr.credit_account = c.account
       LEFT JOIN topups t ON t.id = tr.ref
       WHERE t.id IS NULL OR t.updated_at < ?1
       GROUP BY 1, 2`,
    ).bind(cutoff),
  ]);
  const table = new Map<string, { accountId: string; clearing: string; expected: number; moved: number }>();
  const at = (r: { account_id: string; clearing: string }) => {
    const key = `${r.account_id}|${r.clearing}`;
    if (!table.has(key)) table.set(key, { accountId: r.account_id, clearing: r.clearing, expected: 0, moved: 0 });
    return table.get(key)!;
  };
  for (const r of expected.results) at(r).expected += r.net;
  for (const r of moved.results) at(r).moved += r.net;
  for (const row of table.values()) {
    if (row.expected === row.moved) continue;
    await alert(
      'clearing',
      row.accountId,
      `${row.accountId}:${row.clearing}:${row.moved}:${row.expected}`,
      `Account ${row.accountId}: ${row.clearing} moved ${row.moved} µUSD net to it, ` +
        `but its settled ${CLEARING[row.clearing]} top-ups account for ${row.expected} µUSD (credited less refunded).`,
    );
  }
}
