/**
 * @module statements/run
 * The hourly statement run: every organisation whose local month has ended and has no statement
 * for it yet gets one, written to R2 (`statements/<accountId>/<YYYY-MM>.pdf|.csv`), recorded in
 * D1 `statements`, and mailed to its billing members (owners and admins).
 *
 * Idempotent: the row is `INSERT OR IGNORE` on (account, period), so a repeated or concurrent run
 * rewrites the same two R2 objects with the same figures and records nothing new. Mail is claimed
 * (`emailed_at` set where it was null, one UPDATE) before it is sent and released when sending
 * fails, so a later run retries it and two runs never both send it.
 */
import { mailSender } from '../auth/mail';
import type { Env } from '../env';
import { newId } from '../lib/ids';
import { dashboardUrl } from '../payments/config';
import { accountObject } from '../services/accounts';
import { buildStatement, type Statement } from './build';
import { statementCsv } from './csv';
import { dollars, statementPdf } from './pdf';
import { duePeriodBounds, lastEndedPeriod } from './period';

/** What one run did. */
export interface StatementRun {
  issued: number;
  emailed: number;
  /** Organisations whose journal mirror has not yet caught up with the month's end (retried next run). */
  waiting: number;
  failed: number;
}

/** The R2 keys of a statement's files. */
export const statementKeys = (accountId: string, period: string) => ({
  pdf: `statements/${accountId}/${period}.pdf`,
  csv: `statements/${accountId}/${period}.csv`,
});

const log = (level: 'info' | 'error', msg: string, fields: Record<string, unknown>) => console.log(JSON.stringify({ level, msg, ...fields }));

/**
 * Issues the statements due at `now`, for at most `limit` organisations per run (the next run
 * takes the rest). Candidates are organisations without a statement for the latest month any zone
 * can have finished, in random order, so ones not due yet (zones still in that month) cannot keep
 * the due ones waiting.
 */
export async function issueStatements(env: Env, now: number, options: { limit?: number } = {}): Promise<StatementRun> {
  const run: StatementRun = { issued: 0, emailed: 0, waiting: 0, failed: 0 };
  const { latest } = duePeriodBounds(now);
  const candidates = await env.DB.prepare(
    `SELECT a.id, a.name, a.created_at FROM accounts a WHERE a.created_at < ?1
       AND NOT EXISTS (SELECT 1 FROM statements s WHERE s.account_id = a.id AND s.period = ?2)
     ORDER BY random() LIMIT ?3`,
  )
    .bind(now, latest, options.limit ?? 50)
    .all<{ id: string; name: string; created_at: number }>();
  for (const account of candidates.results) {
    try {
      const outcome = await issueOne(env, account, now);
      if (outcome === 'issued') run.issued += 1;
      if (outcome === 'waiting') run.waiting += 1;
      if (outcome === 'failed') run.failed += 1;
    } catch (error) {
      run.failed += 1;
      log('error', 'statement failed', { accountId: account.id, error: String(error) });
    }
  }
  run.emailed = await mailPending(env, now, options.limit ?? 50);
  return run;
}

type Outcome = 'issued' | 'not_due' | 'waiting' | 'failed';

async function issueOne(env: Env, account: { id: string; name: string; created_at: number }, now: number): Promise<Outcome> {
  const stub = accountObject(env, account.id);
  const { timezone } = await stub.calendar();
  const span = lastEndedPeriod(timezone, now);
  // Only months the organisation existed in; and a month already issued is done.
  if (account.created_at >= span.end) return 'not_due';
  const existing = await env.DB.prepare('SELECT 1 AS x FROM statements WHERE account_id = ?1 AND period = ?2').bind(account.id, span.period).first();
  if (existing) return 'not_due';
  // D1 must hold every journal entry posted before the month ended: the object says how far its
  // outbox has reached D1, and when the first entry still waiting was posted.
  const snap = await stub.reconciliationSnapshot();
  if (!snap.chainOk) {
    log('error', 'statement withheld: the journal chain does not verify', { accountId: account.id, period: span.period });
    return 'failed';
  }
  if (snap.mirroredThroughSeq < snap.lastSeq) {
    const [pending] = await stub.journal({ before: snap.mirroredThroughSeq + 2, limit: 1 });
    if (pending && pending.createdAt < span.end) return 'waiting';
  }
  const projects = await stub.listProjects();
  const built = await buildStatement(env.DB, {
    accountId: account.id,
    accountName: account.name,
    timeZone: span.timeZone,
    period: span.period,
    projectNames: new Map(projects.map((p) => [p.id, p.name])),
  });
  if (!built.ok) {
    log('error', 'statement withheld: it does not reconcile to the journal', {
      accountId: account.id,
      period: span.period,
      reason: built.reason,
      detail: built.message,
    });
    return 'failed';
  }
  await publish(env, built.statement, now);
  return 'issued';
}

async function publish(env: Env, s: Statement, now: number): Promise<void> {
  const keys = statementKeys(s.accountId, s.span.period);
  const pdf = await statementPdf(s, now);
  const csv = new TextEncoder().encode(statementCsv(s));
  const meta = { accountId: s.accountId, period: s.span.period, closingMicros: String(s.closingMicros) };
  // Files first: a row always points at files that exist. A run that dies here rewrites them.
  await env.ARCHIVE.put(keys.pdf, pdf, { httpMetadata: { contentType: 'application/pdf' }, customMetadata: meta });
  await env.ARCHIVE.put(keys.csv, csv, { httpMetadata: { contentType: 'text/csv; charset=utf-8' }, customMetadata: meta });
  await env.DB.prepare(
    `INSERT OR IGNORE INTO statements (id, account_id, period, time_zone, period_start, period_end, opening_micros, top_ups_micros, usage_micros,
       adjustments_micros, closing_micros, pdf_key, csv_key, pdf_bytes, csv_bytes, created_at, emailed_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, NULL)`,
  )
    .bind(
      newId('stmt'),
      s.accountId,
      s.span.period,
      s.span.timeZone,
      s.span.start,
      s.span.end,
      s.openingMicros,
      s.topUpsMicros,
      s.usageMicros,
      s.adjustmentsMicros,
      s.closingMicros,
      keys.pdf,
      keys.csv,
      pdf.byteLength,
      csv.byteLength,
      now,
    )
    .run();
}

interface PendingRow {
  id: string;
  account_id: string;
  period: string;
  time_zone: string;
  opening_micros: number;
  top_ups_micros: number;
  usage_micros: number;
  adjustments_micros: number;
  closing_micros: number;
}

/** Mails statements not mailed yet (this run's, and ones whose mail failed within the last week). */
async function mailPending(env: Env, now: number, limit: number): Promise<number> {
  const pending = await env.DB.prepare('SELECT * FROM statements WHERE emailed_at IS NULL AND created_at > ?1 ORDER BY created_at LIMIT ?2')
    .bind(now - 7 * 86_400_000, limit)
    .all<PendingRow>();
  let sent = 0;
  for (const row of pending.results) {
    const claim = await env.DB.prepare('UPDATE statements SET emailed_at = ?1 WHERE id = ?2 AND emailed_at IS NULL').bind(now, row.id).run();
    if (claim.meta.changes !== 1) continue;
    try {
      const members = await env.DB.prepare(
        "SELECT u.email FROM memberships m JOIN auth_user u ON u.id = m.user_id WHERE m.account_id = ?1 AND m.role IN ('owner', 'admin') ORDER BY u.email",
      )
        .bind(row.account_id)
        .all<{ email: string }>();
      const sender = members.results.length ? mailSender(env) : null;
      for (const { email } of members.results) await sender?.send(statementMail(env, email, row));
      sent += 1;
    } catch (error) {
      await env.DB.prepare('UPDATE statements SET emailed_at = NULL WHERE id = ?1').bind(row.id).run();
      log('error', 'statement mail failed', { accountId: row.account_id, period: row.period, error: String(error) });
    }
  }
  return sent;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** The mail: the totals and a link to the dashboard's statements page (the files stay behind sign-in). */
function statementMail(env: Env, to: string, row: PendingRow) {
  const link = `${dashboardUrl(env)}/statements`;
  const lines = [
    `Your statement for ${row.period} (${row.time_zone}) is ready.`,
    '',
    `Opening balance: ${dollars(row.opening_micros)}`,
    `Top-ups: ${dollars(row.top_ups_micros)}`,
    `Usage: ${dollars(-row.usage_micros)}`,
    `Adjustments: ${dollars(row.adjustments_micros)}`,
    `Closing balance: ${dollars(row.closing_micros)}`,
    '',
    `Download the PDF and CSV: ${link}`,
  ];
  const html = `<!doctype html><html><body style="font-family:sans-serif;line-height:1.5">${lines.map((l) => (l ? `<p>${escapeHtml(l)}</p>` : '')).join('')}</body></html>`;
  return { to, subject: `Statement ${row.period}`, text: `${lines.join('\n')}\n`, html };
}
