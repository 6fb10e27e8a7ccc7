/**
 * @module routes/api/transactions
 * The account's transaction history from the D1 journal mirror: every credit, refund,
 * dispute, promotion and adjustment on its own line, usage summed per UTC day, each line with
 * the running balance after it.
 */
import type { Env } from '../../env';
import { instant } from '../../lib/instant';
import { microsToUsd } from '../../lib/money';

export interface Transaction {
  date: string;
  type: string;
  description: string;
  amountMicros: number;
  balanceAfterMicros: number;
  reference: string | null;
  /** Requests summed into a daily usage line. */
  count: number;
}


/** Newest first. */
export async function transactionHistory(env: Env, accountId: string, fromParam?: string, toParam?: string): Promise<Transaction[]> {
  const from = instant(fromParam, 0, 'from');
  const to = instant(toParam, Date.now() + 1, 'to');
  const [single, daily] = await env.DB.batch<Record<string, number | string | null>>([
    env.DB.prepare(
      `SELECT seq, kind, amount_micros, balance_after_micros, ref, reason, created_at FROM journal_entries
       WHERE account_id = ?1 AND kind != 'usage' AND created_at >= ?2 AND created_at < ?3`,
    ).bind(accountId, from, to),
    env.DB.prepare(
      `WITH days AS (
         SELECT date(created_at / 1000, 'unixepoch') AS day, SUM(amount_micros) AS amount, COUNT(*) AS n, MAX(seq) AS last_seq
         FROM journal_entries WHERE account_id = ?1 AND kind = 'usage' AND created_at >= ?2 AND created_at < ?3 GROUP BY day)
       SELECT days.day, days.amount, days.n, days.last_seq, j.balance_after_micros AS balance_after
       FROM days JOIN journal_entries j ON j.account_id = ?1 AND j.seq = days.last_seq`,
    ).bind(accountId, from, to),
  ]);
  const rows: Array<Transaction & { seq: number }> = [
    ...single.results.map((r) => ({
      seq: Number(r.seq), date: new Date(Number(r.created_at)).toISOString(), type: String(r.kind),
      description: (r.reason as string | null) ?? String(r.kind), amountMicros: Number(r.amount_micros),
      balanceAfterMicros: Number(r.balance_after_micros), reference: (r.ref as string | null) ?? null, count: 1,
    })),
    ...daily.results.map((r) => ({
      seq: Number(r.last_seq), date: String(r.day), type: 'usage', description: `API usage (${r.n} requests)`,
      amountMicros: Number(r.amount), balanceAfterMicros: Number(r.balance_after), reference: null, count: Number(r.n),
    })),
  ];
  return rows.sort((a, b) => b.seq - a.seq).map(({ seq: _seq, ...t }) => t);
}

const csvField = (value: string): string => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

/** CSV with dollar amounts to six decimals. */
export function transactionsCsv(rows: Transaction[]): string {
  const lines = ['date,type,description,amount_usd,balance_usd,reference,requests'];
  for (const t of rows) {
    lines.push([t.date, t.type, t.description, microsToUsd(t.amountMicros), microsToUsd(t.balanceAfterMicros), t.reference ?? '', String(t.count)].map(csvField).join(','));
  }
  return `${lines.join('\n')}\n`;
}
