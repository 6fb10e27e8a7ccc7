/**
 * @module account/low-balance
 * The low-balance alert: raised once, in the transaction of the settlement batch whose charges
 * take the available balance (the balance less what is held for requests in flight) under the
 * organisation's threshold; re-armed when a credit lifts it back to or over the threshold, so
 * each crossing alerts once. The state lives in the `account` row (low_balance_micros,
 * low_balance_alerted) and is cached here.
 */
import { usdText } from '../../lib/money';
import type { RaisedAlert } from '../../notifications/alerts';
import type { AccountRow } from './ledger';

interface State {
  threshold: number | null;
  alerted: boolean;
}

export class LowBalanceAlert {
  private state: State | undefined;

  setting(sql: SqlStorage): State {
    if (!this.state) {
      const row = sql
        .exec<{ low_balance_micros: number | null; low_balance_alerted: number }>('SELECT low_balance_micros, low_balance_alerted FROM account')
        .toArray()[0];
      this.state = { threshold: row?.low_balance_micros ?? null, alerted: (row?.low_balance_alerted ?? 0) === 1 };
    }
    return this.state;
  }

  /** Sets (null: off) the threshold; armed again. */
  set(sql: SqlStorage, threshold: number | null): void {
    sql.exec('UPDATE account SET low_balance_micros = ?, low_balance_alerted = 0', threshold);
    this.state = undefined;
  }

  /**
   * Inside a settlement transaction: raises the alert (an outbox row) when `available` is under the
   * threshold and it is not raised yet. Returns the undo for a rollback, or null when nothing changed.
   */
  check(sql: SqlStorage, accountId: string, row: AccountRow, available: number, now: number): (() => void) | null {
    const state = this.setting(sql);
    if (state.threshold === null || state.alerted || available >= state.threshold) return null;
    const alert: RaisedAlert = {
      type: 'balance.low',
      accountId,
      dedupeKey: `balance.low:${accountId}:${row.last_seq}`,
      message:
        `The balance is low: ${usdText(Math.max(0, available))} available, ` +
        `under the ${usdText(state.threshold)} you asked to be told about. Top up to keep requests flowing.`,
      spentMicros: Math.max(0, available),
      amountMicros: state.threshold,
      createdAt: now,
    };
    sql.exec("INSERT INTO outbox (kind, payload) VALUES ('alert', ?)", JSON.stringify(alert));
    sql.exec('UPDATE account SET low_balance_alerted = 1');
    this.state = { ...state, alerted: true };
    return () => {
      this.state = undefined;
    };
  }

  /** After a credit: re-arms the alert once `available` is back at or over the threshold. */
  rearm(sql: SqlStorage, available: number): void {
    const state = this.setting(sql);
    if (state.threshold === null || !state.alerted || available < state.threshold) return;
    sql.exec('UPDATE account SET low_balance_alerted = 0');
    this.state = { ...state, alerted: false };
  }
}
