CREATE TABLE `rollup_pruned` (
	`id` integer PRIMARY KEY NOT NULL,
	`before_slot` integer NOT NULL
);
