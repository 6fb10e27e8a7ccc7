/**
 * @module account/legacy
 * Objects from before the in-memory engine kept every reservation in the `reservations` table;
 * the first life of such an object under this engine takes them into memory once, covered by
 * marks (holds.ts), and empties the table.
 */
import { HOLD_BALANCE, keyCountHold, keySpendHold } from './buckets';
import type { Holds } from './holds';
import type { Grant } from './types';

export function adoptLegacyReservations(sql: SqlStorage, holds: Holds): void {
  const rows = sql.exec<Record<string, number | string | null>>('SELECT * FROM reservations').toArray();
  if (rows.length === 0) return;
  for (const r of rows) {
    const keyId = String(r.key_id);
    const reservedMicros = Number(r.reserved_micros);
    holds.add({
      requestId: String(r.id),
      keyId,
      serviceId: String(r.service_id),
      model: String(r.model),
      endpoint: String(r.endpoint) as Grant['endpoint'],
      priceVersion: Number(r.price_version),
      price: { inputMicrosPer1M: Number(r.input_micros_per_1m), outputMicrosPer1M: Number(r.output_micros_per_1m), requestMicros: Number(r.request_micros) },
      reservedMicros,
      maxOutputTokens: Number(r.max_output_tokens ?? 0),
      promptTokensUpper: Number(r.prompt_tokens_upper ?? r.prompt_tokens_estimate),
      reservedTokens: Number(r.reserved_tokens),
      promptTokensEstimate: Number(r.prompt_tokens_estimate),
      tokensWindowStart: Number(r.tokens_window_start),
      keyPeriod: (r.key_period as Grant['keyPeriod'] | null) ?? 'month',
      createdAt: Number(r.created_at),
      expiresAt: Number(r.expires_at),
      holds: { [HOLD_BALANCE]: reservedMicros, [keySpendHold(keyId)]: reservedMicros, [keyCountHold(keyId)]: 1 },
    });
  }
  holds.persist(sql);
  sql.exec('DELETE FROM reservations');
}
