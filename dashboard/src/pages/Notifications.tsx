/**
 * @module pages/Notifications
 * Notifications: the channels alerts go to (e-mail, signed webhooks, Slack-compatible incoming
 * webhooks) with a test send, each channel's delivery log, webhook secret rotation, and the
 * low-balance alert. The protocol: docs/notifications.md.
 */
import { useState } from 'react';
import { api, errorText } from '../api/client';
import type { NotificationChannel, NotificationChannelInput, NotificationChannelPatch, NotificationDelivery } from '../api/types';
import { atLeast } from '../api/roles';
import { useRole } from '../api/session';
import { useAction } from '../api/use-action';
import { useResource } from '../api/use-resource';
import { actionsColumn, DataTable, resourceState, type Column } from '../components/DataTable';
import { ConfirmDialog, Dialog } from '../components/Dialog';
import { PageHeader } from '../components/PageHeader';
import { ErrorNote, Notice } from '../components/states';
import { formatDateTime, isoTime } from '../lib/time';
import { ChannelForm, EMPTY_CHANNEL_FORM, valuesFromChannel } from './notifications/ChannelForm';
import { DeliveriesDialog } from './notifications/Deliveries';
import { LowBalanceCard } from './notifications/LowBalanceCard';
import { eventsWords, KIND_WORDS, targetWords, testResultWords } from './notifications/notification-words';
import { SecretDialog, type ShownSecret } from './notifications/SecretDialog';

const CHANNELS = '/api/account/notification-channels';
const channelPath = (id: string, action = '') => `${CHANNELS}/${encodeURIComponent(id)}${action}`;

const CHANNEL_COLUMNS: Column<NotificationChannel>[] = [
  {
    key: 'name',
    header: 'Name',
    cell: (c) => (
      <>
        <strong>{c.name}</strong>
        <div className="sub">Added {formatDateTime(c.createdAt)}</div>
      </>
    ),
    sortValue: (c) => c.name,
    csv: { name: (c) => c.name, id: (c) => c.id, created_at: (c) => isoTime(c.createdAt) },
  },
  {
    key: 'kind',
    header: 'Kind',
    cell: (c) => (
      <>
        {KIND_WORDS[c.kind]}
        {c.secretHint && <div className="sub nowrap">Secret {c.secretHint}</div>}
      </>
    ),
    sortValue: (c) => KIND_WORDS[c.kind],
    csv: { kind: (c) => c.kind },
  },
  {
    key: 'target',
    header: 'Target',
    cell: (c) => <span className="soft-break">{targetWords(c)}</span>,
    sortValue: (c) => targetWords(c),
    csv: { target: (c) => targetWords(c) },
  },
  {
    key: 'events',
    header: 'Alerts',
    cell: (c) => eventsWords(c.events),
    csv: { events: (c) => c.events.join(' ') },
  },
];

/** /notifications: channels are read and changed by admins and owners only. */
export function NotificationsPage() {
  if (atLeast(useRole(), 'admin')) return <NotificationSettings />;
  return (
    <>
      <PageHeader title="Notifications" description="Where alerts go: e-mail, signed webhooks and Slack." />
      <Notice tone="info">Only admins and owners see and change where alerts go. The alerts themselves are on the Budgets page.</Notice>
    </>
  );
}

function NotificationSettings() {
  const channels = useResource<{ channels: NotificationChannel[] }>(CHANNELS);
  // What an edit or switch answered, shown until a reload brings the same (or newer).
  const [fresh, setFresh] = useState<Record<string, NotificationChannel>>({});
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<NotificationChannel | null>(null);
  const [deleting, setDeleting] = useState<NotificationChannel | null>(null);
  const [rotating, setRotating] = useState<NotificationChannel | null>(null);
  const [viewing, setViewing] = useState<NotificationChannel | null>(null);
  const [secret, setSecret] = useState<ShownSecret | null>(null);
  // Channels being switched on or off, by id: the state asked for, shown until the answer.
  const [switching, setSwitching] = useState<Readonly<Record<string, boolean>>>({});
  const [testing, setTesting] = useState<string | null>(null);
  const [result, setResult] = useState<{ channel: NotificationChannel; tone: 'ok' | 'warn'; text: string } | null>(null);
  const [rowError, setRowError] = useState<string | null>(null);
  const removal = useAction();
  const rotation = useAction();

  const list = channels.data?.channels.map((c) => {
    const f = fresh[c.id];
    return f && f.updatedAt >= c.updatedAt ? f : c;
  });

  function remember(channel: NotificationChannel) {
    setFresh((old) => ({ ...old, [channel.id]: channel }));
  }

  // Errors are thrown on to the form, which shows each by the field it names.
  async function create(input: NotificationChannelInput) {
    const created = await api<{ channel: NotificationChannel; secret: string | null }>(CHANNELS, { method: 'POST', body: input });
    setCreating(false);
    setResult(null);
    channels.reload();
    if (created.secret) setSecret({ channelName: created.channel.name, secret: created.secret, rotated: false });
  }

  async function update(input: NotificationChannelInput) {
    if (!editing) return;
    // The kind cannot change (the API refuses the field).
    const patch: NotificationChannelPatch = { name: input.name, target: input.target, events: input.events, enabled: input.enabled };
    const saved = await api<{ channel: NotificationChannel }>(channelPath(editing.id), { method: 'PATCH', body: patch });
    remember(saved.channel);
    setEditing(null);
    channels.reload();
  }

  async function switchChannel(c: NotificationChannel, enabled: boolean) {
    if (c.id in switching) return;
    setRowError(null);
    setSwitching((old) => ({ ...old, [c.id]: enabled }));
    try {
      const saved = await api<{ channel: NotificationChannel }>(channelPath(c.id), { method: 'PATCH', body: { enabled } satisfies NotificationChannelPatch });
      remember(saved.channel);
      channels.reload();
    } catch (e) {
      setRowError(`“${c.name}” could not be switched ${enabled ? 'on' : 'off'}: ${errorText(e)}`);
    } finally {
      setSwitching(({ [c.id]: _done, ...rest }) => rest);
    }
  }

  async function sendTest(c: NotificationChannel) {
    if (testing) return;
    setTesting(c.id);
    setResult(null);
    setRowError(null);
    try {
      const sent = await api<{ delivery: NotificationDelivery }>(channelPath(c.id, '/test'), { method: 'POST' });
      setResult({ channel: c, ...testResultWords(c.name, sent.delivery) });
    } catch (e) {
      setRowError(`The test to “${c.name}” could not be sent: ${errorText(e)}`);
    } finally {
      setTesting(null);
    }
  }

  function remove() {
    const target = deleting;
    if (!target) return;
    void removal.run(async () => {
      await api(channelPath(target.id), { method: 'DELETE' });
      setDeleting(null);
      if (result?.channel.id === target.id) setResult(null);
      channels.reload();
    });
  }

  function rotate() {
    const target = rotating;
    if (!target) return;
    void rotation.run(async () => {
      const rotated = await api<{ channel: NotificationChannel; secret: string }>(channelPath(target.id, '/rotate-secret'), { method: 'POST' });
      remember(rotated.channel);
      setRotating(null);
      setSecret({ channelName: rotated.channel.name, secret: rotated.secret, rotated: true });
      channels.reload();
    });
  }

  const columns: Column<NotificationChannel>[] = [
    ...CHANNEL_COLUMNS,
    {
      key: 'enabled',
      header: 'Enabled',
      cell: (c) => (
        <label className="check">
          <input
            type="checkbox"
            checked={switching[c.id] ?? c.enabled}
            disabled={c.id in switching}
            onChange={(e) => void switchChannel(c, e.target.checked)}
            aria-label={`Send alerts to “${c.name}”`}
          />
          {(switching[c.id] ?? c.enabled) ? 'On' : 'Off'}
        </label>
      ),
      sortValue: (c) => (c.enabled ? 0 : 1),
      csv: { enabled: (c) => (c.enabled ? 'yes' : 'no') },
    },
    actionsColumn<NotificationChannel>((c) => (
      <div className="action-group">
        <button type="button" className="secondary small" onClick={() => void sendTest(c)} disabled={testing !== null} aria-label={`Send a test to ${c.name}`}>
          {testing === c.id ? 'Sending…' : 'Send test'}
        </button>
        <button type="button" className="secondary small" onClick={() => setViewing(c)} aria-label={`Deliveries to ${c.name}`}>
          Deliveries
        </button>
        <button type="button" className="secondary small" onClick={() => setEditing(c)} aria-label={`Edit ${c.name}`}>
          Edit
        </button>
        {c.kind === 'webhook' && (
          <button
            type="button"
            className="secondary small"
            onClick={() => {
              rotation.setError(null);
              setRotating(c);
            }}
            aria-label={`Rotate the signing secret of ${c.name}`}
          >
            Rotate secret
          </button>
        )}
        <button
          type="button"
          className="danger-outline small"
          onClick={() => {
            removal.setError(null);
            setDeleting(c);
          }}
          aria-label={`Delete ${c.name}`}
        >
          Delete
        </button>
      </div>
    )),
  ];

  return (
    <>
      <PageHeader
        title="Notifications"
        description="Where budget, low-balance and auto-recharge alerts go: e-mail, signed webhooks or a Slack-compatible incoming webhook."
        actions={
          <button type="button" className="primary" onClick={() => setCreating(true)}>
            Add channel
          </button>
        }
      />

      {rowError && <ErrorNote message={rowError} />}
      {result && (
        <Notice tone={result.tone}>
          {result.text}{' '}
          <button type="button" className="link-button" onClick={() => setViewing(result.channel)}>
            Open the delivery log
          </button>
        </Notice>
      )}

      <section className="card flush">
        <DataTable
          title="Channels"
          columns={columns}
          rows={list}
          rowKey={(c) => c.id}
          rowClassName={(c) => (c.enabled ? undefined : 'dim')}
          {...resourceState(channels)}
          loadingText="Loading your channels…"
          empty="No channels yet. Add one to get alerts by e-mail, webhook or Slack; until then they are only listed on the Budgets page."
          csvName="notification-channels"
        />
      </section>

      <LowBalanceCard channels={list} />

      <section className="card" aria-labelledby="signing-heading">
        <h2 id="signing-heading">Webhook signatures</h2>
        <p>
          Every webhook POST is signed: its <code>x-gateway-signature</code> header is <code>t=&lt;unix seconds&gt;,v1=&lt;hex&gt;</code>, an HMAC-SHA256 of{' '}
          <code>&lt;t&gt;.&lt;raw body&gt;</code> keyed with the channel’s secret. Check it against the raw body before parsing, refuse an old <code>t</code>,
          and treat the event id as a key (a delivery whose answer was lost is sent again).
        </p>
        <p className="muted">
          How to verify: <code>docs/notifications.md</code> in the gateway’s repository, with a Node example. The endpoints are in the{' '}
          <a href="/docs">API reference</a> (tag Notifications).
        </p>
      </section>

      <Dialog open={creating} title="Add channel" onClose={() => setCreating(false)}>
        <ChannelForm initial={EMPTY_CHANNEL_FORM} submitLabel="Add channel" onSubmit={create} onCancel={() => setCreating(false)} />
      </Dialog>
      <Dialog open={editing !== null} title={`Edit “${editing?.name ?? ''}”`} onClose={() => setEditing(null)}>
        {editing && (
          <ChannelForm
            key={editing.id}
            initial={valuesFromChannel(editing)}
            editing
            submitLabel="Save changes"
            onSubmit={update}
            onCancel={() => setEditing(null)}
          />
        )}
      </Dialog>
      <DeliveriesDialog channel={viewing} onClose={() => setViewing(null)} />
      <SecretDialog shown={secret} onClose={() => setSecret(null)} />
      <ConfirmDialog
        open={rotating !== null}
        title="Rotate the signing secret?"
        confirmLabel="Rotate secret"
        busy={rotation.busy}
        error={rotation.error}
        onConfirm={rotate}
        onClose={() => setRotating(null)}
      >
        {rotating && (
          <>
            <p>
              “{rotating.name}” gets a new signing secret, shown once. The old one{rotating.secretHint ? ` (${rotating.secretHint})` : ''} keeps signing for 24
              hours: each delivery carries a second <code>v1</code> signature with it, so your receiver can switch over at its own pace.
            </p>
            <p>After 24 hours only the new secret signs.</p>
          </>
        )}
      </ConfirmDialog>
      <ConfirmDialog
        open={deleting !== null}
        title="Delete this channel?"
        confirmLabel="Delete channel"
        busy={removal.busy}
        error={removal.error}
        onConfirm={remove}
        onClose={() => setDeleting(null)}
      >
        {deleting && (
          <p>
            Alerts stop going to “{deleting.name}” ({KIND_WORDS[deleting.kind]} to {targetWords(deleting)}) at once, and deliveries still waiting for a retry
            are dropped. The alerts themselves stay listed on the Budgets page.
          </p>
        )}
      </ConfirmDialog>
    </>
  );
}
