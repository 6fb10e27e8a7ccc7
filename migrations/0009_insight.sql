CREATE TABLE `anomalies` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`kind` text NOT NULL,
	`key_id` text,
	`window_start` integer NOT NULL,
	`window_end` integer NOT NULL,
	`day` text,
	`observed_micros` integer NOT NULL,
	`baseline_micros` integer NOT NULL,
	`threshold_micros` integer NOT NULL,
	`requests` integer,
	`baseline_requests` integer,
	`details` text DEFAULT '{}' NOT NULL,
	`action` text NOT NULL,
	`status` text DEFAULT 'open' NOT NULL,
	`resolved_at` integer,
	`resolved_by` text,
	`dedupe_key` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `anomalies_dedupe_key_unique` ON `anomalies` (`dedupe_key`);--> statement-breakpoint
CREATE INDEX `anomalies_account` ON `anomalies` (`account_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `statements` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`period` text NOT NULL,
	`time_zone` text NOT NULL,
	`period_start` integer NOT NULL,
	`period_end` integer NOT NULL,
	`opening_micros` integer NOT NULL,
	`top_ups_micros` integer NOT NULL,
	`usage_micros` integer NOT NULL,
	`adjustments_micros` integer NOT NULL,
	`closing_micros` integer NOT NULL,
	`pdf_key` text NOT NULL,
	`csv_key` text NOT NULL,
	`pdf_bytes` integer NOT NULL,
	`csv_bytes` integer NOT NULL,
	`created_at` integer NOT NULL,
	`emailed_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `statements_account_period` ON `statements` (`account_id`,`period`);--> statement-breakpoint
ALTER TABLE `alerts` ADD `details` text;