/**
 * @module pages/notifications/notification-words
 * Channels and deliveries in plain words: kinds, alert types, targets, delivery states and what
 * an attempt answered.
 */
import type { AlertType, DeliveryAttempt, NotificationChannel, NotificationChannelKind, NotificationDelivery } from '../../api/types';
import { formatDateTime } from '../../lib/time';

/** Every alert type, in the order the dashboard lists them (all of them is the API's default). */
export const ALERT_TYPES: readonly AlertType[] = [
  'budget.threshold',
  'budget.forecast',
  'balance.low',
  'auto_recharge.failed',
  'anomaly.key_spend',
  'anomaly.daily',
];

/** The alert types a channel takes, as a list of kinds of alert. */
export const EVENT_WORDS: Record<AlertType, string> = {
  'budget.threshold': 'Budget thresholds',
  'balance.low': 'Low balance',
  'auto_recharge.failed': 'Auto-recharge failures',
  'anomaly.key_spend': 'Key spend anomalies (real time)',
  'anomaly.daily': 'Daily cost anomalies',
  'budget.forecast': 'Budgets forecast to run out',
};

/** One delivery's event. */
const DELIVERY_EVENT_WORDS: Record<NotificationDelivery['eventType'], string> = {
  'budget.threshold': 'Budget threshold',
  'balance.low': 'Low balance',
  'auto_recharge.failed': 'Auto-recharge failed',
  'anomaly.key_spend': 'Key spend anomaly',
  'anomaly.daily': 'Daily cost anomaly',
  'budget.forecast': 'Budget forecast to run out',
  test: 'Test',
};

export const KIND_WORDS: Record<NotificationChannelKind, string> = {
  email: 'E-mail',
  webhook: 'Webhook',
  slack: 'Slack',
};

/** "Budget thresholds, Low balance"; an unknown type as it came. */
export function eventsWords(events: readonly string[]): string {
  return events.map((e) => EVENT_WORDS[e as AlertType] ?? e).join(', ');
}

/** "Budget threshold", "Test"; an unknown type as it came. */
export function deliveryEventWords(type: string): string {
  return DELIVERY_EVENT_WORDS[type as NotificationDelivery['eventType']] ?? type;
}

/** The URL, or the addresses joined. */
export function targetWords(channel: Pick<NotificationChannel, 'target'>): string {
  return Array.isArray(channel.target) ? channel.target.join(', ') : channel.target;
}

/** "HTTP 500", "HTTP 500: …", "sent" (e-mail), or the error alone. */
export function attemptWords(a: Pick<DeliveryAttempt, 'statusCode' | 'error'>): string {
  // A non-2xx answer's error is just "HTTP <code>": said once.
  const code = a.statusCode === null ? null : `HTTP ${a.statusCode}`;
  if (a.error === null) return code ?? 'Sent';
  if (code === null || a.error === code) return a.error;
  return `${code}: ${a.error}`;
}

/** A short mark for an attempt in a row of them: "200", "500", "error", "sent". */
export function attemptMark(a: DeliveryAttempt): string {
  if (a.statusCode !== null) return String(a.statusCode);
  return a.error === null ? 'sent' : 'error';
}

const STATUS: Record<NotificationDelivery['status'] | 'retrying', { words: string; tone: string }> = {
  delivered: { words: 'Delivered', tone: 'good' },
  failed: { words: 'Failed', tone: 'bad' },
  retrying: { words: 'Retrying', tone: 'warn' },
  pending: { words: 'Pending', tone: 'wait' },
};

/** Pending after a failed attempt reads "Retrying". */
function statusKey(d: Pick<NotificationDelivery, 'status' | 'attempts'>): keyof typeof STATUS {
  return d.status === 'pending' && d.attempts > 0 ? 'retrying' : d.status;
}

/** "Delivered", "Failed", "Retrying" or "Pending" (for CSV and sorting). */
export function deliveryStatusWords(d: Pick<NotificationDelivery, 'status' | 'attempts'>): string {
  return STATUS[statusKey(d)].words;
}

/** The delivery's state as a badge: words and colour, not colour alone. */
export function DeliveryStatusBadge({ delivery }: { delivery: Pick<NotificationDelivery, 'status' | 'attempts'> }) {
  const s = STATUS[statusKey(delivery)];
  return <span className={`status ${s.tone}`}>{s.words}</span>;
}

/** What a test send did, for the notice after "Send test". */
export function testResultWords(channelName: string, d: NotificationDelivery | null): { tone: 'ok' | 'warn'; text: string } {
  const last = d?.log.at(-1);
  if (!d || !last) return { tone: 'warn', text: `The test to “${channelName}” is queued; its result will show in the delivery log.` };
  if (d.status === 'delivered') {
    const how = last.statusCode === null ? 'sent' : `HTTP ${last.statusCode}`;
    return { tone: 'ok', text: `Test delivered to “${channelName}” (${how}, ${last.ms} ms).` };
  }
  const retry =
    d.status === 'pending' && d.nextAttemptAt !== null ? ` It is retried like any alert: next attempt ${formatDateTime(d.nextAttemptAt, true)}.` : '';
  return { tone: 'warn', text: `The test to “${channelName}” failed: ${attemptWords(last)}.${retry}` };
}
