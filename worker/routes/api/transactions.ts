/**
 * @module routes/api/transactions
 * The account's transaction history from the D1 journal mirror: every credit, refund,
 * dispute, promotion and adjustment on its own line, usage summed per calendar day in the
 * caller's time zone (UTC unless `tz` names another), each line with the running balance after it.
 */
import { toCsv } from '../../../shared/csv';
import type { Env } from '../../env';
import { instant } from '../../lib/instant';
import { microsToUsd } from '../../lib/money';
import { LocalClock, SLOT_MS, slotMapper } from './time-buckets';

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
export async function transactionHistory(env: Env, accountId: string, fromParam?: string, toParam?: string, tz = 'UTC'): Promise<Transaction[]> {
  const from = instant(fromParam, 0, 'from');
  const to = instant(toParam, Date.now() + 1, 'to');
  const clock = new LocalClock(tz);
  const [single, slots] = await env.DB.batch<Record<string, number | string | null>>([
    env.DB.prepare(
      `SELECT seq, kind, amount_micros, balance_after_micros, ref, reason, created_at FROM journal_entries
       WHERE account_id = ?1 AND kind != 'usage' AND created_at >= ?2 AND created_at < ?3`,
    ).bind(accountId, from, to),
    // Usage per 15-minute UTC slot; every real offset is whole quarter hours, so slots fold into
    // local days exactly (time-buckets.ts).
    env.DB.prepare(
      `SELECT created_at / ?4 AS slot, SUM(amount_micros) AS amount, COUNT(*) AS n, MAX(seq) AS last_seq
       FROM journal_entries WHERE account_id = ?1 AND kind = 'usage' AND created_at >= ?2 AND created_at < ?3 GROUP BY slot`,
    ).bind(accountId, from, to, SLOT_MS),
  ]);
  const dayOf = slotMapper(clock, 'day');
  const days = new Map<number, { amount: number; n: number; lastSeq: number }>();
  for (const r of slots.results) {
    const day = dayOf(Number(r.slot));
    const d = days.get(day) ?? { amount: 0, n: 0, lastSeq: 0 };
    d.amount += Number(r.amount);
    d.n += Number(r.n);
    d.lastSeq = Math.max(d.lastSeq, Number(r.last_seq));
    days.set(day, d);
  }
  // The running balance of a day's line is the balance after its last usage entry.
  const balances = new Map<number, number>();
  const lastSeqs = [...days.values()].map((d) => d.lastSeq);
  for (let i = 0; i < lastSeqs.length; i += 90) {
    const chunk = lastSeqs.slice(i, i + 90);
    const { results } = await env.DB.prepare(
      `SELECT seq, balance_after_micros FROM journal_entries WHERE account_id = ? AND seq IN (${chunk.map(() => '?').join(', ')})`,
    )
      .bind(accountId, ...chunk)
      .all<{ seq: number; balance_after_micros: number }>();
    for (const r of results) balances.set(Number(r.seq), Number(r.balance_after_micros));
  }
  const localDate = (ms: number) => {
    const p = clock.parts(ms);
    return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
  };
  const rows: Array<Transaction & { seq: number }> = [
    ...single.results.map((r) => ({
      seq: Number(r.seq),
      date: new Date(Number(r.created_at)).toISOString(),
      type: String(r.kind),
      description: (r.reason as string | null) ?? String(r.kind),
      amountMicros: Number(r.amount_micros),
      balanceAfterMicros: Number(r.balance_after_micros),
      reference: (r.ref as string | null) ?? null,
      count: 1,
    })),
    ...[...days].map(([day, d]) => ({
      seq: d.lastSeq,
      date: localDate(day),
      type: 'usage',
      description: `API usage (${d.n} ${d.n === 1 ? 'request' : 'requests'})`,
      amountMicros: d.amount,
      balanceAfterMicros: balances.get(d.lastSeq) ?? 0,
      reference: null,
      count: d.n,
    })),
  ];
  return rows.sort((a, b) => b.seq - a.seq).map(({ seq: _seq, ...t }) => t);
}

/** CSV with dollar amounts to six decimals. */
export function transactionsCsv(rows: Transaction[]): string {
  const header = ['date', 'type', 'description', 'amount_usd', 'balance_usd', 'reference', 'requests'];
  return toCsv(
    header,
    rows.map((t) => [t.date, t.type, t.description, microsToUsd(t.amountMicros), microsToUsd(t.balanceAfterMicros), t.reference, t.count]),
  );
}
