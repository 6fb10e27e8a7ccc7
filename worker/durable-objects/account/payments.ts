/**
 * @module account/payments
 * Money from payment providers, decided inside the account object so that each decision reads
 * what the journal holds for the payment and writes its answer in one transaction:
 *
 * - A payment is credited once, under its own key (`stripe:pi:<id>`, `btcpay:inv:<id>`).
 * - Reversals (refunds, dispute withdrawals and reinstatements) are cumulative streams whose
 *   provider totals are remembered as targets; what is posted never takes back more than the
 *   payment credited, cumulatively over all its streams. A reversal of a payment not (yet)
 *   credited posts nothing; the credit, when it lands, posts what was waiting.
 * - A BTCPay invoice once seen Invalid is never credited; a credit it already got is reversed.
 *
 * Everything lives in the journal and the `cumulative` table (no table of its own):
 * `<stream>` holds the posted total of a stream (the journal key of each step is
 * `<stream>:<posted total>`), `target|<payment>|<kind>|<stream>` the provider's latest total, and
 * `invalid|<payment>` marks an invoice seen Invalid. The caller runs these inside its
 * transaction.
 */
import { findEntry, post, type AccountRow } from './ledger';
import type { JournalKind, SystemAccount } from './types';

export type ReversalKind = 'refund' | 'dispute_withdrawn' | 'dispute_reinstated';

/** Applied in this order, so debits use the room a credit left before reinstatements give any back. */
const KINDS: readonly ReversalKind[] = ['refund', 'dispute_withdrawn', 'dispute_reinstated'];
const SIGN: Record<ReversalKind, 1 | -1> = { refund: -1, dispute_withdrawn: -1, dispute_reinstated: 1 };
const REASON: Record<ReversalKind, string> = {
  refund: 'refund',
  dispute_withdrawn: 'dispute: funds withdrawn',
  dispute_reinstated: 'dispute: funds reinstated',
};

export interface PaymentCredit {
  paymentKey: string;
  amountMicros: number;
  counterAccount: SystemAccount;
  ref: string;
  reason: string;
}

export interface ReversalInput {
  paymentKey: string;
  kind: ReversalKind;
  /** One cumulative stream, e.g. `stripe:refund:<charge>` or `stripe:dispute:<dp>:withdrawn`. */
  stream: string;
  /** The provider's cumulative total for the stream (only its increases matter). */
  targetMicros: number;
}

/** What the journal holds for one payment. */
export interface PaymentTotals {
  creditedMicros: number;
  refundedMicros: number;
  withdrawnMicros: number;
  reinstatedMicros: number;
  /** Reversed by an Invalid invoice. */
  invalidatedMicros: number;
  /** Reversal the provider reported that was not posted (nothing, or not enough, was credited). */
  unpostedMicros: number;
  invalid: boolean;
}

export interface Ctx {
  sql: SqlStorage;
  accountId: string;
  row: AccountRow | undefined;
  now: number;
}

const cumulative = (sql: SqlStorage, key: string): number =>
  sql.exec<{ amount_micros: number }>('SELECT amount_micros FROM cumulative WHERE key = ?', key).toArray()[0]?.amount_micros ?? 0;

const setCumulative = (sql: SqlStorage, key: string, micros: number): void => {
  sql.exec('INSERT INTO cumulative (key, amount_micros) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET amount_micros = excluded.amount_micros', key, micros);
};

/** The payment's credit entry (positive), or null. */
function creditEntry(sql: SqlStorage, paymentKey: string) {
  const entry = findEntry(sql, paymentKey);
  return entry && entry.amountMicros > 0 ? entry : null;
}

interface Target {
  kind: ReversalKind;
  stream: string;
  target: number;
}

function targets(sql: SqlStorage, paymentKey: string): Target[] {
  const prefix = `target|${paymentKey}|`;
  // substr, not LIKE: payment ids contain '_', a LIKE wildcard.
  const rows = sql
    .exec<{ key: string; amount_micros: number }>('SELECT key, amount_micros FROM cumulative WHERE substr(key, 1, ?) = ? ORDER BY key', prefix.length, prefix)
    .toArray();
  return rows
    .map((r) => {
      const [kind, ...stream] = r.key.slice(prefix.length).split('|');
      return { kind: kind as ReversalKind, stream: stream.join('|'), target: r.amount_micros };
    })
    .sort((a, b) => KINDS.indexOf(a.kind) - KINDS.indexOf(b.kind));
}

/** Reads the payment's totals (no writes). */
export function paymentTotals(sql: SqlStorage, paymentKey: string): PaymentTotals {
  const totals: PaymentTotals = {
    creditedMicros: creditEntry(sql, paymentKey)?.amountMicros ?? 0,
    refundedMicros: 0,
    withdrawnMicros: 0,
    reinstatedMicros: 0,
    invalidatedMicros: -(findEntry(sql, `${paymentKey}:invalid`)?.amountMicros ?? 0),
    unpostedMicros: 0,
    invalid: sql.exec('SELECT 1 FROM cumulative WHERE key = ?', `invalid|${paymentKey}`).toArray().length > 0,
  };
  for (const t of targets(sql, paymentKey)) {
    const posted = cumulative(sql, t.stream);
    if (t.kind === 'refund') totals.refundedMicros += posted;
    else if (t.kind === 'dispute_withdrawn') totals.withdrawnMicros += posted;
    else totals.reinstatedMicros += posted;
    if (SIGN[t.kind] < 0) totals.unpostedMicros += Math.max(0, t.target - posted);
  }
  return totals;
}

/**
 * Posts whatever the payment's reversal targets still ask for, within what it credited:
 * refunds and withdrawals together never exceed the credit net of reinstatements, and a
 * reinstatement never exceeds what was withdrawn. Repeats until nothing more can move.
 */
function converge(ctx: Ctx, paymentKey: string): void {
  const credit = creditEntry(ctx.sql, paymentKey);
  if (!credit) return;
  const list = targets(ctx.sql, paymentKey);
  const posted = new Map(list.map((t) => [t.stream, cumulative(ctx.sql, t.stream)]));
  const sum = (kind: ReversalKind) => list.filter((t) => t.kind === kind).reduce((s, t) => s + (posted.get(t.stream) ?? 0), 0);
  for (let moved = true, rounds = 0; moved && rounds < 3; rounds += 1) {
    moved = false;
    for (const t of list) {
      const done = posted.get(t.stream) ?? 0;
      const netReversed = sum('refund') + sum('dispute_withdrawn') - sum('dispute_reinstated');
      const room = t.kind === 'dispute_reinstated' ? sum('dispute_withdrawn') - sum('dispute_reinstated') : credit.amountMicros - netReversed;
      const delta = Math.min(t.target - done, room);
      if (delta <= 0) continue;
      post(
        ctx.sql,
        ctx.accountId,
        {
          idempotencyKey: `${t.stream}:${done + delta}`,
          kind: t.kind as JournalKind,
          amountMicros: SIGN[t.kind] * delta,
          counterAccount: t.kind === 'refund' ? credit.counterAccount : 'sys:dispute_hold',
          ref: credit.ref,
          keyId: null,
          reason: REASON[t.kind],
          now: ctx.now,
        },
        { row: ctx.row },
      );
      posted.set(t.stream, done + delta);
      setCumulative(ctx.sql, t.stream, done + delta);
      moved = true;
    }
  }
}

/** Credits a payment once, then posts reversals that were waiting for it. */
export function creditPayment(ctx: Ctx, input: PaymentCredit): { duplicate: boolean; totals: PaymentTotals } {
  const { duplicate } = post(
    ctx.sql,
    ctx.accountId,
    {
      idempotencyKey: input.paymentKey,
      kind: 'topup',
      amountMicros: input.amountMicros,
      counterAccount: input.counterAccount,
      ref: input.ref,
      keyId: null,
      reason: input.reason,
      now: ctx.now,
    },
    { row: ctx.row },
  );
  converge(ctx, input.paymentKey);
  return { duplicate, totals: paymentTotals(ctx.sql, input.paymentKey) };
}

/** Records a provider's reversal total for a payment and posts what the credit allows. */
export function applyReversal(ctx: Ctx, input: ReversalInput): PaymentTotals {
  const key = `target|${input.paymentKey}|${input.kind}|${input.stream}`;
  if (input.targetMicros > cumulative(ctx.sql, key)) setCumulative(ctx.sql, key, input.targetMicros);
  converge(ctx, input.paymentKey);
  return paymentTotals(ctx.sql, input.paymentKey);
}

export type InvoiceOutcome = 'credited' | 'duplicate' | 'refused_invalid' | 'reversed' | 'invalid';

/**
 * Decides a BTCPay invoice's money from its confirmed status in one step, so a Settled and an
 * Invalid delivery converge whichever runs first: Invalid marks the invoice and reverses any
 * credit; Settled credits only an invoice never seen Invalid.
 */
export function applyInvoiceStatus(ctx: Ctx, input: PaymentCredit & { status: 'Settled' | 'Invalid' }): { outcome: InvoiceOutcome; totals: PaymentTotals } {
  const marker = `invalid|${input.paymentKey}`;
  if (input.status === 'Invalid') {
    ctx.sql.exec('INSERT OR IGNORE INTO cumulative (key, amount_micros) VALUES (?, 0)', marker);
    const credit = creditEntry(ctx.sql, input.paymentKey);
    const before = paymentTotals(ctx.sql, input.paymentKey);
    // Whatever of the credit is still standing (refunds or withdrawals already took the rest).
    const standing = before.creditedMicros - before.refundedMicros - before.withdrawnMicros + before.reinstatedMicros - before.invalidatedMicros;
    let outcome: InvoiceOutcome = 'invalid';
    if (credit && standing > 0) {
      const { duplicate } = post(
        ctx.sql,
        ctx.accountId,
        {
          idempotencyKey: `${input.paymentKey}:invalid`,
          kind: 'reversal',
          amountMicros: -standing,
          counterAccount: credit.counterAccount,
          ref: credit.ref,
          keyId: null,
          reason: 'bitcoin invoice invalid after credit',
          now: ctx.now,
        },
        { row: ctx.row },
      );
      outcome = duplicate ? 'invalid' : 'reversed';
    }
    return { outcome, totals: paymentTotals(ctx.sql, input.paymentKey) };
  }
  // An invoice reversed before invalid markers existed has only its reversal entry.
  if (ctx.sql.exec('SELECT 1 FROM cumulative WHERE key = ?', marker).toArray().length > 0 || findEntry(ctx.sql, `${input.paymentKey}:invalid`)) {
    return { outcome: 'refused_invalid', totals: paymentTotals(ctx.sql, input.paymentKey) };
  }
  const { duplicate, totals } = creditPayment(ctx, input);
  return { outcome: duplicate ? 'duplicate' : 'credited', totals };
}
