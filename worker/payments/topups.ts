/**
 * @module payments/topups
 * Top-up rows in D1 and the one way credit enters an account: a journal entry in the account
 * object keyed by the payment itself (`stripe:pi:<id>`, `btcpay:inv:<id>`), so however many
 * deliveries and event types report one payment, it is credited once.
 */
import { eq, sql } from 'drizzle-orm';
import { database } from '../db/client';
import { reviewItems, topups } from '../db/schema';
import type { PaymentTotals } from '../durable-objects/account/payments';
import type { SystemAccount } from '../durable-objects/account/types';
import type { Env } from '../env';
import { newId } from '../lib/ids';
import { accountObject } from '../services/accounts';
import { centsToMicros, type PaymentMethod } from './config';

export type Topup = typeof topups.$inferSelect;
export type TopupStatus = 'created' | 'pending' | 'processing' | 'paid' | 'failed' | 'expired' | 'invalid' | 'partially_refunded' | 'refunded' | 'disputed';

/** Records a new top-up before any provider is called. */
export async function createTopup(
  env: Env,
  input: { accountId: string; method: PaymentMethod; amountCents: number; kind?: 'manual' | 'auto_recharge'; id?: string },
): Promise<Topup> {
  const now = Date.now();
  const row: Topup = {
    id: input.id ?? newId('top'),
    accountId: input.accountId,
    method: input.method,
    kind: input.kind ?? 'manual',
    amountCents: input.amountCents,
    creditMicros: centsToMicros(input.amountCents),
    status: 'created',
    providerRef: null,
    paymentRef: null,
    checkoutUrl: null,
    creditedMicros: 0,
    refundedMicros: 0,
    disputedMicros: 0,
    flags: null,
    error: null,
    createdAt: now,
    updatedAt: now,
    paidAt: null,
  };
  await database(env.DB).insert(topups).values(row).onConflictDoNothing();
  return (await getTopup(env, row.id)) as Topup;
}

/** One top-up by id. */
export async function getTopup(env: Env, id: string): Promise<Topup | null> {
  return (await database(env.DB).select().from(topups).where(eq(topups.id, id)))[0] ?? null;
}

/** The top-up a Stripe PaymentIntent paid. */
export async function topupByPaymentRef(env: Env, paymentRef: string): Promise<Topup | null> {
  return (await database(env.DB).select().from(topups).where(eq(topups.paymentRef, paymentRef)))[0] ?? null;
}

/** Updates a top-up's status and provider fields. */
export async function updateTopup(env: Env, id: string, patch: Partial<Omit<Topup, 'id' | 'accountId' | 'createdAt'>>): Promise<void> {
  await database(env.DB)
    .update(topups)
    .set({ ...patch, updatedAt: Date.now() })
    .where(eq(topups.id, id));
}

/** Adds a flag (e.g. 'overpaid', 'manually_marked') to a top-up. */
export function withFlag(topup: Topup, flag: string): string {
  const flags = new Set((topup.flags ?? '').split(',').filter(Boolean));
  flags.add(flag);
  return [...flags].join(',');
}

/**
 * Credits a paid top-up exactly once (keyed by the payment) and marks it paid. Safe to call
 * for every delivery about the payment: a repeat posts nothing. Refunds or disputes that
 * arrived before the credit are posted with it, and the top-up's totals follow the journal.
 */
export async function creditTopup(
  env: Env,
  topup: Topup,
  input: { idempotencyKey: string; counterAccount: SystemAccount; paymentRef?: string | null; flags?: string | null },
): Promise<{ duplicate: boolean }> {
  const { duplicate, totals } = await accountObject(env, topup.accountId).creditPayment({
    paymentKey: input.idempotencyKey,
    amountMicros: topup.creditMicros,
    counterAccount: input.counterAccount,
    ref: topup.id,
    reason: topup.kind === 'auto_recharge' ? 'auto-recharge' : `${topup.method} top-up`,
  });
  await refreshStatus(env, topup.id, {
    ...totalsPatch(totals),
    paidAt: topup.paidAt ?? Date.now(),
    ...(input.paymentRef ? { paymentRef: input.paymentRef } : {}),
    ...(input.flags !== undefined ? { flags: input.flags } : {}),
  });
  return { duplicate };
}

/** The top-up's money fields as the journal has them for its payment. */
export function totalsPatch(totals: PaymentTotals): { creditedMicros: number; refundedMicros: number; disputedMicros: number } {
  return { creditedMicros: totals.creditedMicros, refundedMicros: totals.refundedMicros, disputedMicros: totals.withdrawnMicros - totals.reinstatedMicros };
}

/**
 * Writes money fields and recomputes the status from them in the same statement, so the
 * status depends only on the totals, not on the order deliveries arrived in. Refunded and
 * credited totals only grow (MAX), so a stale writer cannot move them back.
 */
export async function refreshStatus(
  env: Env,
  id: string,
  patch: { creditedMicros?: number; refundedMicros?: number; disputedMicros?: number; paidAt?: number; paymentRef?: string; flags?: string | null },
): Promise<void> {
  await env.DB.prepare(
    `UPDATE topups SET
       credited_micros = MAX(credited_micros, COALESCE(?1, 0)),
       refunded_micros = MAX(refunded_micros, COALESCE(?2, 0)),
       disputed_micros = COALESCE(?3, disputed_micros),
       paid_at = COALESCE(paid_at, ?4),
       payment_ref = COALESCE(?5, payment_ref),
       flags = CASE WHEN ?7 THEN ?6 ELSE flags END,
       updated_at = ?8
     WHERE id = ?9`,
  )
    .bind(
      patch.creditedMicros ?? null,
      patch.refundedMicros ?? null,
      patch.disputedMicros ?? null,
      patch.paidAt ?? null,
      patch.paymentRef ?? null,
      patch.flags ?? null,
      patch.flags !== undefined ? 1 : 0,
      Date.now(),
      id,
    )
    .run();
  await env.DB.prepare(
    `UPDATE topups SET status = CASE
       WHEN status = 'invalid' THEN 'invalid'
       WHEN credited_micros = 0 THEN status
       WHEN refunded_micros >= credit_micros THEN 'refunded'
       WHEN disputed_micros > 0 THEN 'disputed'
       WHEN refunded_micros > 0 THEN 'partially_refunded'
       ELSE 'paid' END
     WHERE id = ?`,
  )
    .bind(id)
    .run();
}

/**
 * Puts something on the admin's review list once (deduplicated). With `update`, an existing
 * item takes the new message and is reopened if its message changed (e.g. a refund grew).
 */
export async function addReview(
  env: Env,
  item: { kind: string; accountId?: string | null; topupId?: string | null; dedupeKey: string; message: string; update?: boolean },
): Promise<void> {
  const values = {
    id: newId('rev'),
    kind: item.kind,
    accountId: item.accountId ?? null,
    topupId: item.topupId ?? null,
    dedupeKey: item.dedupeKey,
    message: item.message,
    status: 'open' as const,
    createdAt: Date.now(),
    resolvedAt: null,
  };
  const insert = database(env.DB).insert(reviewItems).values(values);
  if (!item.update) {
    await insert.onConflictDoNothing();
    return;
  }
  await insert.onConflictDoUpdate({
    target: reviewItems.dedupeKey,
    set: {
      message: item.message,
      status: sql`CASE WHEN ${reviewItems.message} = ${item.message} THEN ${reviewItems.status} ELSE 'open' END`,
      resolvedAt: sql`CASE WHEN ${reviewItems.message} = ${item.message} THEN ${reviewItems.resolvedAt} ELSE NULL END`,
    },
  });
}
