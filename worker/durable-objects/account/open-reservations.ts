/**
 * @module account/open-reservations
 * Running totals of the open reservations: the account's reserved µUSD and, per key, its reserved
 * µUSD and open count. Admission reads them in O(1) instead of summing the `reservations` table
 * (O(open reservations)) on every request.
 *
 * A documented cache of that table, kept by the account object (the table's only writer): built
 * from it once per object life, changed by the same transactions that insert and delete rows,
 * and dropped (to be rebuilt) whenever such a transaction throws and rolls back.
 */

export interface KeyReserved {
  micros: number;
  count: number;
}

const NONE: KeyReserved = Object.freeze({ micros: 0, count: 0 });

/** The account's open reservations, summed. */
export class OpenReservations {
  total = 0;
  private readonly byKey = new Map<string, KeyReserved>();

  /** Builds the totals from the table (once per object life, or after a rollback). */
  static load(sql: SqlStorage): OpenReservations {
    const open = new OpenReservations();
    for (const row of sql.exec<{ key_id: string; micros: number; n: number }>(
      'SELECT key_id, COALESCE(SUM(reserved_micros), 0) AS micros, COUNT(*) AS n FROM reservations GROUP BY key_id',
    )) {
      open.byKey.set(row.key_id, { micros: row.micros, count: row.n });
      open.total += row.micros;
    }
    return open;
  }

  /** The key's reserved µUSD and open count. */
  forKey(keyId: string): KeyReserved {
    return this.byKey.get(keyId) ?? NONE;
  }

  /** A reservation was written. */
  add(keyId: string, micros: number): void {
    const key = this.byKey.get(keyId);
    if (key) {
      key.micros += micros;
      key.count += 1;
    } else this.byKey.set(keyId, { micros, count: 1 });
    this.total += micros;
  }

  /** A reservation was deleted (settled or expired). */
  remove(keyId: string, micros: number): void {
    const key = this.byKey.get(keyId);
    if (!key) return;
    key.micros -= micros;
    key.count -= 1;
    if (key.count <= 0) this.byKey.delete(keyId);
    this.total -= micros;
  }
}
