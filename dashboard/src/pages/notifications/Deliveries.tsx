/**
 * @module pages/notifications/Deliveries
 * A channel's delivery log, newest first: each alert (or test) sent to it, its state, and every
 * attempt's status code or error in order; with CSV download and "Show older deliveries".
 */
import { useState } from 'react';
import { query } from '../../api/client';
import type { DeliveryAttempt, NotificationChannel, NotificationDelivery } from '../../api/types';
import { useResource } from '../../api/use-resource';
import { DataTable, resourceState, type Column } from '../../components/DataTable';
import { Dialog } from '../../components/Dialog';
import { formatDateTime, isoTime } from '../../lib/time';
import { attemptMark, attemptWords, DeliveryStatusBadge, deliveryEventWords, deliveryStatusWords, KIND_WORDS, targetWords } from './notification-words';

const PAGE = 50;
/** The API's largest page. */
const MAX_LIMIT = 200;

/** The attempts in order ("500 → 500 → 200"), opening onto each one's time, answer and duration. */
function AttemptLog({ log }: { log: DeliveryAttempt[] }) {
  if (log.length === 0) return <span className="muted">No attempt yet</span>;
  return (
    <details className="attempt-log">
      <summary>{log.map(attemptMark).join(' → ')}</summary>
      <ol>
        {log.map((a, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: the log only grows at its end and is never reordered, so the position is the attempt.
          <li key={i}>
            {formatDateTime(a.at, true)}: {attemptWords(a)} <span className="muted">({a.ms} ms)</span>
          </li>
        ))}
      </ol>
    </details>
  );
}

const DELIVERY_COLUMNS: Column<NotificationDelivery>[] = [
  {
    key: 'time',
    header: 'Time',
    cell: (d) => formatDateTime(d.createdAt, true),
    sortValue: (d) => d.createdAt,
    csv: { created_at: (d) => isoTime(d.createdAt), delivered_at: (d) => (d.deliveredAt === null ? '' : isoTime(d.deliveredAt)) },
  },
  {
    key: 'event',
    header: 'Event',
    cell: (d) => (
      <>
        <strong>{deliveryEventWords(d.eventType)}</strong>
        {/* Event ids are long: broken anywhere, so they never widen the column. */}
        <div className="sub break">{d.eventId}</div>
      </>
    ),
    sortValue: (d) => d.eventType,
    csv: { event_type: (d) => d.eventType, event_id: (d) => d.eventId, delivery_id: (d) => d.id },
  },
  {
    key: 'status',
    header: 'Status',
    cell: (d) => <DeliveryStatusBadge delivery={d} />,
    sortValue: (d) => deliveryStatusWords(d),
    csv: { status: (d) => d.status },
  },
  {
    key: 'attempts',
    header: 'Attempts',
    align: 'right',
    cell: (d) => d.attempts,
    sortValue: (d) => d.attempts,
    csv: { attempts: (d) => d.attempts },
  },
  {
    key: 'last',
    header: 'Last result',
    cell: (d) => (d.attempts === 0 ? '—' : <span className="soft-break">{attemptWords({ statusCode: d.lastStatusCode, error: d.lastError })}</span>),
    sortValue: (d) => d.lastStatusCode ?? d.lastError,
    csv: { last_status_code: (d) => d.lastStatusCode, last_error: (d) => d.lastError },
  },
  {
    key: 'next',
    header: 'Next attempt',
    cell: (d) => (d.status === 'pending' && d.nextAttemptAt !== null ? formatDateTime(d.nextAttemptAt, true) : '—'),
    sortValue: (d) => (d.status === 'pending' ? d.nextAttemptAt : null),
    csv: { next_attempt_at: (d) => (d.status === 'pending' && d.nextAttemptAt !== null ? isoTime(d.nextAttemptAt) : '') },
  },
  {
    key: 'log',
    header: 'Attempt log',
    cell: (d) => <AttemptLog log={d.log} />,
    csv: { attempt_status_codes: (d) => d.log.map(attemptMark).join(' ') },
  },
];

/** The table for one channel (mounted while its dialog is open, so it is read afresh each time). */
function DeliveryLog({ channel }: { channel: NotificationChannel }) {
  // "Show older" asks for a longer page; the deliveries already shown stay while it loads.
  const [limit, setLimit] = useState(PAGE);
  const deliveries = useResource<{ deliveries: NotificationDelivery[] }>(
    `/api/account/notification-channels/${encodeURIComponent(channel.id)}/deliveries${query({ limit })}`,
  );
  const rows = deliveries.data?.deliveries;
  return (
    <>
      <p className="muted">
        {KIND_WORDS[channel.kind]} to <span className="soft-break">{targetWords(channel)}</span>. A failed attempt is retried after 30 s, doubling up to an
        hour, for 25 hours.
      </p>
      <div className="detail-section">
        <DataTable
          columns={DELIVERY_COLUMNS}
          rows={rows}
          rowKey={(d) => d.id}
          {...resourceState(deliveries)}
          loadingText="Loading deliveries…"
          empty="Nothing sent to this channel yet. Its alerts, and any test you send, show here."
          csvName={`deliveries-${channel.id}`}
          actions={
            <button type="button" className="secondary small" onClick={deliveries.reload} disabled={deliveries.status === 'loading'}>
              Refresh
            </button>
          }
        />
        {rows && rows.length >= limit && limit < MAX_LIMIT && (
          <div className="table-foot">
            <button
              type="button"
              className="secondary small"
              disabled={deliveries.status === 'loading'}
              onClick={() => setLimit((n) => Math.min(n + PAGE, MAX_LIMIT))}
            >
              {deliveries.status === 'loading' ? 'Loading…' : 'Show older deliveries'}
            </button>
          </div>
        )}
      </div>
    </>
  );
}

/** The delivery log of `channel` in a wide dialog (closed while channel is null). */
export function DeliveriesDialog({ channel, onClose }: { channel: NotificationChannel | null; onClose(): void }) {
  return (
    <Dialog open={channel !== null} wide title={`Deliveries to “${channel?.name ?? ''}”`} onClose={onClose}>
      {channel && <DeliveryLog key={channel.id} channel={channel} />}
      <div className="actions">
        <button type="button" className="secondary" onClick={onClose}>
          Close
        </button>
      </div>
    </Dialog>
  );
}
