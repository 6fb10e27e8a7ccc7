CREATE TABLE `accounts` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`kind` text NOT NULL,
	`key_hash` text NOT NULL,
	`prefix` text NOT NULL,
	`last4` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_hash` ON `api_keys` (`key_hash`);--> statement-breakpoint
CREATE INDEX `api_keys_account` ON `api_keys` (`account_id`);--> statement-breakpoint
CREATE TABLE `journal_entries` (
	`account_id` text NOT NULL,
	`seq` integer NOT NULL,
	`idempotency_key` text NOT NULL,
	`kind` text NOT NULL,
	`amount_micros` integer NOT NULL,
	`balance_after_micros` integer NOT NULL,
	`ref` text,
	`reason` text,
	`created_at` integer NOT NULL,
	`mirrored_at` integer DEFAULT (unixepoch() * 1000) NOT NULL,
	PRIMARY KEY(`account_id`, `seq`)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `journal_idem` ON `journal_entries` (`account_id`,`idempotency_key`);--> statement-breakpoint
CREATE TABLE `service_prices` (
	`service_id` text NOT NULL,
	`version` integer NOT NULL,
	`input_micros_per_1m` integer NOT NULL,
	`output_micros_per_1m` integer NOT NULL,
	`request_micros` integer NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`service_id`, `version`)
);
--> statement-breakpoint
CREATE TABLE `services` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`endpoints` text NOT NULL,
	`origin_base_url` text NOT NULL,
	`origin_flavour` text DEFAULT 'openai' NOT NULL,
	`origin_model` text,
	`origin_credential_secret` text,
	`max_output_tokens` integer NOT NULL,
	`default_requests_per_minute` integer,
	`default_tokens_per_minute` integer,
	`default_max_concurrent` integer,
	`price_version` integer NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `services_name_unique` ON `services` (`name`);--> statement-breakpoint
CREATE TABLE `usage_events` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`key_id` text NOT NULL,
	`service_id` text NOT NULL,
	`model` text NOT NULL,
	`endpoint` text NOT NULL,
	`input_tokens` integer NOT NULL,
	`output_tokens` integer NOT NULL,
	`cost_micros` integer NOT NULL,
	`price_version` integer NOT NULL,
	`latency_ms` integer NOT NULL,
	`ttft_ms` integer,
	`status` text NOT NULL,
	`estimated` integer NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `usage_account_time` ON `usage_events` (`account_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `usage_key_time` ON `usage_events` (`key_id`,`created_at`);