CREATE TABLE `pending_settlements` (
	`request_id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`payload` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`last_error` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `pending_settlements_due` ON `pending_settlements` (`next_attempt_at`);--> statement-breakpoint
ALTER TABLE `services` ADD `extra_fields` text;