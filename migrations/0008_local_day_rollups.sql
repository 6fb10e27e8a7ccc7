-- Daily rollups in each organisation's own time zone (worker/db/schema.ts); the triggers of 0007 gain them.
CREATE TABLE `usage_rollup_end_users_local_days` (
	`account_id` text NOT NULL,
	`tz` text NOT NULL,
	`day` integer NOT NULL,
	`end_user` text NOT NULL,
	`project_id` text NOT NULL,
	`key_id` text NOT NULL,
	`model` text NOT NULL,
	`requests` integer NOT NULL,
	`input_tokens` integer NOT NULL,
	`output_tokens` integer NOT NULL,
	`cost_micros` integer NOT NULL,
	PRIMARY KEY(`account_id`, `day`, `tz`, `end_user`, `project_id`, `key_id`, `model`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE `usage_rollup_local_days` (
	`account_id` text NOT NULL,
	`tz` text NOT NULL,
	`day` integer NOT NULL,
	`project_id` text NOT NULL,
	`key_id` text NOT NULL,
	`model` text NOT NULL,
	`member_id` text,
	`requests` integer NOT NULL,
	`input_tokens` integer NOT NULL,
	`output_tokens` integer NOT NULL,
	`cost_micros` integer NOT NULL,
	`errors` integer NOT NULL,
	PRIMARY KEY(`account_id`, `day`, `tz`, `project_id`, `key_id`, `model`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE `usage_rollup_tags_local_days` (
	`account_id` text NOT NULL,
	`tz` text NOT NULL,
	`day` integer NOT NULL,
	`tag` text NOT NULL,
	`project_id` text NOT NULL,
	`key_id` text NOT NULL,
	`model` text NOT NULL,
	`requests` integer NOT NULL,
	`input_tokens` integer NOT NULL,
	`output_tokens` integer NOT NULL,
	`cost_micros` integer NOT NULL,
	PRIMARY KEY(`account_id`, `day`, `tz`, `tag`, `project_id`, `key_id`, `model`)
) WITHOUT ROWID;
--> statement-breakpoint
ALTER TABLE `usage_events` ADD `tz` text;--> statement-breakpoint
ALTER TABLE `usage_events` ADD `local_day` integer;--> statement-breakpoint
-- Events from before this migration count in UTC days (their zone was not recorded): views in another zone read the 15-minute rollups for them.
UPDATE `usage_events` SET `tz` = 'UTC', `local_day` = `created_at` / 86400000 WHERE `tz` IS NULL;
--> statement-breakpoint
INSERT INTO `usage_rollup_local_days` (account_id, tz, day, project_id, key_id, model, member_id, requests, input_tokens, output_tokens, cost_micros, errors)
SELECT account_id, tz, local_day, coalesce(project_id, ''), key_id, coalesce(nullif(u.model, ''), (SELECT name FROM services WHERE id = u.service_id), u.service_id), max(member_id), count(*), sum(input_tokens), sum(output_tokens), sum(cost_micros), sum((u.status IN ('origin_error', 'origin_timeout', 'expired')))
FROM usage_events AS u GROUP BY 1, 2, 3, 4, 5, 6;
--> statement-breakpoint
INSERT INTO `usage_rollup_tags_local_days` (account_id, tz, day, tag, project_id, key_id, model, requests, input_tokens, output_tokens, cost_micros)
SELECT account_id, tz, local_day, j.key || '=' || j.value, coalesce(project_id, ''), key_id, coalesce(nullif(u.model, ''), (SELECT name FROM services WHERE id = u.service_id), u.service_id), count(*), sum(input_tokens), sum(output_tokens), sum(cost_micros)
FROM usage_events AS u, json_each(u.tags) AS j WHERE u.tags IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6, 7;
--> statement-breakpoint
INSERT INTO `usage_rollup_end_users_local_days` (account_id, tz, day, end_user, project_id, key_id, model, requests, input_tokens, output_tokens, cost_micros)
SELECT account_id, tz, local_day, end_user, coalesce(project_id, ''), key_id, coalesce(nullif(u.model, ''), (SELECT name FROM services WHERE id = u.service_id), u.service_id), count(*), sum(input_tokens), sum(output_tokens), sum(cost_micros)
FROM usage_events AS u WHERE end_user IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6, 7;
--> statement-breakpoint
DROP TRIGGER `usage_events_rollup_insert`;
--> statement-breakpoint
CREATE TRIGGER `usage_events_rollup_insert` AFTER INSERT ON `usage_events` BEGIN
  INSERT INTO usage_rollup (account_id, slot, project_id, key_id, model, member_id, requests, input_tokens, output_tokens, cost_micros, errors, latency_ms)
  VALUES (NEW.account_id, NEW.created_at / 900000, coalesce(NEW.project_id, ''), NEW.key_id, coalesce(nullif(NEW.model, ''), (SELECT name FROM services WHERE id = NEW.service_id), NEW.service_id), NEW.member_id, 1, NEW.input_tokens, NEW.output_tokens, NEW.cost_micros, (NEW.status IN ('origin_error', 'origin_timeout', 'expired')), NEW.latency_ms)
  ON CONFLICT (account_id, slot, project_id, key_id, model) DO UPDATE SET requests = requests + excluded.requests, input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens, cost_micros = cost_micros + excluded.cost_micros, errors = errors + excluded.errors, latency_ms = latency_ms + excluded.latency_ms, member_id = coalesce(member_id, excluded.member_id);
  INSERT INTO usage_rollup_tags (account_id, slot, tag, project_id, key_id, model, requests, input_tokens, output_tokens, cost_micros)
  SELECT NEW.account_id, NEW.created_at / 900000, j.key || '=' || j.value, coalesce(NEW.project_id, ''), NEW.key_id, coalesce(nullif(NEW.model, ''), (SELECT name FROM services WHERE id = NEW.service_id), NEW.service_id), 1, NEW.input_tokens, NEW.output_tokens, NEW.cost_micros
  FROM json_each(coalesce(NEW.tags, '{}')) AS j WHERE NEW.tags IS NOT NULL
  ON CONFLICT (account_id, slot, tag, project_id, key_id, model) DO UPDATE SET requests = requests + excluded.requests, input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens, cost_micros = cost_micros + excluded.cost_micros;
  INSERT INTO usage_rollup_end_users (account_id, slot, end_user, project_id, key_id, model, requests, input_tokens, output_tokens, cost_micros)
  SELECT NEW.account_id, NEW.created_at / 900000, NEW.end_user, coalesce(NEW.project_id, ''), NEW.key_id, coalesce(nullif(NEW.model, ''), (SELECT name FROM services WHERE id = NEW.service_id), NEW.service_id), 1, NEW.input_tokens, NEW.output_tokens, NEW.cost_micros
  WHERE NEW.end_user IS NOT NULL
  ON CONFLICT (account_id, slot, end_user, project_id, key_id, model) DO UPDATE SET requests = requests + excluded.requests, input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens, cost_micros = cost_micros + excluded.cost_micros;
  INSERT INTO usage_rollup_accounts (account_id, slot, requests, input_tokens, output_tokens, cost_micros, errors)
  VALUES (NEW.account_id, NEW.created_at / 900000, 1, NEW.input_tokens, NEW.output_tokens, NEW.cost_micros, (NEW.status IN ('origin_error', 'origin_timeout', 'expired')))
  ON CONFLICT (account_id, slot) DO UPDATE SET requests = requests + excluded.requests, input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens, cost_micros = cost_micros + excluded.cost_micros, errors = errors + excluded.errors;
  INSERT INTO usage_rollup_days (account_id, day, requests, input_tokens, output_tokens, cost_micros, errors)
  VALUES (NEW.account_id, NEW.created_at / 86400000, 1, NEW.input_tokens, NEW.output_tokens, NEW.cost_micros, (NEW.status IN ('origin_error', 'origin_timeout', 'expired')))
  ON CONFLICT (account_id, day) DO UPDATE SET requests = requests + excluded.requests, input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens, cost_micros = cost_micros + excluded.cost_micros, errors = errors + excluded.errors;
  INSERT INTO usage_rollup_models (slot, model, requests, input_tokens, output_tokens, cost_micros, errors, latency_ms)
  VALUES (NEW.created_at / 900000, coalesce(nullif(NEW.model, ''), (SELECT name FROM services WHERE id = NEW.service_id), NEW.service_id), 1, NEW.input_tokens, NEW.output_tokens, NEW.cost_micros, (NEW.status IN ('origin_error', 'origin_timeout', 'expired')), NEW.latency_ms)
  ON CONFLICT (slot, model) DO UPDATE SET requests = requests + excluded.requests, input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens, cost_micros = cost_micros + excluded.cost_micros, errors = errors + excluded.errors, latency_ms = latency_ms + excluded.latency_ms;
  INSERT INTO usage_latency (hour, model, le_ms, n) VALUES (NEW.created_at / 3600000, coalesce(nullif(NEW.model, ''), (SELECT name FROM services WHERE id = NEW.service_id), NEW.service_id), CASE WHEN NEW.latency_ms <= 1 THEN 1 WHEN NEW.latency_ms <= 2 THEN 2 WHEN NEW.latency_ms <= 3 THEN 3 WHEN NEW.latency_ms <= 4 THEN 4 WHEN NEW.latency_ms <= 5 THEN 5 WHEN NEW.latency_ms <= 6 THEN 6 WHEN NEW.latency_ms <= 8 THEN 8 WHEN NEW.latency_ms <= 10 THEN 10 WHEN NEW.latency_ms <= 13 THEN 13 WHEN NEW.latency_ms <= 15 THEN 15 WHEN NEW.latency_ms <= 20 THEN 20 WHEN NEW.latency_ms <= 25 THEN 25 WHEN NEW.latency_ms <= 30 THEN 30 WHEN NEW.latency_ms <= 40 THEN 40 WHEN NEW.latency_ms <= 50 THEN 50 WHEN NEW.latency_ms <= 60 THEN 60 WHEN NEW.latency_ms <= 80 THEN 80 WHEN NEW.latency_ms <= 100 THEN 100 WHEN NEW.latency_ms <= 125 THEN 125 WHEN NEW.latency_ms <= 150 THEN 150 WHEN NEW.latency_ms <= 200 THEN 200 WHEN NEW.latency_ms <= 250 THEN 250 WHEN NEW.latency_ms <= 300 THEN 300 WHEN NEW.latency_ms <= 400 THEN 400 WHEN NEW.latency_ms <= 500 THEN 500 WHEN NEW.latency_ms <= 600 THEN 600 WHEN NEW.latency_ms <= 800 THEN 800 WHEN NEW.latency_ms <= 1000 THEN 1000 WHEN NEW.latency_ms <= 1250 THEN 1250 WHEN NEW.latency_ms <= 1500 THEN 1500 WHEN NEW.latency_ms <= 2000 THEN 2000 WHEN NEW.latency_ms <= 2500 THEN 2500 WHEN NEW.latency_ms <= 3000 THEN 3000 WHEN NEW.latency_ms <= 4000 THEN 4000 WHEN NEW.latency_ms <= 5000 THEN 5000 WHEN NEW.latency_ms <= 6000 THEN 6000 WHEN NEW.latency_ms <= 8000 THEN 8000 WHEN NEW.latency_ms <= 10000 THEN 10000 WHEN NEW.latency_ms <= 12500 THEN 12500 WHEN NEW.latency_ms <= 15000 THEN 15000 WHEN NEW.latency_ms <= 20000 THEN 20000 WHEN NEW.latency_ms <= 25000 THEN 25000 WHEN NEW.latency_ms <= 30000 THEN 30000 WHEN NEW.latency_ms <= 40000 THEN 40000 WHEN NEW.latency_ms <= 50000 THEN 50000 WHEN NEW.latency_ms <= 60000 THEN 60000 WHEN NEW.latency_ms <= 80000 THEN 80000 WHEN NEW.latency_ms <= 100000 THEN 100000 WHEN NEW.latency_ms <= 125000 THEN 125000 WHEN NEW.latency_ms <= 150000 THEN 150000 WHEN NEW.latency_ms <= 200000 THEN 200000 WHEN NEW.latency_ms <= 250000 THEN 250000 WHEN NEW.latency_ms <= 300000 THEN 300000 WHEN NEW.latency_ms <= 400000 THEN 400000 WHEN NEW.latency_ms <= 500000 THEN 500000 WHEN NEW.latency_ms <= 600000 THEN 600000 WHEN NEW.latency_ms <= 800000 THEN 800000 WHEN NEW.latency_ms <= 1000000 THEN 1000000 ELSE 2147483647 END, 1)
  ON CONFLICT (hour, model, le_ms) DO UPDATE SET n = n + 1;
  INSERT INTO usage_rollup_local_days (account_id, tz, day, project_id, key_id, model, member_id, requests, input_tokens, output_tokens, cost_micros, errors)
  VALUES (NEW.account_id, coalesce(NEW.tz, 'UTC'), coalesce(NEW.local_day, NEW.created_at / 86400000), coalesce(NEW.project_id, ''), NEW.key_id, coalesce(nullif(NEW.model, ''), (SELECT name FROM services WHERE id = NEW.service_id), NEW.service_id), NEW.member_id, 1, NEW.input_tokens, NEW.output_tokens, NEW.cost_micros, (NEW.status IN ('origin_error', 'origin_timeout', 'expired')))
  ON CONFLICT (account_id, day, tz, project_id, key_id, model) DO UPDATE SET requests = requests + excluded.requests, input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens, cost_micros = cost_micros + excluded.cost_micros, errors = errors + excluded.errors, member_id = coalesce(member_id, excluded.member_id);
  INSERT INTO usage_rollup_tags_local_days (account_id, tz, day, tag, project_id, key_id, model, requests, input_tokens, output_tokens, cost_micros)
  SELECT NEW.account_id, coalesce(NEW.tz, 'UTC'), coalesce(NEW.local_day, NEW.created_at / 86400000), j.key || '=' || j.value, coalesce(NEW.project_id, ''), NEW.key_id, coalesce(nullif(NEW.model, ''), (SELECT name FROM services WHERE id = NEW.service_id), NEW.service_id), 1, NEW.input_tokens, NEW.output_tokens, NEW.cost_micros
  FROM json_each(coalesce(NEW.tags, '{}')) AS j WHERE NEW.tags IS NOT NULL
  ON CONFLICT (account_id, day, tz, tag, project_id, key_id, model) DO UPDATE SET requests = requests + excluded.requests, input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens, cost_micros = cost_micros + excluded.cost_micros;
  INSERT INTO usage_rollup_end_users_local_days (account_id, tz, day, end_user, project_id, key_id, model, requests, input_tokens, output_tokens, cost_micros)
  SELECT NEW.account_id, coalesce(NEW.tz, 'UTC'), coalesce(NEW.local_day, NEW.created_at / 86400000), NEW.end_user, coalesce(NEW.project_id, ''), NEW.key_id, coalesce(nullif(NEW.model, ''), (SELECT name FROM services WHERE id = NEW.service_id), NEW.service_id), 1, NEW.input_tokens, NEW.output_tokens, NEW.cost_micros
  WHERE NEW.end_user IS NOT NULL
  ON CONFLICT (account_id, day, tz, end_user, project_id, key_id, model) DO UPDATE SET requests = requests + excluded.requests, input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens, cost_micros = cost_micros + excluded.cost_micros;
END;
--> statement-breakpoint
DROP TRIGGER `usage_events_rollup_update`;
--> statement-breakpoint
CREATE TRIGGER `usage_events_rollup_update` AFTER UPDATE OF input_tokens, output_tokens, cost_micros, status, latency_ms ON `usage_events` BEGIN
  UPDATE usage_rollup SET input_tokens = input_tokens + NEW.input_tokens - OLD.input_tokens, output_tokens = output_tokens + NEW.output_tokens - OLD.output_tokens, cost_micros = cost_micros + NEW.cost_micros - OLD.cost_micros, errors = errors + (NEW.status IN ('origin_error', 'origin_timeout', 'expired')) - (OLD.status IN ('origin_error', 'origin_timeout', 'expired')), latency_ms = latency_ms + NEW.latency_ms - OLD.latency_ms
  WHERE account_id = OLD.account_id AND slot = OLD.created_at / 900000 AND project_id = coalesce(OLD.project_id, '') AND key_id = OLD.key_id AND model = coalesce(nullif(OLD.model, ''), (SELECT name FROM services WHERE id = OLD.service_id), OLD.service_id);
  UPDATE usage_rollup_tags SET input_tokens = input_tokens + NEW.input_tokens - OLD.input_tokens, output_tokens = output_tokens + NEW.output_tokens - OLD.output_tokens, cost_micros = cost_micros + NEW.cost_micros - OLD.cost_micros
  WHERE account_id = OLD.account_id AND slot = OLD.created_at / 900000 AND project_id = coalesce(OLD.project_id, '') AND key_id = OLD.key_id AND model = coalesce(nullif(OLD.model, ''), (SELECT name FROM services WHERE id = OLD.service_id), OLD.service_id)
    AND tag IN (SELECT j.key || '=' || j.value FROM json_each(coalesce(OLD.tags, '{}')) AS j);
  UPDATE usage_rollup_end_users SET input_tokens = input_tokens + NEW.input_tokens - OLD.input_tokens, output_tokens = output_tokens + NEW.output_tokens - OLD.output_tokens, cost_micros = cost_micros + NEW.cost_micros - OLD.cost_micros
  WHERE account_id = OLD.account_id AND slot = OLD.created_at / 900000 AND end_user = OLD.end_user AND project_id = coalesce(OLD.project_id, '') AND key_id = OLD.key_id AND model = coalesce(nullif(OLD.model, ''), (SELECT name FROM services WHERE id = OLD.service_id), OLD.service_id);
  UPDATE usage_rollup_accounts SET input_tokens = input_tokens + NEW.input_tokens - OLD.input_tokens, output_tokens = output_tokens + NEW.output_tokens - OLD.output_tokens, cost_micros = cost_micros + NEW.cost_micros - OLD.cost_micros, errors = errors + (NEW.status IN ('origin_error', 'origin_timeout', 'expired')) - (OLD.status IN ('origin_error', 'origin_timeout', 'expired')) WHERE account_id = OLD.account_id AND slot = OLD.created_at / 900000;
  UPDATE usage_rollup_days SET input_tokens = input_tokens + NEW.input_tokens - OLD.input_tokens, output_tokens = output_tokens + NEW.output_tokens - OLD.output_tokens, cost_micros = cost_micros + NEW.cost_micros - OLD.cost_micros, errors = errors + (NEW.status IN ('origin_error', 'origin_timeout', 'expired')) - (OLD.status IN ('origin_error', 'origin_timeout', 'expired')) WHERE account_id = OLD.account_id AND day = OLD.created_at / 86400000;
  UPDATE usage_rollup_models SET input_tokens = input_tokens + NEW.input_tokens - OLD.input_tokens, output_tokens = output_tokens + NEW.output_tokens - OLD.output_tokens, cost_micros = cost_micros + NEW.cost_micros - OLD.cost_micros, errors = errors + (NEW.status IN ('origin_error', 'origin_timeout', 'expired')) - (OLD.status IN ('origin_error', 'origin_timeout', 'expired')), latency_ms = latency_ms + NEW.latency_ms - OLD.latency_ms
  WHERE slot = OLD.created_at / 900000 AND model = coalesce(nullif(OLD.model, ''), (SELECT name FROM services WHERE id = OLD.service_id), OLD.service_id);
  UPDATE usage_latency SET n = n - 1 WHERE hour = OLD.created_at / 3600000 AND model = coalesce(nullif(OLD.model, ''), (SELECT name FROM services WHERE id = OLD.service_id), OLD.service_id) AND le_ms = CASE WHEN OLD.latency_ms <= 1 THEN 1 WHEN OLD.latency_ms <= 2 THEN 2 WHEN OLD.latency_ms <= 3 THEN 3 WHEN OLD.latency_ms <= 4 THEN 4 WHEN OLD.latency_ms <= 5 THEN 5 WHEN OLD.latency_ms <= 6 THEN 6 WHEN OLD.latency_ms <= 8 THEN 8 WHEN OLD.latency_ms <= 10 THEN 10 WHEN OLD.latency_ms <= 13 THEN 13 WHEN OLD.latency_ms <= 15 THEN 15 WHEN OLD.latency_ms <= 20 THEN 20 WHEN OLD.latency_ms <= 25 THEN 25 WHEN OLD.latency_ms <= 30 THEN 30 WHEN OLD.latency_ms <= 40 THEN 40 WHEN OLD.latency_ms <= 50 THEN 50 WHEN OLD.latency_ms <= 60 THEN 60 WHEN OLD.latency_ms <= 80 THEN 80 WHEN OLD.latency_ms <= 100 THEN 100 WHEN OLD.latency_ms <= 125 THEN 125 WHEN OLD.latency_ms <= 150 THEN 150 WHEN OLD.latency_ms <= 200 THEN 200 WHEN OLD.latency_ms <= 250 THEN 250 WHEN OLD.latency_ms <= 300 THEN 300 WHEN OLD.latency_ms <= 400 THEN 400 WHEN OLD.latency_ms <= 500 THEN 500 WHEN OLD.latency_ms <= 600 THEN 600 WHEN OLD.latency_ms <= 800 THEN 800 WHEN OLD.latency_ms <= 1000 THEN 1000 WHEN OLD.latency_ms <= 1250 THEN 1250 WHEN OLD.latency_ms <= 1500 THEN 1500 WHEN OLD.latency_ms <= 2000 THEN 2000 WHEN OLD.latency_ms <= 2500 THEN 2500 WHEN OLD.latency_ms <= 3000 THEN 3000 WHEN OLD.latency_ms <= 4000 THEN 4000 WHEN OLD.latency_ms <= 5000 THEN 5000 WHEN OLD.latency_ms <= 6000 THEN 6000 WHEN OLD.latency_ms <= 8000 THEN 8000 WHEN OLD.latency_ms <= 10000 THEN 10000 WHEN OLD.latency_ms <= 12500 THEN 12500 WHEN OLD.latency_ms <= 15000 THEN 15000 WHEN OLD.latency_ms <= 20000 THEN 20000 WHEN OLD.latency_ms <= 25000 THEN 25000 WHEN OLD.latency_ms <= 30000 THEN 30000 WHEN OLD.latency_ms <= 40000 THEN 40000 WHEN OLD.latency_ms <= 50000 THEN 50000 WHEN OLD.latency_ms <= 60000 THEN 60000 WHEN OLD.latency_ms <= 80000 THEN 80000 WHEN OLD.latency_ms <= 100000 THEN 100000 WHEN OLD.latency_ms <= 125000 THEN 125000 WHEN OLD.latency_ms <= 150000 THEN 150000 WHEN OLD.latency_ms <= 200000 THEN 200000 WHEN OLD.latency_ms <= 250000 THEN 250000 WHEN OLD.latency_ms <= 300000 THEN 300000 WHEN OLD.latency_ms <= 400000 THEN 400000 WHEN OLD.latency_ms <= 500000 THEN 500000 WHEN OLD.latency_ms <= 600000 THEN 600000 WHEN OLD.latency_ms <= 800000 THEN 800000 WHEN OLD.latency_ms <= 1000000 THEN 1000000 ELSE 2147483647 END;
  INSERT INTO usage_latency (hour, model, le_ms, n) VALUES (OLD.created_at / 3600000, coalesce(nullif(OLD.model, ''), (SELECT name FROM services WHERE id = OLD.service_id), OLD.service_id), CASE WHEN NEW.latency_ms <= 1 THEN 1 WHEN NEW.latency_ms <= 2 THEN 2 WHEN NEW.latency_ms <= 3 THEN 3 WHEN NEW.latency_ms <= 4 THEN 4 WHEN NEW.latency_ms <= 5 THEN 5 WHEN NEW.latency_ms <= 6 THEN 6 WHEN NEW.latency_ms <= 8 THEN 8 WHEN NEW.latency_ms <= 10 THEN 10 WHEN NEW.latency_ms <= 13 THEN 13 WHEN NEW.latency_ms <= 15 THEN 15 WHEN NEW.latency_ms <= 20 THEN 20 WHEN NEW.latency_ms <= 25 THEN 25 WHEN NEW.latency_ms <= 30 THEN 30 WHEN NEW.latency_ms <= 40 THEN 40 WHEN NEW.latency_ms <= 50 THEN 50 WHEN NEW.latency_ms <= 60 THEN 60 WHEN NEW.latency_ms <= 80 THEN 80 WHEN NEW.latency_ms <= 100 THEN 100 WHEN NEW.latency_ms <= 125 THEN 125 WHEN NEW.latency_ms <= 150 THEN 150 WHEN NEW.latency_ms <= 200 THEN 200 WHEN NEW.latency_ms <= 250 THEN 250 WHEN NEW.latency_ms <= 300 THEN 300 WHEN NEW.latency_ms <= 400 THEN 400 WHEN NEW.latency_ms <= 500 THEN 500 WHEN NEW.latency_ms <= 600 THEN 600 WHEN NEW.latency_ms <= 800 THEN 800 WHEN NEW.latency_ms <= 1000 THEN 1000 WHEN NEW.latency_ms <= 1250 THEN 1250 WHEN NEW.latency_ms <= 1500 THEN 1500 WHEN NEW.latency_ms <= 2000 THEN 2000 WHEN NEW.latency_ms <= 2500 THEN 2500 WHEN NEW.latency_ms <= 3000 THEN 3000 WHEN NEW.latency_ms <= 4000 THEN 4000 WHEN NEW.latency_ms <= 5000 THEN 5000 WHEN NEW.latency_ms <= 6000 THEN 6000 WHEN NEW.latency_ms <= 8000 THEN 8000 WHEN NEW.latency_ms <= 10000 THEN 10000 WHEN NEW.latency_ms <= 12500 THEN 12500 WHEN NEW.latency_ms <= 15000 THEN 15000 WHEN NEW.latency_ms <= 20000 THEN 20000 WHEN NEW.latency_ms <= 25000 THEN 25000 WHEN NEW.latency_ms <= 30000 THEN 30000 WHEN NEW.latency_ms <= 40000 THEN 40000 WHEN NEW.latency_ms <= 50000 THEN 50000 WHEN NEW.latency_ms <= 60000 THEN 60000 WHEN NEW.latency_ms <= 80000 THEN 80000 WHEN NEW.latency_ms <= 100000 THEN 100000 WHEN NEW.latency_ms <= 125000 THEN 125000 WHEN NEW.latency_ms <= 150000 THEN 150000 WHEN NEW.latency_ms <= 200000 THEN 200000 WHEN NEW.latency_ms <= 250000 THEN 250000 WHEN NEW.latency_ms <= 300000 THEN 300000 WHEN NEW.latency_ms <= 400000 THEN 400000 WHEN NEW.latency_ms <= 500000 THEN 500000 WHEN NEW.latency_ms <= 600000 THEN 600000 WHEN NEW.latency_ms <= 800000 THEN 800000 WHEN NEW.latency_ms <= 1000000 THEN 1000000 ELSE 2147483647 END, 1)
  ON CONFLICT (hour, model, le_ms) DO UPDATE SET n = n + 1;
  UPDATE usage_rollup_local_days SET input_tokens = input_tokens + NEW.input_tokens - OLD.input_tokens, output_tokens = output_tokens + NEW.output_tokens - OLD.output_tokens, cost_micros = cost_micros + NEW.cost_micros - OLD.cost_micros, errors = errors + (NEW.status IN ('origin_error', 'origin_timeout', 'expired')) - (OLD.status IN ('origin_error', 'origin_timeout', 'expired')) WHERE account_id = OLD.account_id AND day = coalesce(OLD.local_day, OLD.created_at / 86400000) AND tz = coalesce(OLD.tz, 'UTC') AND project_id = coalesce(OLD.project_id, '') AND key_id = OLD.key_id AND model = coalesce(nullif(OLD.model, ''), (SELECT name FROM services WHERE id = OLD.service_id), OLD.service_id);
  UPDATE usage_rollup_tags_local_days SET input_tokens = input_tokens + NEW.input_tokens - OLD.input_tokens, output_tokens = output_tokens + NEW.output_tokens - OLD.output_tokens, cost_micros = cost_micros + NEW.cost_micros - OLD.cost_micros WHERE account_id = OLD.account_id AND day = coalesce(OLD.local_day, OLD.created_at / 86400000) AND tz = coalesce(OLD.tz, 'UTC') AND project_id = coalesce(OLD.project_id, '') AND key_id = OLD.key_id AND model = coalesce(nullif(OLD.model, ''), (SELECT name FROM services WHERE id = OLD.service_id), OLD.service_id) AND tag IN (SELECT j.key || '=' || j.value FROM json_each(coalesce(OLD.tags, '{}')) AS j);
  UPDATE usage_rollup_end_users_local_days SET input_tokens = input_tokens + NEW.input_tokens - OLD.input_tokens, output_tokens = output_tokens + NEW.output_tokens - OLD.output_tokens, cost_micros = cost_micros + NEW.cost_micros - OLD.cost_micros WHERE account_id = OLD.account_id AND day = coalesce(OLD.local_day, OLD.created_at / 86400000) AND tz = coalesce(OLD.tz, 'UTC') AND project_id = coalesce(OLD.project_id, '') AND key_id = OLD.key_id AND model = coalesce(nullif(OLD.model, ''), (SELECT name FROM services WHERE id = OLD.service_id), OLD.service_id) AND end_user = OLD.end_user;
END;
