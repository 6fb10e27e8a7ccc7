/**
 * @module payments/reconcile-report
 * What the reconciliation reports: one alert per failed check, named by the check.
 */

export type CheckName = 'journal' | 'journal_mirror' | 'ledger_transfers' | 'usage' | 'ledger_balance' | 'clearing' | 'topup_credit' | 'provider';

export interface Alert {
  check: CheckName;
  accountId: string | null;
  message: string;
}

export interface ReconciliationReport {
  accounts: number;
  topupsChecked: number;
  /** Paid top-ups re-read from their provider this run. */
  providerChecked: number;
  /** Pending top-ups re-read from their provider this run (lost webhooks). */
  pendingChecked: number;
  /** Provider reads that failed transiently (retried next run, no alert). */
  skipped: number;
  problems: string[];
  alerts: Alert[];
}

/** Raises one alert; `key` deduplicates it on the review list. */
export type Alerter = (check: CheckName, accountId: string | null, key: string, message: string) => Promise<void>;
