/**
 * @module pages/billing/topup-status
 * Top-up statuses and methods in plain words.
 */

/** Every status a top-up can have (the worker's TopupStatus), in the order a payment moves. */
export const TOPUP_STATUSES = [
  'created',
  'pending',
  'processing',
  'paid',
  'partially_refunded',
  'refunded',
  'disputed',
  'failed',
  'expired',
  'invalid',
] as const;

/** Statuses that can still change without the user doing anything. */
export const OPEN_STATUSES = new Set(['created', 'pending', 'processing']);

const WORDS: Record<string, string> = {
  created: 'Started',
  pending: 'Waiting for payment',
  processing: 'Payment confirming',
  paid: 'Paid',
  partially_refunded: 'Partly refunded',
  refunded: 'Refunded',
  disputed: 'Disputed',
  expired: 'Expired',
  failed: 'Failed',
  invalid: 'Invalid',
  cancelled: 'Cancelled',
};

/** "Waiting for payment" for 'pending', etc. */
export function statusWords(status: string): string {
  return WORDS[status] ?? status.replace(/_/g, ' ');
}

/** A CSS tone for a status badge. */
export function statusTone(status: string): 'good' | 'bad' | 'wait' {
  if (status === 'paid' || status === 'partially_refunded') return 'good';
  if (OPEN_STATUSES.has(status)) return 'wait';
  return 'bad';
}

/** "Card", "Bitcoin", "Card (auto)" for an auto-recharge. */
export function methodWords(topup: { method: string; kind: string }): string {
  return `${topup.method === 'card' ? 'Card' : 'Bitcoin'}${topup.kind === 'auto_recharge' ? ' (auto)' : ''}`;
}
