/**
 * @module statements/classify
 * Which line of a statement each journal kind counts in. Top-ups are credits from a payment
 * (Stripe card, auto-recharge, BTCPay); usage is every `usage` entry, corrections of expired
 * reservations included (they re-price the same requests, and the rollups carry the corrected
 * figure too); everything else is an adjustment, signed as the journal signs it.
 *
 * The map is a `Record` over `JournalKind`, so a new journal kind does not compile until it is
 * classified here, and `classify` refuses a kind it does not know (a row from newer code): a
 * statement is never published with an entry counted nowhere.
 */
import type { JournalKind } from '../durable-objects/account/types';

/** The statement line a journal kind belongs to. */
export type StatementClass = 'top_up' | 'usage' | 'adjustment';

/** Every journal kind, with its statement line and the words the statement shows. */
export const KIND_CLASSES: Record<JournalKind, { line: StatementClass; label: string }> = {
  topup: { line: 'top_up', label: 'Top-ups (card and Bitcoin)' },
  usage: { line: 'usage', label: 'Usage' },
  refund: { line: 'adjustment', label: 'Card refunds' },
  dispute_withdrawn: { line: 'adjustment', label: 'Card disputes: funds withdrawn' },
  dispute_reinstated: { line: 'adjustment', label: 'Card disputes: funds reinstated' },
  reversal: { line: 'adjustment', label: 'Bitcoin payments reversed' },
  promotion: { line: 'adjustment', label: 'Promotion codes' },
  credit: { line: 'adjustment', label: 'Credits by the operator' },
  debit: { line: 'adjustment', label: 'Debits by the operator' },
  adjustment: { line: 'adjustment', label: 'Adjustments' },
  writeoff: { line: 'adjustment', label: 'Negative balance written off' },
};

/** The class of a journal kind; throws for a kind this code does not know. */
export function classify(kind: string): { line: StatementClass; label: string } {
  const found = Object.hasOwn(KIND_CLASSES, kind) ? KIND_CLASSES[kind as JournalKind] : undefined;
  if (!found) throw new RangeError(`journal kind '${kind}' is not classified for statements`);
  return found;
}

/** What the journal moved in a period, per kind: `count` entries summing to `amountMicros` (signed). */
export interface KindTotal {
  kind: string;
  count: number;
  amountMicros: number;
}

/** An adjustment line of a statement. */
export interface AdjustmentLine {
  kind: string;
  label: string;
  count: number;
  amountMicros: number;
}

/** The period's totals by class: top-ups and adjustments as credited (signed), usage as charged (positive). */
export interface ClassTotals {
  topUpsMicros: number;
  topUpCount: number;
  usageMicros: number;
  adjustmentsMicros: number;
  adjustments: AdjustmentLine[];
}

/** Folds per-kind journal totals into the statement's lines. */
export function totalsByClass(kinds: KindTotal[]): ClassTotals {
  const out: ClassTotals = { topUpsMicros: 0, topUpCount: 0, usageMicros: 0, adjustmentsMicros: 0, adjustments: [] };
  for (const k of kinds) {
    const c = classify(k.kind);
    if (c.line === 'top_up') {
      out.topUpsMicros += k.amountMicros;
      out.topUpCount += k.count;
    } else if (c.line === 'usage') {
      out.usageMicros -= k.amountMicros;
    } else {
      out.adjustmentsMicros += k.amountMicros;
      out.adjustments.push({ kind: k.kind, label: c.label, count: k.count, amountMicros: k.amountMicros });
    }
  }
  out.adjustments.sort((a, b) => a.kind.localeCompare(b.kind));
  return out;
}

/** Usage of one project and model in the period, from the daily rollups. */
export interface UsageLine {
  projectId: string;
  projectName: string;
  model: string;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  costMicros: number;
}

/**
 * The usage lines, largest cost first, plus the part of the journal's usage the rollups do not
 * attribute (a request admitted before the month began and settled after, a late correction of an
 * archived event, days counted in an earlier zone): the lines and that remainder sum exactly to
 * the journal's usage.
 */
export function usageBreakdown(lines: UsageLine[], journalUsageMicros: number): { lines: UsageLine[]; unattributedMicros: number } {
  const sorted = [...lines].sort((a, b) => b.costMicros - a.costMicros || a.projectName.localeCompare(b.projectName) || a.model.localeCompare(b.model));
  const attributed = sorted.reduce((sum, l) => sum + l.costMicros, 0);
  return { lines: sorted, unattributedMicros: journalUsageMicros - attributed };
}
