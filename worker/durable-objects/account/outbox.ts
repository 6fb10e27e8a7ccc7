/**
 * @module account/outbox
 * Moves usage events and journal entries from the object's outbox to D1 in batches.
 * Inserts are `INSERT OR IGNORE` keyed by the request id / (account, seq), and rows leave the
 * outbox only after D1 accepted the whole batch: a flush that fails half-way and is retried
 * writes nothing twice and loses nothing.
 */
import { alertStatements, type RaisedAlert } from '../../notifications/alerts';
import type { JournalEntry, UsageEvent } from './types';
import type { DetectedAnomaly } from './spend-watch';

export const FLUSH_BATCH = 100;

/** D1 binds at most 100 parameters per statement; rows are packed into multi-row inserts up to that. */
const MAX_PARAMS = 100;

const USAGE_INSERT = `INSERT OR IGNORE INTO usage_events (id, account_id, key_id, project_id, service_id, model, endpoint, input_tokens,
  output_tokens, cost_micros, price_version, latency_ms, ttft_ms, status, estimated, created_at, member_id, end_user, tags, tz, local_day) VALUES `;
const JOURNAL_INSERT = `INSERT OR IGNORE INTO journal_entries (account_id, seq, idempotency_key, kind, amount_micros,
  balance_after_micros, ref, reason, created_at) VALUES `;
const TRANSFER_INSERT = `INSERT OR IGNORE INTO ledger_transfers (idempotency_key, debit_account, credit_account, amount_micros,
  code, account_id, journal_seq, ref, created_at) VALUES `;

type Value = string | number | null;

/** The account's own ledger account in the double-entry mirror. */
export const ledgerAccount = (accountId: string): string => `acct:${accountId}`;

function usageRow(e: UsageEvent): Value[] {
  return [
    e.id,
    e.accountId,
    e.keyId,
    e.projectId ?? null,
    e.serviceId,
    e.model,
    e.endpoint,
    e.inputTokens,
    e.outputTokens,
    e.costMicros,
    e.priceVersion,
    e.latencyMs,
    e.ttftMs,
    e.status,
    e.estimated ? 1 : 0,
    e.createdAt,
    e.memberId ?? null,
    e.endUser ?? null,
    e.tags ? JSON.stringify(e.tags) : null,
    e.tz ?? null,
    e.day ?? null,
  ];
}

function journalRows(j: JournalEntry & { accountId: string }): { journal: Value[]; transfer: Value[] } {
  // Entries queued before counter accounts existed: usage went to revenue, the rest were admin adjustments.
  const counter = j.counterAccount ?? (j.kind === 'usage' ? 'sys:revenue' : 'sys:adjustments');
  // A credit moves money from the system account to the account; a debit the other way.
  const [debit, credit] = j.amountMicros > 0 ? [counter, ledgerAccount(j.accountId)] : [ledgerAccount(j.accountId), counter];
  return {
    journal: [j.accountId, j.seq, j.idempotencyKey, j.kind, j.amountMicros, j.balanceAfterMicros, j.ref, j.reason, j.createdAt],
    transfer: [`${j.accountId}:${j.idempotencyKey}`, debit, credit, Math.abs(j.amountMicros), j.kind, j.accountId, j.seq, j.ref, j.createdAt],
  };
}

/** Multi-row `INSERT OR IGNORE`s of `rows` (each the same width), as few statements as D1's parameter limit allows. */
function packed(db: D1Database, insert: string, rows: Value[][]): D1PreparedStatement[] {
  if (rows.length === 0) return [];
  const width = rows[0].length;
  const perStatement = Math.max(1, Math.floor(MAX_PARAMS / width));
  const tuple = `(${Array(width).fill('?').join(', ')})`;
  const statements: D1PreparedStatement[] = [];
  for (let i = 0; i < rows.length; i += perStatement) {
    const chunk = rows.slice(i, i + perStatement);
    statements.push(db.prepare(insert + Array(chunk.length).fill(tuple).join(', ')).bind(...chunk.flat()));
  }
  return statements;
}

const USAGE_CORRECTION = `UPDATE usage_events SET input_tokens = ?, output_tokens = ?, cost_micros = ?, status = ?, estimated = ?,
  latency_ms = ?, ttft_ms = ? WHERE id = ?`;
const REVIEW_INSERT = `INSERT OR IGNORE INTO review_items (id, kind, account_id, topup_id, dedupe_key, message, status, created_at, resolved_at)
  VALUES (?, ?, ?, NULL, ?, ?, 'open', ?, NULL)`;

const ANOMALY_INSERT = `INSERT OR IGNORE INTO anomalies (id, account_id, kind, key_id, window_start, window_end, observed_micros, baseline_micros,
  threshold_micros, requests, details, action, status, dedupe_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)`;

/** A late settle's figures for a usage event written at expiry (absolute values, so replaying is harmless). */
interface UsageCorrection {
  id: string;
  inputTokens: number;
  outputTokens: number;
  costMicros: number;
  status: string;
  estimated: boolean;
  latencyMs: number;
  ttftMs: number | null;
}

/** A finding for the operator, raised inside a transaction of the object. */
interface QueuedReview {
  kind: string;
  accountId: string;
  dedupeKey: string;
  message: string;
}

/**
 * D1 statements for a batch of outbox rows: `settled` (usage event + its journal entry), `usage`,
 * `journal`, `usage_correction` (after the inserts, so a correction follows its event even within
 * one batch), `review`, `anomaly` (a key's spend anomaly, spend-watch.ts) and `alert` (the alert and its
 * deliveries, notifications/alerts.ts).
 */
function statementsFor(db: D1Database, rows: Array<{ kind: string; payload: string }>): D1PreparedStatement[] {
  const usage: Value[][] = [];
  const journal: Value[][] = [];
  const transfers: Value[][] = [];
  const after: D1PreparedStatement[] = [];
  const addEntry = (entry: JournalEntry & { accountId: string }) => {
    const { journal: j, transfer } = journalRows(entry);
    journal.push(j);
    transfers.push(transfer);
  };
  for (const { kind, payload } of rows) {
    if (kind === 'settled') {
      const { event, entry } = JSON.parse(payload) as { event: UsageEvent; entry: (JournalEntry & { accountId: string }) | null };
      usage.push(usageRow(event));
      if (entry) addEntry(entry);
    } else if (kind === 'usage') {
      usage.push(usageRow(JSON.parse(payload) as UsageEvent));
    } else if (kind === 'usage_correction') {
      const c = JSON.parse(payload) as UsageCorrection;
      after.push(db.prepare(USAGE_CORRECTION).bind(c.inputTokens, c.outputTokens, c.costMicros, c.status, c.estimated ? 1 : 0, c.latencyMs, c.ttftMs, c.id));
    } else if (kind === 'alert') {
      after.push(...alertStatements(db, JSON.parse(payload) as RaisedAlert));
    } else if (kind === 'anomaly') {
      const a = JSON.parse(payload) as DetectedAnomaly;
      after.push(
        db
          .prepare(ANOMALY_INSERT)
          .bind(
            a.id,
            a.accountId,
            a.kind,
            a.keyId,
            a.windowStart,
            a.windowEnd,
            a.observedMicros,
            a.baselineMicros,
            a.thresholdMicros,
            a.requests,
            JSON.stringify(a.details),
            a.action,
            a.dedupeKey,
            a.createdAt,
          ),
      );
    } else if (kind === 'review') {
      const r = JSON.parse(payload) as QueuedReview;
      after.push(db.prepare(REVIEW_INSERT).bind(`rev_${r.dedupeKey}`, r.kind, r.accountId, r.dedupeKey, r.message, Date.now()));
    } else {
      addEntry(JSON.parse(payload) as JournalEntry & { accountId: string });
    }
  }
  return [...packed(db, USAGE_INSERT, usage), ...packed(db, JOURNAL_INSERT, journal), ...packed(db, TRANSFER_INSERT, transfers), ...after];
}

/**
 * Flushes up to `FLUSH_BATCH` rows. Returns how many rows were written and whether more wait.
 * Throws (leaving the rows in place) when D1 fails.
 */
export async function flushOutbox(sql: SqlStorage, db: D1Database): Promise<{ flushed: number; more: boolean; alerts: number }> {
  const rows = sql
    .exec<{ seq: number; kind: string; payload: string }>('SELECT seq, kind, payload FROM outbox ORDER BY seq LIMIT ?', FLUSH_BATCH + 1)
    .toArray();
  if (rows.length === 0) return { flushed: 0, more: false, alerts: 0 };
  const batch = rows.slice(0, FLUSH_BATCH);
  try {
    await db.batch(statementsFor(db, batch));
  } catch (error) {
    sql.exec('UPDATE outbox SET attempts = attempts + 1 WHERE seq <= ?', batch[batch.length - 1].seq);
    throw error;
  }
  sql.exec('DELETE FROM outbox WHERE seq <= ?', batch[batch.length - 1].seq);
  return { flushed: batch.length, more: rows.length > FLUSH_BATCH, alerts: batch.filter((r) => r.kind === 'alert').length };
}
