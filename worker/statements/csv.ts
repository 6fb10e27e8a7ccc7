/**
 * @module statements/csv
 * A statement as CSV: one line per figure, each with its effect on the balance (top-ups and
 * credits positive, usage and debits negative) in dollars to six decimals and in µUSD, so a
 * spreadsheet can re-add it exactly. Encoded by the shared CSV encoder (formula-safe).
 */
import { toCsv, type CsvValue } from '../../shared/csv';
import { microsToUsd } from '../lib/money';
import type { Statement } from './build';

/** The columns, in order. */
export const STATEMENT_CSV_HEADER = [
  'line',
  'description',
  'project_id',
  'project',
  'model',
  'requests',
  'input_tokens',
  'output_tokens',
  'entries',
  'amount_usd',
  'amount_micros',
] as const;

type Row = {
  line: string;
  description: string;
  amount: number;
  entries?: number;
  project?: [string, string];
  model?: string;
  counts?: [number, number, number];
};

const toFields = (r: Row): CsvValue[] => [
  r.line,
  r.description,
  r.project?.[0],
  r.project?.[1],
  r.model,
  r.counts?.[0],
  r.counts?.[1],
  r.counts?.[2],
  r.entries,
  microsToUsd(r.amount),
  r.amount,
];

/** The statement's CSV text. */
export function statementCsv(s: Statement): string {
  const zone = `${s.span.period}, ${s.span.timeZone}`;
  const rows: Row[] = [
    { line: 'opening', description: `Opening balance (${s.accountName}, ${zone})`, amount: s.openingMicros },
    { line: 'top_ups', description: 'Top-ups', entries: s.topUpCount, amount: s.topUpsMicros },
    ...s.usage.map(
      (u): Row => ({
        line: 'usage',
        description: 'Usage',
        project: [u.projectId, u.projectName],
        model: u.model,
        counts: [u.requests, u.inputTokens, u.outputTokens],
        amount: -u.costMicros,
      }),
    ),
  ];
  if (s.unattributedUsageMicros !== 0)
    rows.push({ line: 'usage', description: 'Usage not attributed to a project and model', amount: -s.unattributedUsageMicros });
  rows.push({ line: 'usage_total', description: 'Usage', amount: -s.usageMicros });
  for (const a of s.adjustments) rows.push({ line: 'adjustment', description: a.label, entries: a.count, amount: a.amountMicros });
  rows.push({ line: 'adjustments_total', description: 'Adjustments', amount: s.adjustmentsMicros });
  rows.push({ line: 'closing', description: `Closing balance (journal through entry ${s.throughSeq})`, amount: s.closingMicros });
  return toCsv(STATEMENT_CSV_HEADER, rows.map(toFields));
}
