CREATE TABLE `budget_alerts` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`budget_id` text NOT NULL,
	`budget_name` text NOT NULL,
	`scope` text NOT NULL,
	`end_user` text,
	`window_kind` text NOT NULL,
	`window_start` integer NOT NULL,
	`resets_at` integer,
	`percent` integer NOT NULL,
	`spent_micros` integer NOT NULL,
	`amount_micros` integer NOT NULL,
	`action` text NOT NULL,
	`request_id` text NOT NULL,
	`dedupe_key` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `budget_alerts_dedupe_key_unique` ON `budget_alerts` (`dedupe_key`);--> statement-breakpoint
CREATE INDEX `budget_alerts_account` ON `budget_alerts` (`account_id`,`created_at`);