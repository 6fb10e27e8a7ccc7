/**
 * @module pages/billing/entry-kinds
 * Journal entry kinds (transaction types) in plain words.
 */

const WORDS: Record<string, string> = {
  usage: 'Usage',
  topup: 'Top-up',
  refund: 'Refund',
  dispute_withdrawn: 'Dispute',
  dispute_reinstated: 'Dispute won',
  reversal: 'Reversal',
  promotion: 'Promotion',
  credit: 'Credit',
  debit: 'Debit',
  adjustment: 'Adjustment',
  writeoff: 'Write-off',
};

/** "Top-up" for 'topup', etc. */
export function kindWords(kind: string): string {
  return WORDS[kind] ?? kind.replace(/_/g, ' ');
}
