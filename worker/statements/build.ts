/**
 * @module statements/build
 * One organisation's statement for one local month, from D1: the journal mirror
 * (`journal_entries`) for the balances and the totals by class, and the daily rollups in the
 * organisation's zone (`usage_rollup_local_days`, which survive archival of raw events) for usage
 * by project and model.
 *
 * The statement is proved against the journal before anyone sees it: opening + top-ups − usage +
 * adjustments must equal the journal's running balance at the end of the month, and the mirror
 * must hold every entry up to there without a gap. Otherwise the answer is a failure value and
 * nothing is published. Entries count in the month of their `created_at` (when they were posted).
 */
import { type AdjustmentLine, type KindTotal, totalsByClass, type UsageLine, usageBreakdown } from './classify';
import { type PeriodSpan, periodSpan } from './period';

/** A statement, every amount in µUSD. */
export interface Statement {
  accountId: string;
  accountName: string;
  span: PeriodSpan;
  openingMicros: number;
  topUpsMicros: number;
  topUpCount: number;
  usageMicros: number;
  adjustmentsMicros: number;
  closingMicros: number;
  adjustments: AdjustmentLine[];
  usage: UsageLine[];
  /** Journal usage the rollups do not attribute to a project and model (may be negative). */
  unattributedUsageMicros: number;
  /** Journal entries posted in the month, and the last seq at its end (0: none yet). */
  entries: number;
  throughSeq: number;
}

/** Why a statement could not be built. */
export type BuildFailure =
  | { ok: false; reason: 'mirror_gap'; message: string }
  | { ok: false; reason: 'does_not_reconcile'; message: string }
  | { ok: false; reason: 'unclassified_kind'; message: string };

/** Reads and proves one statement; a failure value when the journal mirror does not support it. */
export async function buildStatement(
  db: D1Database,
  input: { accountId: string; accountName: string; timeZone: string; period: string; projectNames?: ReadonlyMap<string, string> },
): Promise<{ ok: true; statement: Statement } | BuildFailure> {
  const span = periodSpan(input.timeZone, input.period);
  const id = input.accountId;
  const balanceBefore = (at: number) =>
    db
      .prepare('SELECT seq, balance_after_micros AS balance FROM journal_entries WHERE account_id = ?1 AND created_at < ?2 ORDER BY seq DESC LIMIT 1')
      .bind(id, at);
  // One batch: every figure is read from the same state of the mirror.
  const [opening, closing, prefix, kinds, rollups] = await db.batch<Record<string, unknown>>([
    balanceBefore(span.start),
    balanceBefore(span.end),
    db.prepare('SELECT COUNT(*) AS n, COALESCE(MAX(seq), 0) AS s FROM journal_entries WHERE account_id = ?1 AND created_at < ?2').bind(id, span.end),
    db
      .prepare(
        `SELECT kind, COUNT(*) AS count, SUM(amount_micros) AS amountMicros FROM journal_entries
         WHERE account_id = ?1 AND created_at >= ?2 AND created_at < ?3 GROUP BY kind ORDER BY kind`,
      )
      .bind(id, span.start, span.end),
    db
      .prepare(
        `SELECT project_id AS projectId, model, SUM(requests) AS requests, SUM(input_tokens) AS inputTokens,
           SUM(output_tokens) AS outputTokens, SUM(cost_micros) AS costMicros
         FROM usage_rollup_local_days WHERE account_id = ?1 AND day >= ?2 AND day < ?3 AND tz = ?4
         GROUP BY project_id, model`,
      )
      .bind(id, span.firstDay, span.endDay, span.timeZone),
  ]);
  const p = prefix.results[0] as { n: number; s: number };
  // Seqs run 1, 2, 3…: the mirror holds the whole journal up to the month's end only if it holds
  // as many entries as the highest seq there.
  if (p.n !== p.s) return { ok: false, reason: 'mirror_gap', message: `D1 holds ${p.n} of the ${p.s} journal entries before ${period(span)} ended` };
  let totals: ReturnType<typeof totalsByClass>;
  try {
    totals = totalsByClass(kinds.results as unknown as KindTotal[]);
  } catch (error) {
    return { ok: false, reason: 'unclassified_kind', message: String(error) };
  }
  const openingMicros = (opening.results[0] as { balance: number } | undefined)?.balance ?? 0;
  const journalClosing = (closing.results[0] as { balance: number } | undefined)?.balance ?? 0;
  const closingMicros = openingMicros + totals.topUpsMicros - totals.usageMicros + totals.adjustmentsMicros;
  if (closingMicros !== journalClosing) {
    return {
      ok: false,
      reason: 'does_not_reconcile',
      message: `${period(span)}: opening ${openingMicros} + top-ups ${totals.topUpsMicros} − usage ${totals.usageMicros} + adjustments ${totals.adjustmentsMicros} = ${closingMicros}, but the journal's balance is ${journalClosing}`,
    };
  }
  const names = input.projectNames ?? new Map<string, string>();
  const lines = (rollups.results as unknown as Omit<UsageLine, 'projectName'>[]).map((r) => ({
    ...r,
    projectName: names.get(r.projectId) ?? (r.projectId === '' ? 'No project' : r.projectId),
  }));
  const usage = usageBreakdown(lines, totals.usageMicros);
  const entries = (kinds.results as unknown as KindTotal[]).reduce((n, k) => n + k.count, 0);
  return {
    ok: true,
    statement: {
      accountId: id,
      accountName: input.accountName,
      span,
      openingMicros,
      topUpsMicros: totals.topUpsMicros,
      topUpCount: totals.topUpCount,
      usageMicros: totals.usageMicros,
      adjustmentsMicros: totals.adjustmentsMicros,
      closingMicros,
      adjustments: totals.adjustments,
      usage: usage.lines,
      unattributedUsageMicros: usage.unattributedMicros,
      entries,
      throughSeq: p.s,
    },
  };
}

const period = (span: PeriodSpan) => `${span.period} (${span.timeZone})`;
