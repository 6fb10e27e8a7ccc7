/**
 * @module account/history
 * Demo history for `npm start` (routes/api/admin-demo.ts, which exists only with DEMO_HISTORY=1
 * on a LOCAL_DEV deployment): about 60 local days of generated traffic on the organisation's own
 * keys, projects, members and models, so charts, forecasts and anomalies have something to show.
 *
 * The books stay whole, the same way a settlement keeps them:
 * - the journal gets one opening credit of exactly the history's cost ("demo history", from
 *   `sys:adjustments`, dated at the first day) and one `usage` debit per local day (to
 *   `sys:revenue`, dated at that day's end), so the balance is what it was, and the usage entries
 *   sum to the events' cost to the micro-dollar (reconciliation's usage check);
 * - the events, those entries and their double-entry transfers reach D1 in ONE batch (one D1
 *   transaction), inserted with `INSERT OR IGNORE` into `usage_events`, whose triggers fill every
 *   rollup, so D1 never holds one without the other (the entries skip the outbox for that reason;
 *   until the batch lands, reconciliation reports them missing from D1, as it should);
 * - the budget windows and key spend that contain today are charged what the history spent in
 *   them, in the same transaction as the entries, so budgets, their alerts and forecasts agree.
 *
 * Exactly once: the opening credit's idempotency key is the marker, and its `ref` keeps the instant
 * the history was generated for, so a retry after a failed D1 write regenerates the same events.
 */
import { LocalClock } from '../../lib/local-clock';
import { costMicros, type Price } from '../../lib/money';
import { post, rowToEntry } from './ledger';
import { periodStart } from './period';
import { ledgerAccount } from './outbox';
import { rowToKey } from './keys';
import type { Books } from './settlement';
import type { AdmitService, JournalEntry, KeyRecord, Project } from './types';

/** A model the history may use (from the catalog). */
export interface HistoryService {
  id: string;
  name: string;
  endpoint: 'chat' | 'completions' | 'embeddings';
  price: Price;
  priceVersion: number;
}

export interface HistoryInput {
  services: HistoryService[];
  /** Local days before today to fill (today is left to real traffic). */
  days: number;
  /** Plan only: the figures the import would produce, nothing written. */
  dryRun?: boolean;
  now: number;
}

export interface HistoryResult {
  /** False when this organisation already has its history (nothing was written). */
  imported: boolean;
  alreadyImported: boolean;
  events: number;
  totalMicros: number;
  /** Local day numbers (days since 1970-01-01): first, last, and the anomalous one. */
  firstDay: number;
  lastDay: number;
  spikeDay: number;
  /** What the history spent in the current local month, and that month's span. */
  monthToDateMicros: number;
  monthStart: number;
  monthEnd: number;
  timezone: string;
}

/** What the object lends the import: its settlement books in one transaction, its projects, D1, the flush. */
export interface HistoryHost {
  inBooks<T>(fn: (books: Books) => T): T;
  project(id: string): Project | null;
  db: D1Database;
  flushSoon(): Promise<void>;
}

const MARKER = 'demo-history:credit';
const DAY_MS = 86_400_000;
/** The anomaly: this many days before today, prompts grow ~3.6× (a prompt-injection signature) at a flat request count. */
const SPIKE_DAYS_AGO = 10;
const CUSTOMERS = ['acme-corp', 'globex', 'initech', 'umbrella', 'hooli', 'stark-ind', 'wayne-ent', 'wonka', 'cyberdyne', 'tyrell', 'soylent', 'vandelay'];
/** Requests per local hour, relative (working hours busy, nights quiet). */
const HOURS = [1, 1, 1, 1, 1, 2, 3, 5, 8, 10, 10, 9, 8, 9, 10, 10, 9, 7, 5, 4, 3, 2, 2, 1];
const HOURS_SUM = HOURS.reduce((a, b) => a + b, 0);
/** Per feature: [min, max] prompt and output tokens. */
const SHAPES = { chat: [300, 1500, 80, 500], rag: [2000, 5000, 150, 400], summarise: [3000, 8000, 200, 600] } as const;
type Feature = keyof typeof SHAPES;

/** mulberry32: a small seeded PRNG, so every fresh start draws the same history (stable screenshots). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The index a uniform draw `u` falls on when each index has its weight. */
function pick(weights: readonly number[], sum: number, u: number): number {
  let left = u * sum;
  for (let i = 0; i < weights.length - 1; i++) {
    left -= weights[i];
    if (left <= 0) return i;
  }
  return weights.length - 1;
}

type Row = [
  string,
  string,
  string | null,
  string,
  string,
  string,
  number,
  number,
  number,
  number,
  number,
  number | null,
  string,
  number,
  string | null,
  string | null,
  string,
  number,
];

interface Plan {
  rows: Row[];
  perDay: Array<{ day: number; start: number; end: number; micros: number }>;
  totalMicros: number;
  spikeDay: number;
  month: { start: number; end: number; micros: number };
  tz: string;
  /** Cost per (budget, subject, window) and per key inside today's windows. */
  budgetCharges: Map<string, number>;
  keyCharges: Map<string, { all: number; period: number }>;
}

/** Generates the history for the organisation's active inference keys; deterministic in (keys, services, zone, now). */
function plan(books: Books, host: HistoryHost, input: HistoryInput): Plan {
  const { sql, budgets } = books;
  const tz = budgets.settings(sql).timezone;
  const clock = new LocalClock(tz);
  const keys = sql
    .exec<Record<string, SqlStorageValue>>("SELECT * FROM keys WHERE kind = 'inference' AND status = 'active' ORDER BY created_at, id")
    .toArray()
    .map(rowToKey);
  if (keys.length === 0) throw new RangeError('the organisation has no active inference key to attribute history to');
  const llm = input.services.find((s) => s.endpoint !== 'embeddings');
  if (!llm) throw new RangeError('demo history needs a chat or completions service');
  const embed = input.services.find((s) => s.endpoint === 'embeddings');
  const allowed = (k: KeyRecord, s: HistoryService) => {
    const p = k.projectId ? host.project(k.projectId) : null;
    return (!p?.allowedServices || p.allowedServices.includes(s.name)) && (!k.allowedServices || k.allowedServices.includes(s.name));
  };
  const usable = keys.filter((k) => allowed(k, llm));
  if (usable.length === 0) throw new RangeError(`no active key may use ${llm.name}`);
  // Earlier keys carry more traffic: 1, 1/2, 1/3, ... of the first one's share.
  const weights = usable.map((_, i) => 1 / (i + 1));
  const weightSum = weights.reduce((a, b) => a + b, 0);
  const rand = prng(0x5eed);
  const between = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const pickKey = () => usable[pick(weights, weightSum, rand())];

  const now = input.now;
  const p = clock.parts(now);
  const today = Date.UTC(p.year, p.month - 1, p.day) / DAY_MS;
  const monthSpan = clock.window('month', now);
  const out: Plan = {
    rows: [],
    perDay: [],
    totalMicros: 0,
    spikeDay: today - SPIKE_DAYS_AGO,
    month: { start: monthSpan.start, end: monthSpan.end ?? monthSpan.start, micros: 0 },
    tz,
    budgetCharges: new Map(),
    keyCharges: new Map(),
  };
  for (let day = today - input.days; day < today; day++) {
    const date = new Date(day * DAY_MS);
    const start = clock.midnight(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate());
    const end = clock.midnight(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate() + 1);
    const weekday = date.getUTCDay();
    const weekFactor = weekday === 0 ? 0.3 : weekday === 6 ? 0.35 : weekday === 5 ? 0.9 : 1;
    const growth = 0.7 + (0.3 * (day - today + input.days)) / input.days;
    const requests = Math.round(420 * weekFactor * growth * (0.9 + 0.2 * rand()));
    const inflate = day === out.spikeDay ? 3.6 : 1;
    let dayMicros = 0;
    for (let n = 0; n < requests; n++) {
      const key = pickKey();
      const research = key.projectId !== null && key.projectId !== 'proj_default';
      const f = rand();
      const feature: Feature = research ? (f < 0.4 ? 'rag' : f < 0.8 ? 'summarise' : 'chat') : f < 0.5 ? 'chat' : f < 0.8 ? 'rag' : 'summarise';
      const tags = JSON.stringify({ feature, env: rand() < (research ? 0.4 : 0.85) ? 'prod' : 'staging' });
      const c = rand();
      const endUser = c < 0.15 ? null : CUSTOMERS[Math.floor(CUSTOMERS.length * c * c)];
      const hour = pick(HOURS, HOURS_SUM, rand());
      const at = Math.min(end - 1, start + Math.floor(((hour + rand()) * (end - start)) / 24));
      const add = (s: HistoryService, prompt: number, output: number, latency: number, ttft: number | null, i: number) => {
        const failed = s.endpoint !== 'embeddings' && rand() < 0.012;
        const cost = failed ? 0 : costMicros(s.price, { inputTokens: prompt, outputTokens: output });
        const status = failed ? 'origin_error' : 'ok';
        const id = `demo_${day}_${n}_${i}_${books.accountId}`;
        out.rows.push([
          id,
          key.id,
          key.projectId,
          s.id,
          s.name,
          s.endpoint,
          failed ? 0 : prompt,
          failed ? 0 : output,
          cost,
          s.priceVersion,
          latency,
          ttft,
          status,
          at + i,
          key.createdBy,
          endUser,
          tags,
          day,
        ]);
        dayMicros += cost;
        charge(out, books, key, s, endUser, at, cost, now);
      };
      if (feature === 'rag' && embed && allowed(key, embed) && rand() < 0.7) add(embed, between(200, 1200), 0, between(30, 120), null, 1);
      const [inLo, inHi, outLo, outHi] = SHAPES[feature];
      const output = between(outLo, outHi);
      const ttft = between(150, 600);
      add(llm, Math.round(between(inLo, inHi) * inflate), output, ttft + output * between(12, 25), ttft, 0);
    }
    out.perDay.push({ day, start, end: end - 1, micros: dayMicros });
    out.totalMicros += dayMicros;
  }
  return out;
}

/** Counts one event against the budget windows and key periods containing now (history before them counts nowhere). */
function charge(out: Plan, books: Books, key: KeyRecord, s: HistoryService, endUser: string | null, at: number, cost: number, now: number): void {
  if (cost === 0) return;
  if (at >= out.month.start) out.month.micros += cost;
  const k = out.keyCharges.get(key.id) ?? { all: 0, period: 0 };
  k.all += cost;
  if (at >= periodStart(key.period ?? 'month', now)) k.period += cost;
  out.keyCharges.set(key.id, k);
  const service: AdmitService = { ...s, maxOutputTokens: 0, defaults: { requestsPerMinute: null, tokensPerMinute: null, maxConcurrent: null } };
  for (const { budget, subject } of books.budgets.applicable(books.sql, key, service, endUser)) {
    const w = books.budgets.window(books.sql, budget, now);
    if (at < w.start) continue;
    const id = `${budget.id}\u0000${subject}\u0000${w.start}`;
    out.budgetCharges.set(id, (out.budgetCharges.get(id) ?? 0) + cost);
  }
}

const EVENT_INSERT = `INSERT OR IGNORE INTO usage_events (id, account_id, key_id, project_id, service_id, model, endpoint, input_tokens, output_tokens,
  cost_micros, price_version, latency_ms, ttft_ms, status, estimated, created_at, member_id, end_user, tags, tz, local_day)
  SELECT json_extract(value, '$[0]'), ?1, json_extract(value, '$[1]'), json_extract(value, '$[2]'), json_extract(value, '$[3]'),
    json_extract(value, '$[4]'), json_extract(value, '$[5]'), json_extract(value, '$[6]'), json_extract(value, '$[7]'), json_extract(value, '$[8]'),
    json_extract(value, '$[9]'), json_extract(value, '$[10]'), json_extract(value, '$[11]'), json_extract(value, '$[12]'), 0,
    json_extract(value, '$[13]'), json_extract(value, '$[14]'), json_extract(value, '$[15]'), json_extract(value, '$[16]'), ?2, json_extract(value, '$[17]')
  FROM json_each(?3)`;
/** Events per statement: one JSON parameter each, well under D1's 2 MB value limit (a row is about 200 bytes). */
const EVENTS_PER_STATEMENT = 2_000;

/** The D1 statements: every event (the rollup triggers fire on each) and the history's journal entries with their transfers. */
function statements(db: D1Database, accountId: string, p: Plan, entries: JournalEntry[]): D1PreparedStatement[] {
  const out: D1PreparedStatement[] = [];
  for (let i = 0; i < p.rows.length; i += EVENTS_PER_STATEMENT) {
    out.push(db.prepare(EVENT_INSERT).bind(accountId, p.tz, JSON.stringify(p.rows.slice(i, i + EVENTS_PER_STATEMENT))));
  }
  // The same rows the outbox flush would write for these entries (outbox.ts).
  for (const e of entries) {
    out.push(
      db
        .prepare(
          `INSERT OR IGNORE INTO journal_entries (account_id, seq, idempotency_key, kind, amount_micros, balance_after_micros, ref, reason, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .bind(accountId, e.seq, e.idempotencyKey, e.kind, e.amountMicros, e.balanceAfterMicros, e.ref, e.reason, e.createdAt),
    );
    const [debit, credit] = e.amountMicros > 0 ? [e.counterAccount, ledgerAccount(accountId)] : [ledgerAccount(accountId), e.counterAccount];
    out.push(
      db
        .prepare(
          `INSERT OR IGNORE INTO ledger_transfers (idempotency_key, debit_account, credit_account, amount_micros, code, account_id, journal_seq, ref, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .bind(`${accountId}:${e.idempotencyKey}`, debit, credit, Math.abs(e.amountMicros), e.kind, accountId, e.seq, e.ref, e.createdAt),
    );
  }
  return out;
}

const dayKey = (day: number) => `demo-history:usage:${day}`;
const dateOf = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);

/** The figures of an import already in the journal, read back from its entries (the keys may have changed since). */
function recorded(entries: JournalEntry[], tz: string, now: number): HistoryResult {
  const [marker, ...days] = entries;
  const month = new LocalClock(tz).window('month', now);
  const dayOf = (e: JournalEntry) => Number(e.ref?.split(':')[1]);
  return {
    imported: false,
    alreadyImported: true,
    events: Number(marker.ref?.split(':')[2] ?? 0),
    totalMicros: marker.amountMicros,
    firstDay: Math.min(...days.map(dayOf)),
    lastDay: Math.max(...days.map(dayOf)),
    spikeDay: Math.max(...days.map(dayOf)) + 1 - SPIKE_DAYS_AGO,
    monthToDateMicros: days.filter((e) => e.createdAt >= month.start).reduce((sum, e) => sum - e.amountMicros, 0),
    monthStart: month.start,
    monthEnd: month.end ?? month.start,
    timezone: tz,
  };
}

/**
 * Imports the history once (see the module comment). A call after a completed import changes
 * nothing; a call after an import whose D1 write failed writes the same events again.
 */
export async function importHistory(input: HistoryInput, host: HistoryHost): Promise<HistoryResult> {
  const found = host.inBooks((books) => ({
    accountId: books.accountId,
    tz: books.budgets.settings(books.sql).timezone,
    entries: books.sql
      .exec<Record<string, SqlStorageValue>>("SELECT * FROM journal WHERE idempotency_key LIKE 'demo-history:%' ORDER BY seq")
      .toArray()
      .map(rowToEntry),
  }));
  const { accountId } = found;
  if (found.entries.length > 0) {
    // The entries reach D1 only in the events' batch (one D1 transaction), so the marker there means all is there.
    const mirrored = await host.db
      .prepare('SELECT 1 AS found FROM journal_entries WHERE account_id = ? AND idempotency_key = ?')
      .bind(accountId, MARKER)
      .first();
    const result = recorded(found.entries, found.tz, input.now);
    if (mirrored || input.dryRun) return result;
    // That batch failed: regenerate what the marker's instant produced, and write it if it is what the journal debited.
    const p = host.inBooks((books) => plan(books, host, { ...input, now: Number(found.entries[0].ref?.split(':')[1]) }));
    if (p.totalMicros !== result.totalMicros)
      throw new Error(`the demo history regenerated costs ${p.totalMicros} µUSD but the journal holds ${result.totalMicros}; the keys changed since`);
    await host.db.batch(statements(host.db, accountId, p, found.entries));
    return result;
  }
  const done = host.inBooks((books) => {
    const p = plan(books, host, input);
    if (input.dryRun || p.totalMicros === 0) return { p, entries: [] as JournalEntry[] };
    const { sql, row } = books;
    // Not through the outbox: these entries reach D1 only with their events, in one batch.
    const opts = { row, deferAccountWrite: true, outbox: false };
    const entries = [
      post(
        sql,
        accountId,
        {
          idempotencyKey: MARKER,
          kind: 'adjustment',
          counterAccount: 'sys:adjustments',
          amountMicros: p.totalMicros,
          ref: `demo-history:${input.now}:${p.rows.length}`,
          keyId: null,
          reason: `Demo history (npm start): credit paying for ${p.perDay.length} days of generated usage, debited day by day below`,
          now: p.perDay[0].start,
        },
        opts,
      ).entry,
    ];
    for (const d of p.perDay) {
      if (d.micros === 0) continue;
      const entry = { idempotencyKey: dayKey(d.day), kind: 'usage' as const, counterAccount: 'sys:revenue' as const, amountMicros: -d.micros };
      entries.push(
        post(sql, accountId, { ...entry, ref: `demo-history:${d.day}`, keyId: null, reason: `Demo history: usage of ${dateOf(d.day)}`, now: d.end }, opts)
          .entry,
      );
    }
    chargeWindows(books, p, input.now);
    return { p, entries };
  });
  const { p, entries } = done;
  if (entries.length > 0) {
    await host.db.batch(statements(host.db, accountId, p, entries));
    await host.flushSoon(); // the budget alerts the charge raised
  }
  return {
    imported: entries.length > 0,
    alreadyImported: false,
    events: p.rows.length,
    totalMicros: p.totalMicros,
    firstDay: p.perDay[0]?.day ?? 0,
    lastDay: p.perDay[p.perDay.length - 1]?.day ?? 0,
    spikeDay: p.spikeDay,
    monthToDateMicros: p.month.micros,
    monthStart: p.month.start,
    monthEnd: p.month.end,
    timezone: p.tz,
  };
}

/** Charges the budget windows and key spend that contain now with what the history spent in them (same transaction as the entries). */
function chargeWindows(books: Books, p: Plan, now: number): void {
  const { sql, accountId } = books;
  for (const [id, cost] of p.budgetCharges) {
    const [budgetId, subject, windowStart] = id.split('\u0000');
    books.undo.push(
      books.budgets.charge(sql, accountId, { requestId: MARKER, budgets: [{ id: budgetId, subject, windowStart: Number(windowStart) }] }, cost, now),
    );
  }
  for (const [keyId, k] of p.keyCharges) {
    const key = books.keys.get(sql, keyId);
    if (!key) continue;
    const current = periodStart(key.period ?? 'month', now);
    sql.exec(
      `UPDATE keys SET spent_micros = spent_micros + ?1, period_spent_micros = CASE WHEN period_start = ?2 THEN period_spent_micros + ?3 ELSE ?3 END,
         period_start = ?2, last_used_at = MAX(COALESCE(last_used_at, 0), ?4) WHERE id = ?5`,
      k.all,
      current,
      k.period,
      p.perDay[p.perDay.length - 1].end,
      keyId,
    );
    books.keys.forget(keyId);
  }
}
