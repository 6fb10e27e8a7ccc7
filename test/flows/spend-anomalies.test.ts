/**
 * Real-time spend anomalies (issue 13 item 4): a key whose spend in its current 5-minute window
 * passes its own baseline is recorded and alerted once per window and, where the organisation
 * asked, paused: the very next request gets a 403 that says why and where to resume. Written
 * hostile-first: a burst of concurrent requests (one anomaly, one alert, no request admitted after
 * the pause), a week of busy history (no false alarm at the usual level), an eviction between the
 * pause and the next request, and an operator's out-of-bounds settings.
 */
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_ANOMALY_SETTINGS, type AnomalySettings } from '../../worker/durable-objects/account/anomaly-settings';
import { SPEND_WINDOW_MS } from '../../worker/durable-objects/account/spend-watch';
import { accountStub, call, callJson, createWorld, eventually, installOrigin, settled, type World } from '../helpers';

afterEach(() => vi.restoreAllMocks());

// Tokens are free: each request costs exactly its request fee, 10 cents.
const PRICE = { inputMicrosPer1M: 0, outputMicrosPer1M: 0, requestMicros: 100_000 };

/** A 5-minute window boundary inside a test would reset the window it measures: start just after one if it is near. */
beforeEach(async () => {
  const left = SPEND_WINDOW_MS - (Date.now() % SPEND_WINDOW_MS);
  if (left < 30_000) await new Promise((r) => setTimeout(r, left + 200));
}, 40_000);

function chat(w: World) {
  return call('/v1/chat/completions', {
    method: 'POST',
    auth: `Bearer ${w.apiKey}`,
    json: { model: w.model, messages: [{ role: 'user', content: 'hello' }], max_tokens: 8 },
  });
}

async function configure(w: World, keySpend: Partial<AnomalySettings['keySpend']>): Promise<void> {
  const next = { ...DEFAULT_ANOMALY_SETTINGS, keySpend: { ...DEFAULT_ANOMALY_SETTINGS.keySpend, ...keySpend } };
  const saved = await accountStub(w.accountId).setAnomalySettings(next);
  expect(saved).toEqual(next);
}

/**
 * Flushes the outbox to D1. Not drainAlarms: after an eviction the last life's marks keep an alarm
 * set until they expire, so "run alarms until none is set" would never end.
 */
async function flush(accountId: string): Promise<void> {
  const stub = accountStub(accountId);
  await eventually(async () => {
    await runDurableObjectAlarm(stub);
    return (await stub.summary()).pendingOutbox === 0;
  });
}

async function anomalies(accountId: string) {
  await flush(accountId);
  const { results } = await env.DB.prepare('SELECT * FROM anomalies WHERE account_id = ? ORDER BY created_at').bind(accountId).all<Record<string, any>>();
  return results;
}

async function spendAlerts(accountId: string) {
  const { results } = await env.DB.prepare("SELECT * FROM alerts WHERE account_id = ? AND type = 'anomaly.key_spend'")
    .bind(accountId)
    .all<Record<string, any>>();
  return results;
}

describe('real-time key spend anomalies', () => {
  it('pauses a key once its window passes the floor, refuses the very next request with 403, and admits it again once resumed', async () => {
    installOrigin();
    const w = await createWorld({ prices: PRICE, balanceMicros: 100_000_000 });
    await configure(w, { floorMicros: 500_000, multiplier: 4, pauseKeys: true });

    // No history: the baseline is zero, so the floor ($0.50) decides. Five requests reach it, the sixth passes it.
    for (let i = 0; i < 6; i++) {
      expect((await chat(w)).status).toBe(200);
      await settled(w.accountId);
    }
    const refused = await chat(w);
    expect(refused.status).toBe(403);
    const body = (await refused.json()) as { error: { code: string; type: string; message: string } };
    expect(body.error.code).toBe('key_paused');
    expect(body.error.type).toBe('permission_error');
    expect(body.error.message).toMatch(/paused.*\$0\.60.*5 minutes.*resume it in the dashboard under Anomalies/);
    // The official SDK raises its permission error, as for any 403.
    await expect(w.client.chat.completions.create({ model: w.model, messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(
      OpenAI.PermissionDeniedError,
    );

    const [anomaly, ...more] = await anomalies(w.accountId);
    expect(more).toHaveLength(0);
    expect(anomaly).toMatchObject({
      kind: 'key_spend',
      key_id: w.keyId,
      observed_micros: 600_000,
      baseline_micros: 0,
      threshold_micros: 500_000,
      requests: 6,
      action: 'paused',
      status: 'open',
    });
    expect(body.error.message).toContain(anomaly.id);
    const [alert] = await spendAlerts(w.accountId);
    expect(alert.message).toMatch(/spent \$0\.60 in 5 minutes \(6 requests\).*paused until a member resumes it/);
    expect(JSON.parse(alert.details)).toMatchObject({ anomalyId: anomaly.id, observedMicros: 600_000, thresholdMicros: 500_000, paused: true });

    const { key } = await callJson(`/api/account/keys/${w.keyId}`, { auth: `Bearer ${w.managementKey}`, expect: 200 });
    expect(key.pausedAt).not.toBeNull();
    expect(key.pausedReason).toContain('paused');

    expect(await accountStub(w.accountId).resumeKey(w.keyId, 'usr_test')).toEqual({ resumed: true });
    expect((await chat(w)).status).toBe(200);
    await settled(w.accountId);
    // The window stays flagged: resuming does not raise the same anomaly again.
    expect(await anomalies(w.accountId)).toHaveLength(1);
    expect(await accountStub(w.accountId).resumeKey(w.keyId, 'usr_test')).toEqual({ resumed: false });
  });

  it('raises one anomaly and one alert for a concurrent burst, and admits nothing after the batch that paused it', async () => {
    installOrigin({ latencyMs: 5 });
    const w = await createWorld({ prices: PRICE, balanceMicros: 100_000_000 });
    await configure(w, { floorMicros: 500_000, pauseKeys: true });
    const burst = await Promise.all(Array.from({ length: 30 }, () => chat(w)));
    // Every request of the burst was admitted before any settled: detection acts on settled spend.
    expect(burst.every((r) => r.status === 200)).toBe(true);
    await settled(w.accountId);
    expect((await chat(w)).status).toBe(403);
    const found = await anomalies(w.accountId);
    expect(found).toHaveLength(1);
    expect(await spendAlerts(w.accountId)).toHaveLength(1);
    // The books: every answered request charged once, nothing else.
    const { results } = await env.DB.prepare('SELECT COUNT(*) AS n, SUM(cost_micros) AS cost FROM usage_events WHERE account_id = ?')
      .bind(w.accountId)
      .all<{ n: number; cost: number }>();
    expect(results[0]).toEqual({ n: 30, cost: 3_000_000 });
  });

  it('measures a busy key against its own week: its usual level raises nothing, four times it does', async () => {
    installOrigin();
    const w = await createWorld({ prices: PRICE, balanceMicros: 100_000_000 });
    await configure(w, { floorMicros: 100_000, multiplier: 4, pauseKeys: false });
    // A week of history at 25 cents every 5 minutes (the key is as old as its history).
    await runInDurableObject(accountStub(w.accountId), (_instance, state) => {
      const now = Date.now();
      const current = now - (now % SPEND_WINDOW_MS);
      state.storage.sql.exec('UPDATE keys SET created_at = ? WHERE id = ?', current - 2016 * SPEND_WINDOW_MS, w.keyId);
      for (let i = 1; i <= 2016; i++) {
        state.storage.sql.exec(
          'INSERT INTO key_spend_windows (key_id, window_start, spent_micros, requests) VALUES (?, ?, 250000, 3)',
          w.keyId,
          current - i * SPEND_WINDOW_MS,
        );
      }
    });
    await evictDurableObject(accountStub(w.accountId)); // the key's row is read again
    // p95 = $0.25, so the threshold is $1.00: ten requests reach it and raise nothing.
    for (let i = 0; i < 10; i++) {
      expect((await chat(w)).status).toBe(200);
      await settled(w.accountId);
    }
    expect(await anomalies(w.accountId)).toHaveLength(0);
    expect((await chat(w)).status).toBe(200);
    await settled(w.accountId);
    const [anomaly] = await anomalies(w.accountId);
    expect(anomaly).toMatchObject({ observed_micros: 1_100_000, baseline_micros: 250_000, threshold_micros: 1_000_000, action: 'alerted' });
    expect(JSON.parse(anomaly.details)).toMatchObject({ baselineWindows: 2016, multiplier: 4 });
    // Alert only: the key keeps working.
    expect((await chat(w)).status).toBe(200);
  });

  it('keeps the pause and the flagged window across an eviction', async () => {
    installOrigin();
    const w = await createWorld({ prices: PRICE, balanceMicros: 100_000_000 });
    await configure(w, { floorMicros: 200_000, pauseKeys: true });
    for (let i = 0; i < 3; i++) {
      expect((await chat(w)).status).toBe(200);
      await settled(w.accountId);
    }
    await evictDurableObject(accountStub(w.accountId));
    expect((await chat(w)).status).toBe(403);
    expect(await accountStub(w.accountId).resumeKey(w.keyId, 'usr_test')).toEqual({ resumed: true });
    await evictDurableObject(accountStub(w.accountId));
    expect((await chat(w)).status).toBe(200);
    // After an eviction the last life's marks stay held until they expire, so wait for the usage row, not for nothing held.
    await eventually(async () => {
      await flush(w.accountId);
      const row = await env.DB.prepare('SELECT COUNT(*) AS n FROM usage_events WHERE account_id = ?').bind(w.accountId).first<{ n: number }>();
      return row?.n === 4;
    });
    expect(await anomalies(w.accountId)).toHaveLength(1);
  });

  it('does nothing when switched off, and refuses settings out of bounds by name', async () => {
    installOrigin();
    const w = await createWorld({ prices: PRICE, balanceMicros: 100_000_000 });
    await configure(w, { enabled: false, floorMicros: 0, pauseKeys: true });
    for (let i = 0; i < 3; i++) expect((await chat(w)).status).toBe(200);
    await settled(w.accountId);
    expect((await chat(w)).status).toBe(200);
    expect(await anomalies(w.accountId)).toHaveLength(0);
    const bad = { ...DEFAULT_ANOMALY_SETTINGS, keySpend: { ...DEFAULT_ANOMALY_SETTINGS.keySpend, floorMicros: -1 } };
    expect(await accountStub(w.accountId).setAnomalySettings(bad)).toEqual({ problem: 'keySpend.floorMicros' });
    expect((await accountStub(w.accountId).anomalySettings()).keySpend.enabled).toBe(false);
  });
});
