/**
 * @module payments/promotions
 * Promotion codes: the admin creates a code (amount, number of uses, expiry); an account
 * redeems each code once. The redemption row and the use count change in one D1 batch, guarded
 * so a code is never used beyond its limit; the credit is posted
 * after (journal key `promo:<code>`, unique within the account), and a retry after a failure
 * posts it then — never twice.
 */
import type { Env } from '../env';
import { ApiError } from '../errors';
import { accountObject } from '../services/accounts';

/** Normalises a code as typed by a person. */
export const normaliseCode = (code: string): string => code.trim().toUpperCase();

/** Redeems a code for an account; returns the amount credited. */
export async function redeemPromotion(env: Env, accountId: string, rawCode: string): Promise<{ code: string; amountMicros: number; balanceMicros: number }> {
  const code = normaliseCode(rawCode);
  const now = Date.now();
  const promo = await env.DB.prepare('SELECT code, amount_micros, max_uses, uses, expires_at FROM promotion_codes WHERE code = ?')
    .bind(code)
    .first<{ code: string; amount_micros: number; max_uses: number; uses: number; expires_at: number | null }>();
  if (!promo) throw new ApiError({ code: 'not_found', param: 'code', message: 'This promotion code does not exist.' });
  let fresh = false;
  const already = await env.DB.prepare('SELECT 1 AS x FROM promotion_redemptions WHERE code = ? AND account_id = ?').bind(code, accountId).first();
  if (!already) {
    if (promo.expires_at !== null && promo.expires_at <= now)
      throw new ApiError({ code: 'invalid_request', param: 'code', message: 'This promotion code has expired.' });
    const [inserted] = await env.DB.batch([
      env.DB.prepare(
        `INSERT OR IGNORE INTO promotion_redemptions (code, account_id, redeemed_at)
         SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM promotion_codes WHERE code = ?1 AND uses < max_uses AND (expires_at IS NULL OR expires_at > ?3))`,
      ).bind(code, accountId, now),
      // changes() is the row count of the INSERT just before it in this batch (one transaction):
      // the use is counted only by the request whose redemption row went in.
      env.DB.prepare('UPDATE promotion_codes SET uses = uses + 1 WHERE code = ?1 AND changes() = 1').bind(code),
    ]);
    fresh = inserted.meta.changes === 1;
    if (!fresh) {
      const mine = await env.DB.prepare('SELECT 1 AS x FROM promotion_redemptions WHERE code = ? AND account_id = ?').bind(code, accountId).first();
      if (!mine) throw new ApiError({ code: 'conflict', param: 'code', message: 'This promotion code has been used up.' });
    }
  }
  // Posting again for an existing redemption is a no-op, or finishes one whose credit failed.
  const { duplicate, balanceMicros } = await accountObject(env, accountId).postEntry({
    idempotencyKey: `promo:${code}`,
    kind: 'promotion',
    amountMicros: promo.amount_micros,
    counterAccount: 'sys:promotions',
    ref: code,
    reason: `promotion code ${code}`,
  });
  if (!fresh && duplicate) throw new ApiError({ code: 'conflict', param: 'code', message: 'You have already redeemed this code.' });
  return { code, amountMicros: promo.amount_micros, balanceMicros };
}
