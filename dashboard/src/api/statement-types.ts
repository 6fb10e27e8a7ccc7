/**
 * @module api/statement-types
 * The monthly statements API (`/api/account/statements`, worker/routes/api/statements.ts).
 * Money in integer µUSD; times ISO 8601.
 */

/** One monthly statement and its totals: closing = opening + top-ups − usage + adjustments. */
export interface Statement {
  /** The month, YYYY-MM, in `timeZone`. */
  period: string;
  timeZone: string;
  periodStart: string;
  periodEnd: string;
  openingMicros: number;
  topUpsMicros: number;
  /** Positive: what usage took from the balance. */
  usageMicros: number;
  /** Signed: refunds, disputes, promotions, operator credits and debits. */
  adjustmentsMicros: number;
  closingMicros: number;
  pdfBytes: number;
  csvBytes: number;
  createdAt: string;
  emailedAt: string | null;
}

/** GET /api/account/statements. */
export interface StatementList {
  data: Statement[];
}
