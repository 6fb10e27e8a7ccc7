#!/usr/bin/env node
// @ts-check
/**
 * `npm run bench:analytics`: analytics at scale. Fills a fresh local D1 (the gateway's own
 * bundle in workerd, all migrations applied) with usage events through the real rollup path (the
 * outbox flush's multi-row `INSERT OR IGNORE`, which fires the rollup triggers), then times every
 * analytics endpoint and the usage list and CSV (p50/p95), and reports the D1 size per table and
 * the rollup cost per flushed event. Results: bench/results/analytics.{json,md}.
 *
 *   npm run bench:analytics                          1M events (about 3 minutes)
 *   npm run bench:analytics -- --events 1000000,10000000
 *   npm run bench:analytics -- --smoke               20k events, to check it runs
 *   npm run bench:analytics -- --keep                keep the local D1 in bench/.build to inspect it
 */
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { describeMachine } from './lib/machine.mjs';
import { Supervisor } from './lib/processes.mjs';
import { percentile } from './lib/stats.mjs';
import { applyMigrations, bundleWorker, ensureDir, readWranglerToml, startWorker } from './lib/workers.mjs';

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
const ROOT = join(BENCH_DIR, '..');
const BUILD_DIR = join(BENCH_DIR, '.build');
const RESULTS_DIR = join(BENCH_DIR, 'results');
const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';
const DAY_MS = 86_400_000;
/**
 * The organisations' zone. The events carry it and their local day as the account object writes
 * them; the 35 days before a run in December lie in Berlin's winter time (UTC+1), so the local
 * day is computed with that one offset (run it in winter, or pass --days to stay inside it).
 */
const BERLIN_OFFSET_MS = 3_600_000;

const { values: flags } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    days: { type: 'string', default: '35' },
    organizations: { type: 'string', default: '20' },
    samples: { type: 'string', default: '15' },
    port: { type: 'string', default: '9390' },
    smoke: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const sizes = flags.smoke ? [20_000] : flags.events.split(',').map(Number);
const DAYS = Number(flags.days);
const ORGS = Number(flags.organizations);
const SAMPLES = flags.smoke ? 3 : Number(flags.samples);

const FEATURES = ['chat', 'rag', 'summarise', 'classify', 'extract', 'translate', 'code', 'agent'];

async function time(fn) {
  const t = performance.now();
  const out = await fn();
  return { ms: performance.now() - t, out };
}

async function dirBytes(dir) {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath ?? entry.path, entry.name))).size;
  }
  return total;
}

const supervisor = new Supervisor();
process.on('SIGINT', () => supervisor.stopAll().then(() => process.exit(130)));

async function main() {
  const machine = describeMachine();
  await ensureDir(BUILD_DIR);
  const bundle = await bundleWorker(supervisor, {
    name: 'gateway',
    config: join(ROOT, 'wrangler.toml'),
    outDir: join(BUILD_DIR, 'analytics-gateway'),
    cwd: ROOT,
  });
  const toml = await readWranglerToml(join(ROOT, 'wrangler.toml'));
  /** @type {any[]} */
  const results = [];
  /** @type {string[]} */
  const stateDirs = [];
  let port = Number(flags.port);
  for (const n of sizes) {
    const stateDir = join(BUILD_DIR, `analytics-state-${n}`);
    await rm(stateDir, { recursive: true, force: true });
    await mkdir(stateDir, { recursive: true });
    const { url, mf } = await startWorker(supervisor, {
      name: `gateway-${n}`,
      scriptPath: bundle.scriptPath,
      port: port++,
      compat: toml,
      bindings: { ...toml.vars, ADMIN_TOKEN, LOCAL_DEV: '1' },
      stateDir,
      logFile: join(BUILD_DIR, `analytics-${n}.log`),
    });
    await applyMigrations(mf, join(ROOT, 'migrations'));
    const db = await mf.getD1Database('DB');
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
    /** @type {Array<{ id: string, key: string }>} */
    const orgs = [];
    for (let i = 0; i < ORGS; i++) {
      const res = await fetch(`${url}/api/admin/accounts`, { method: 'POST', headers: admin, body: JSON.stringify({ name: `bench org ${i}` }) });
      if (res.status !== 201) throw new Error(`creating an organisation: ${res.status} ${await res.text()}`);
      const body = /** @type {any} */ (await res.json());
      orgs.push({ id: body.account.id, key: body.managementKey.secret });
    }
    const now = Date.now();
    // Fill, in time order as traffic arrives, through the rollup path: `INSERT OR IGNORE INTO
    // usage_events` (the flush's statement), whose triggers maintain every rollup. The rows are
    // generated inside SQLite (a recursive CTE), 50,000 per statement, so the proxy between Node
    // and workerd is not what is measured. (D1 binds JS numbers as REAL: times are cast back to
    // INTEGER, as the account object's integers are; the random columns are MATERIALIZED so each
    // is drawn once per event.)
    const fillStarted = performance.now();
    const orgIds = JSON.stringify(orgs.map((o) => o.id));
    const span = DAYS * DAY_MS;
    const start = now - span;
    const chunk = 50_000;
    let rowsWritten = 0;
    for (let from = 0; from < n; from += chunk) {
      const to = Math.min(n, from + chunk) - 1;
      const out = await db
        .prepare(
          `WITH RECURSIVE s(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM s WHERE i < ?2),
           g AS MATERIALIZED (SELECT i, abs(random()) % 1000000 / 1000000.0 AS r1, abs(random()) % 1000000 / 1000000.0 AS r2,
                        abs(random()) % 1000 AS r3, abs(random()) % 1000 AS r4, abs(random()) % 1000 AS r5 FROM s),
           e AS MATERIALIZED (SELECT i, json_extract(?3, '$[' || CAST(r1 * r2 * ?4 AS INTEGER) || ']') AS org, r3 % 4 AS project, r3 % 12 AS key,
                        CASE WHEN r4 < 450 THEN 'llama-3.1-8b' WHEN r4 < 750 THEN 'qwen-2.5-32b' WHEN r4 < 900 THEN 'mistral-7b' ELSE 'llama-3.1-70b' END AS model,
                        50 + r5 * 2 AS input, r4 / 2 AS output, r3, r4, r5 FROM g)
           INSERT OR IGNORE INTO usage_events (id, account_id, key_id, project_id, service_id, model, endpoint, input_tokens, output_tokens, cost_micros,
             price_version, latency_ms, ttft_ms, status, estimated, created_at, member_id, end_user, tags, tz, local_day)
           SELECT 'req_b' || i, org, org || '_key' || key, CASE project WHEN 0 THEN 'proj_default' ELSE org || '_proj' || project END, 'svc_' || model, model,
                  'chat', input, output, (input * 150 + output * 300) / 1000 + 10, 1, 80 + (r5 * r5 * r5) / 125000, NULL,
                  CASE WHEN r4 < 10 THEN 'origin_error' ELSE 'ok' END, 0, CAST(?5 + i * ?6 / ?7 AS INTEGER), org || '_user' || (key % 5),
                  CASE WHEN r5 < 700 THEN org || '_cust' || (r4 * r4 / 2000) END,
                  CASE WHEN r3 < 800 THEN json_object('feature', json_extract(?8, '$[' || (r5 % 8) || ']'), 'env', CASE WHEN r4 < 900 THEN 'prod' ELSE 'staging' END) END,
                  'Europe/Berlin', CAST((?5 + i * ?6 / ?7 + ?9) / 86400000 AS INTEGER)
           FROM e`,
        )
        .bind(from, to, orgIds, orgs.length, start, span, n, JSON.stringify(FEATURES), BERLIN_OFFSET_MS)
        .run();
      rowsWritten += out.meta.rows_written ?? 0;
      const done = to + 1;
      console.error(`bench:analytics ${n}: ${done.toLocaleString('en-US')} events, ${Math.round(done / ((performance.now() - fillStarted) / 1000))}/s`);
    }
    const fillMs = performance.now() - fillStarted;
    const counted = await db.prepare('SELECT count(*) AS n FROM usage_events').first();
    // Footprint per table (dbstat), else the files on disk.
    let tables = null;
    try {
      const r = await db.prepare("SELECT name, sum(pgsize) AS bytes FROM dbstat WHERE name LIKE 'usage%' GROUP BY name ORDER BY bytes DESC").all();
      tables = r.results;
    } catch {
      tables = null;
    }
    const d1Bytes = await dirBytes(join(stateDir, 'd1'));
    const rollupRows = {};
    for (const t of [
      'usage_rollup',
      'usage_rollup_tags',
      'usage_rollup_end_users',
      'usage_rollup_accounts',
      'usage_rollup_days',
      'usage_rollup_models',
      'usage_latency',
    ]) {
      rollupRows[t] = /** @type {any} */ (await db.prepare(`SELECT count(*) AS n FROM ${t}`).first()).n;
    }
    // Endpoints, timed from outside (HTTP into the worker), the busiest organisation.
    const busiest = orgs[0];
    const auth = { authorization: `Bearer ${busiest.key}` };
    // The dashboard's default: from local midnight 29 days ago (30 local days, today included).
    const berlinMidnight = Math.floor((now + BERLIN_OFFSET_MS) / DAY_MS) * DAY_MS - BERLIN_OFFSET_MS;
    const from30 = new Date(berlinMidnight - 29 * DAY_MS).toISOString();
    const fromAny = new Date(now - 30 * DAY_MS).toISOString();
    const from2 = new Date(now - 2 * DAY_MS).toISOString();
    const endpoints = [
      ["account analytics, 30 local days in the organisation's zone (daily rollups)", `/api/account/analytics?tz=Europe/Berlin&from=${from30}`, auth],
      ['account analytics, 30 days in another zone, Kathmandu (15-minute rollups)', `/api/account/analytics?tz=Asia/Kathmandu&from=${fromAny}`, auth],
      ['account analytics, 48 h (hours, 15-minute rollups)', `/api/account/analytics?tz=Europe/Berlin&from=${from2}`, auth],
      ['account analytics, 30 local days, tag filter', `/api/account/analytics?tz=Europe/Berlin&from=${from30}&tag=feature%3Drag`, auth],
      ['account analytics, 30 local days, one project', `/api/account/analytics?tz=Europe/Berlin&from=${from30}&projectId=${busiest.id}_proj1`, auth],
      ['admin analytics, 30 days', `/api/admin/analytics?tz=UTC&from=${fromAny}`, { authorization: `Bearer ${ADMIN_TOKEN}` }],
      ['admin analytics, 48 h', `/api/admin/analytics?tz=UTC&from=${from2}`, { authorization: `Bearer ${ADMIN_TOKEN}` }],
      ['usage list, first page', '/api/account/usage?limit=100', auth],
      ['usage CSV (10,000 rows)', '/api/account/usage.csv', auth],
    ];
    if (process.env.BENCH_QUERIES) {
      const firstDay = Math.floor((berlinMidnight - 29 * DAY_MS + BERLIN_OFFSET_MS) / DAY_MS);
      const qs = {
        detail: `SELECT count(*) AS n FROM (SELECT day, project_id, key_id, model, member_id, requests FROM usage_rollup_local_days WHERE account_id = ?1 AND day >= ?2 AND tz = 'Europe/Berlin')`,
        tags: `SELECT count(*) AS n FROM (SELECT tag, sum(cost_micros) AS c FROM usage_rollup_tags_local_days WHERE account_id = ?1 AND day >= ?2 AND tz = 'Europe/Berlin' GROUP BY tag ORDER BY c DESC LIMIT 10)`,
        tagRows: `SELECT count(*) AS n FROM usage_rollup_tags_local_days WHERE account_id = ?1 AND day >= ?2`,
        endUsers: `SELECT count(*) AS n FROM (SELECT end_user, sum(cost_micros) AS c FROM usage_rollup_end_users_local_days WHERE account_id = ?1 AND day >= ?2 AND tz = 'Europe/Berlin' GROUP BY end_user ORDER BY c DESC LIMIT 50)`,
        endUserRows: `SELECT count(*) AS n FROM usage_rollup_end_users_local_days WHERE account_id = ?1 AND day >= ?2`,
        other: `SELECT 1 AS found FROM usage_rollup_local_days WHERE account_id = ?1 AND day >= ?2 AND tz <> 'Europe/Berlin' LIMIT 1`,
      };
      for (const [name, q] of Object.entries(qs)) {
        const t = performance.now();
        const r = await db.prepare(q).bind(busiest.id, firstDay).first();
        console.error(`query ${name}: ${(performance.now() - t).toFixed(1)} ms`, JSON.stringify(r));
      }
      for (const path of [`/api/account/analytics?tz=Europe/Berlin&from=${from30}`]) {
        for (let i = 0; i < 3; i++) {
          const t = performance.now();
          const res = await fetch(url + path, { headers: auth });
          const body = await res.text();
          console.error(`GET ${(performance.now() - t).toFixed(1)} ms, ${body.length} bytes`);
        }
      }
    }
    /** @type {any[]} */
    const timings = [];
    for (const [name, path, headers] of endpoints) {
      const ms = [];
      try {
        let status = 0;
        for (let i = 0; i < SAMPLES + 1; i++) {
          const { ms: took, out } = await time(async () => {
            const res = await fetch(url + path, { headers });
            await res.arrayBuffer();
            return res.status;
          });
          status = out;
          if (i > 0) ms.push(took); // the first call warms the isolate's caches
        }
        if (status !== 200) throw new Error(`HTTP ${status}`);
        const resolution = path.startsWith('/api/account/analytics')
          ? /** @type {any} */ (await (await fetch(url + path, { headers })).json()).resolution
          : null;
        timings.push({ name, p50: percentile(ms, 50), p95: percentile(ms, 95), resolution });
        console.error(`bench:analytics ${n}: ${name}: p50 ${percentile(ms, 50)?.toFixed(1)} ms, p95 ${percentile(ms, 95)?.toFixed(1)} ms`);
      } catch (error) {
        // A view that fails (the runtime dropped the connection, an error status) is reported, not fatal.
        const message = error instanceof Error ? (error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message) : String(error);
        timings.push({ name, p50: null, p95: null, resolution: null, error: message });
        console.error(`bench:analytics ${n}: ${name}: FAILED after ${ms.length} calls: ${message}`);
      }
    }
    results.push({
      events: n,
      counted: /** @type {any} */ (counted).n,
      organizations: ORGS,
      days: DAYS,
      fillSeconds: fillMs / 1000,
      eventsPerSecond: n / (fillMs / 1000),
      rowsWrittenPerEvent: rowsWritten / n,
      d1Bytes,
      tables,
      rollupRows,
      timings,
    });
    stateDirs.push(stateDir);
  }
  const md = [];
  md.push(
    `Ran ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine.cpu}, ${machine.cores} cores, Node ${process.version}, workerd through Miniflare (local D1 is SQLite). ${ORGS} organisations, events over ${DAYS} days, timings over ${SAMPLES} calls after one warm-up, the busiest organisation (about ${Math.round(100 * (1 / Math.sqrt(ORGS)))} % of the events).`,
    '',
  );
  md.push('| endpoint | ' + results.map((r) => `${r.events.toLocaleString('en-US')} events p50 / p95 ms`).join(' | ') + ' |');
  md.push('|---|' + results.map(() => '---:').join('|') + '|');
  for (let i = 0; i < results[0].timings.length; i++) {
    md.push(
      `| ${results[0].timings[i].name} | ` +
        results
          .map((r) => (r.timings[i].error ? `failed: ${r.timings[i].error}` : `${r.timings[i].p50.toFixed(1)} / ${r.timings[i].p95.toFixed(1)}`))
          .join(' | ') +
        ' |',
    );
  }
  md.push('', '| storage and cost | ' + results.map((r) => `${r.events.toLocaleString('en-US')} events`).join(' | ') + ' |');
  md.push('|---|' + results.map(() => '---:').join('|') + '|');
  md.push('| D1 files on disk (MiB) | ' + results.map((r) => (r.d1Bytes / 2 ** 20).toFixed(0)).join(' | ') + ' |');
  md.push('| D1 per million events (MiB) | ' + results.map((r) => ((r.d1Bytes / 2 ** 20) * (1e6 / r.events)).toFixed(0)).join(' | ') + ' |');
  for (const t of Object.keys(results[0].rollupRows))
    md.push(`| ${t} rows | ` + results.map((r) => r.rollupRows[t].toLocaleString('en-US')).join(' | ') + ' |');
  md.push('| rows written per flushed event (event + rollup upserts, D1 meta) | ' + results.map((r) => r.rowsWrittenPerEvent.toFixed(2)).join(' | ') + ' |');
  md.push('| fill rate through the flush path (events/s) | ' + results.map((r) => Math.round(r.eventsPerSecond).toLocaleString('en-US')).join(' | ') + ' |');
  if (results[0].tables) {
    md.push('', '| table (dbstat, MiB) | ' + results.map((r) => `${r.events.toLocaleString('en-US')} events`).join(' | ') + ' |');
    md.push('|---|' + results.map(() => '---:').join('|') + '|');
    for (const row of results[0].tables) {
      md.push(`| ${row.name} | ` + results.map((r) => ((r.tables.find((t) => t.name === row.name)?.bytes ?? 0) / 2 ** 20).toFixed(1)).join(' | ') + ' |');
    }
  }
  await mkdir(RESULTS_DIR, { recursive: true });
  const name = flags.smoke ? 'analytics-smoke' : 'analytics';
  await writeFile(join(RESULTS_DIR, `${name}.json`), `${JSON.stringify({ machine, results }, null, 2)}\n`);
  await writeFile(join(RESULTS_DIR, `${name}.md`), `${md.join('\n')}\n`);
  console.log(md.join('\n'));
  await supervisor.stopAll();
  if (flags.keep) console.error(`bench:analytics: kept ${stateDirs.join(', ')}`);
  else for (const dir of stateDirs) await rm(dir, { recursive: true, force: true });
}

main()
  .then(() => supervisor.stopAll())
  .catch(async (error) => {
    console.error(error);
    await supervisor.stopAll();
    process.exit(1);
  });
