CREATE TABLE `audit_log` (
	`id` text PRIMARY KEY NOT NULL,
	`actor` text NOT NULL,
	`action` text NOT NULL,
	`target` text,
	`details` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `billing_profiles` (
	`account_id` text PRIMARY KEY NOT NULL,
	`stripe_customer_id` text,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `billing_profiles_stripe_customer_id_unique` ON `billing_profiles` (`stripe_customer_id`);--> statement-breakpoint
CREATE TABLE `ledger_transfers` (
	`idempotency_key` text PRIMARY KEY NOT NULL,
	`debit_account` text NOT NULL,
	`credit_account` text NOT NULL,
	`amount_micros` integer NOT NULL,
	`code` text NOT NULL,
	`account_id` text NOT NULL,
	`journal_seq` integer NOT NULL,
	`ref` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `transfers_account` ON `ledger_transfers` (`account_id`,`journal_seq`);--> statement-breakpoint
CREATE INDEX `transfers_debit` ON `ledger_transfers` (`debit_account`);--> statement-breakpoint
CREATE INDEX `transfers_credit` ON `ledger_transfers` (`credit_account`);--> statement-breakpoint
CREATE TABLE `promotion_codes` (
	`code` text PRIMARY KEY NOT NULL,
	`amount_micros` integer NOT NULL,
	`max_uses` integer NOT NULL,
	`uses` integer DEFAULT 0 NOT NULL,
	`expires_at` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `promotion_redemptions` (
	`code` text NOT NULL,
	`account_id` text NOT NULL,
	`redeemed_at` integer NOT NULL,
	PRIMARY KEY(`code`, `account_id`)
);
--> statement-breakpoint
CREATE TABLE `review_items` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`account_id` text,
	`topup_id` text,
	`dedupe_key` text NOT NULL,
	`message` text NOT NULL,
	`status` text DEFAULT 'open' NOT NULL,
	`created_at` integer NOT NULL,
	`resolved_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `review_items_dedupe_key_unique` ON `review_items` (`dedupe_key`);--> statement-breakpoint
CREATE INDEX `review_status` ON `review_items` (`status`,`created_at`);--> statement-breakpoint
CREATE TABLE `topups` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`method` text NOT NULL,
	`kind` text DEFAULT 'manual' NOT NULL,
	`amount_cents` integer NOT NULL,
	`credit_micros` integer NOT NULL,
	`status` text NOT NULL,
	`provider_ref` text,
	`payment_ref` text,
	`checkout_url` text,
	`credited_micros` integer DEFAULT 0 NOT NULL,
	`refunded_micros` integer DEFAULT 0 NOT NULL,
	`disputed_micros` integer DEFAULT 0 NOT NULL,
	`flags` text,
	`error` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`paid_at` integer
);
--> statement-breakpoint
CREATE INDEX `topups_account` ON `topups` (`account_id`,`created_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `topups_provider_ref` ON `topups` (`method`,`provider_ref`);--> statement-breakpoint
CREATE INDEX `topups_payment_ref` ON `topups` (`payment_ref`);--> statement-breakpoint
CREATE TABLE `webhook_events` (
	`provider` text NOT NULL,
	`event_id` text NOT NULL,
	`type` text NOT NULL,
	`object_id` text,
	`payload` text NOT NULL,
	`status` text DEFAULT 'received' NOT NULL,
	`error` text,
	`received_at` integer NOT NULL,
	`processed_at` integer,
	PRIMARY KEY(`provider`, `event_id`)
);
--> statement-breakpoint
CREATE TRIGGER `ledger_transfers_no_update` BEFORE UPDATE ON `ledger_transfers` BEGIN SELECT RAISE(ABORT, 'ledger_transfers is append-only'); END;
--> statement-breakpoint
CREATE TRIGGER `ledger_transfers_no_delete` BEFORE DELETE ON `ledger_transfers` BEGIN SELECT RAISE(ABORT, 'ledger_transfers is append-only'); END;
--> statement-breakpoint
CREATE TRIGGER `journal_entries_no_update` BEFORE UPDATE ON `journal_entries` BEGIN SELECT RAISE(ABORT, 'journal_entries is append-only'); END;
--> statement-breakpoint
CREATE TRIGGER `journal_entries_no_delete` BEFORE DELETE ON `journal_entries` BEGIN SELECT RAISE(ABORT, 'journal_entries is append-only'); END;
