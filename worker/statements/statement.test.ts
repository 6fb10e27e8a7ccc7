import { PDFDocument } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import type { JournalKind } from '../durable-objects/account/types';
import type { Statement } from './build';
import { classify, KIND_CLASSES, totalsByClass, usageBreakdown } from './classify';
import { statementCsv } from './csv';
import { dollars, statementPdf, winAnsi } from './pdf';
import { duePeriodBounds, lastEndedPeriod, periodSpan } from './period';

// Every kind the journal declares (durable-objects/account/types.ts). A kind added there without a
// line in KIND_CLASSES fails to compile (the map is a Record over JournalKind), and this line fails
// to compile too until the new kind is listed here and its class checked below.
const EVERY_KIND = [
  'usage',
  'topup',
  'refund',
  'dispute_withdrawn',
  'dispute_reinstated',
  'reversal',
  'promotion',
  'credit',
  'debit',
  'adjustment',
  'writeoff',
] as const;
const exhaustive: [Exclude<JournalKind, (typeof EVERY_KIND)[number]>] extends [never] ? true : false = true;

describe('journal kinds on a statement', () => {
  it('classifies every journal kind: top-ups are payments, usage is usage, the rest are adjustments', () => {
    expect(exhaustive).toBe(true);
    expect(Object.keys(KIND_CLASSES).sort()).toEqual([...EVERY_KIND].sort());
    const lines = Object.fromEntries(EVERY_KIND.map((k) => [k, classify(k).line]));
    expect(lines).toEqual({
      usage: 'usage',
      topup: 'top_up',
      refund: 'adjustment',
      dispute_withdrawn: 'adjustment',
      dispute_reinstated: 'adjustment',
      reversal: 'adjustment',
      promotion: 'adjustment',
      credit: 'adjustment',
      debit: 'adjustment',
      adjustment: 'adjustment',
      writeoff: 'adjustment',
    });
  });

  it('refuses a kind it does not know, so no entry is silently counted nowhere', () => {
    expect(() => classify('cashback')).toThrow(/not classified/);
    expect(() => classify('toString')).toThrow(/not classified/);
    expect(() => totalsByClass([{ kind: 'cashback', count: 1, amountMicros: 5 }])).toThrow();
  });

  it('folds signed journal totals into top-ups, usage charged and signed adjustments', () => {
    const t = totalsByClass([
      { kind: 'topup', count: 2, amountMicros: 30_000_000 },
      { kind: 'usage', count: 9, amountMicros: -1_234_567 },
      { kind: 'refund', count: 1, amountMicros: -3_000_000 },
      { kind: 'credit', count: 1, amountMicros: 500_000 },
    ]);
    expect(t).toMatchObject({ topUpsMicros: 30_000_000, topUpCount: 2, usageMicros: 1_234_567, adjustmentsMicros: -2_500_000 });
    expect(t.adjustments.map((a) => [a.kind, a.amountMicros])).toEqual([
      ['credit', 500_000],
      ['refund', -3_000_000],
    ]);
  });

  it('shows what the rollups do not attribute as its own line, so the breakdown sums to the journal', () => {
    const line = (projectName: string, model: string, costMicros: number) => ({
      projectId: projectName,
      projectName,
      model,
      requests: 1,
      inputTokens: 1,
      outputTokens: 1,
      costMicros,
    });
    const b = usageBreakdown([line('a', 'm1', 100), line('b', 'm2', 300)], 407);
    expect(b.lines.map((l) => l.costMicros)).toEqual([300, 100]);
    expect(b.unattributedMicros).toBe(7);
    expect(usageBreakdown([line('a', 'm1', 100)], 90).unattributedMicros).toBe(-10);
  });
});

describe('statement months in the organisation’s zone', () => {
  it('starts and ends a month at local midnights (Kolkata +05:30, Los Angeles across DST)', () => {
    const k = periodSpan('Asia/Kolkata', '2026-11');
    expect([new Date(k.start).toISOString(), new Date(k.end).toISOString()]).toEqual(['2026-10-31T18:30:00.000Z', '2026-11-30T18:30:00.000Z']);
    const la = periodSpan('America/Los_Angeles', '2026-11');
    // November starts in PDT (−7) and ends in PST (−8).
    expect([new Date(la.start).toISOString(), new Date(la.end).toISOString()]).toEqual(['2026-11-01T07:00:00.000Z', '2026-12-01T08:00:00.000Z']);
    expect([k.firstDay, k.endDay]).toEqual([Date.UTC(2026, 10, 1) / 86_400_000, Date.UTC(2026, 11, 1) / 86_400_000]);
    expect(periodSpan('UTC', '2026-12').end).toBe(Date.UTC(2027, 0, 1));
  });

  it('knows which month has just ended, by the local clock', () => {
    // 2026-12-01T00:00 in Kolkata is 2026-11-30T18:30Z: November has ended there, not in UTC.
    expect(lastEndedPeriod('Asia/Kolkata', Date.parse('2026-11-30T18:30:00Z')).period).toBe('2026-11');
    expect(lastEndedPeriod('Asia/Kolkata', Date.parse('2026-11-30T18:29:59.999Z')).period).toBe('2026-10');
    expect(lastEndedPeriod('UTC', Date.parse('2026-11-30T18:30:00Z')).period).toBe('2026-10');
    expect(lastEndedPeriod('UTC', Date.parse('2027-01-01T00:00:00Z')).period).toBe('2026-12');
    expect(duePeriodBounds(Date.parse('2026-11-30T18:30:00Z'))).toEqual({ earliest: '2026-10', latest: '2026-11' });
    expect(duePeriodBounds(Date.parse('2026-11-15T00:00:00Z'))).toEqual({ earliest: '2026-10', latest: '2026-10' });
    expect(() => periodSpan('UTC', '2026-13')).toThrow(RangeError);
  });
});

function sample(over: Partial<Statement> = {}): Statement {
  return {
    accountId: 'acct_1',
    accountName: 'Łódź Straße 東京 🚀',
    span: periodSpan('Asia/Kolkata', '2026-11'),
    openingMicros: 1_000_000,
    topUpsMicros: 25_000_000,
    topUpCount: 1,
    usageMicros: 1_234_567,
    adjustmentsMicros: -3_000_000,
    closingMicros: 1_000_000 + 25_000_000 - 1_234_567 - 3_000_000,
    adjustments: [{ kind: 'refund', label: 'Card refunds', count: 1, amountMicros: -3_000_000 }],
    usage: [
      { projectId: 'prj_1', projectName: 'Ünïcode ☃ project', model: 'llama-3—70b', requests: 3, inputTokens: 30, outputTokens: 60, costMicros: 1_234_560 },
    ],
    unattributedUsageMicros: 7,
    entries: 5,
    throughSeq: 9,
    ...over,
  };
}

describe('statement files', () => {
  it('keeps WinAnsi characters, strips accents WinAnsi lacks, and replaces anything else', () => {
    expect(winAnsi('Café – “€” Straße')).toBe('Café – “€” Straße');
    expect(winAnsi('Łódź ő')).toBe('?ódz o');
    expect(winAnsi('東京 🚀\nx')).toBe('?? ? x');
    expect(dollars(-1_500_000)).toBe('-$1.50');
    expect(dollars(51)).toBe('$0.000051');
  });

  it('renders a PDF that pdf-lib reads back, with any name, and pages a long usage list', async () => {
    const bytes = await statementPdf(sample(), Date.parse('2026-12-01T00:00:00Z'));
    expect(new TextDecoder().decode(bytes.slice(0, 5))).toBe('%PDF-');
    expect((await PDFDocument.load(bytes)).getPageCount()).toBe(1);
    const many = Array.from({ length: 120 }, (_, i) => ({ ...sample().usage[0], projectId: `p${i}`, projectName: `Project ${i}` }));
    const long = await PDFDocument.load(await statementPdf(sample({ usage: many }), 0));
    expect(long.getPageCount()).toBeGreaterThan(2);
    expect(long.getPage(0).getSize()).toEqual({ width: 595.28, height: 841.89 });
  });

  it('writes a CSV whose lines re-add to the totals, exactly', () => {
    const text = statementCsv(sample());
    const rows = text
      .trim()
      .split('\r\n')
      .map((l) => l.split(','));
    expect(rows[0]).toEqual([
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
    ]);
    const micros = (line: string) => rows.filter((r) => r[0] === line).map((r) => Number(r[r.length - 1]));
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    expect(sum(micros('usage'))).toBe(-1_234_567);
    expect(micros('usage_total')).toEqual([-1_234_567]);
    expect(sum(micros('opening')) + sum(micros('top_ups')) + sum(micros('usage_total')) + sum(micros('adjustments_total'))).toEqual(micros('closing')[0]);
    expect(rows.find((r) => r[0] === 'closing')?.at(-2)).toBe('21.765433');
  });
});
