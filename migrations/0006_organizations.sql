CREATE TABLE `invitations` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`email` text NOT NULL,
	`role` text NOT NULL,
	`project_ids` text DEFAULT '[]' NOT NULL,
	`token_hash` text NOT NULL,
	`invited_by` text,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`accepted_at` integer,
	`accepted_by` text,
	`revoked_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `invitations_token_hash_unique` ON `invitations` (`token_hash`);--> statement-breakpoint
CREATE INDEX `invitations_account` ON `invitations` (`account_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `memberships` (
	`account_id` text NOT NULL,
	`user_id` text NOT NULL,
	`role` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`account_id`, `user_id`),
	FOREIGN KEY (`user_id`) REFERENCES `auth_user`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `memberships_user` ON `memberships` (`user_id`);--> statement-breakpoint
ALTER TABLE `usage_events` ADD `project_id` text;--> statement-breakpoint
-- Every existing billing account becomes an organisation whose owner is the user it belonged to.
INSERT OR IGNORE INTO `memberships` (`account_id`, `user_id`, `role`, `created_at`) SELECT `account_id`, `user_id`, 'owner', `created_at` FROM `user_accounts`;
--> statement-breakpoint
-- Existing keys move to each organisation's default project (created by the account object's V11), and so does their usage.
UPDATE `usage_events` SET `project_id` = 'proj_default' WHERE `project_id` IS NULL;
