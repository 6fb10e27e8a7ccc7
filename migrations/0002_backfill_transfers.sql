-- Custom SQL migration (drizzle-kit generate --custom).
-- Journal entries mirrored before the double-entry table existed get their transfers, with the
-- counter account those entries had: usage went to revenue, everything else was an admin
-- adjustment. Rows already present are left alone (the key is the transfer's identity).
INSERT OR IGNORE INTO `ledger_transfers` (`idempotency_key`, `debit_account`, `credit_account`, `amount_micros`, `code`, `account_id`, `journal_seq`, `ref`, `created_at`)
SELECT `account_id` || ':' || `idempotency_key`,
  CASE WHEN `amount_micros` > 0 THEN (CASE WHEN `kind` = 'usage' THEN 'sys:revenue' ELSE 'sys:adjustments' END) ELSE 'acct:' || `account_id` END,
  CASE WHEN `amount_micros` > 0 THEN 'acct:' || `account_id` ELSE (CASE WHEN `kind` = 'usage' THEN 'sys:revenue' ELSE 'sys:adjustments' END) END,
  ABS(`amount_micros`), `kind`, `account_id`, `seq`, `ref`, `created_at`
FROM `journal_entries`;
