/**
 * @module pages/notifications/ChannelForm
 * The add/edit channel form: its fields ⇄ the API's channel body, with each error shown beside
 * the field it is about (the API names it in `param`, or as "field: …" in its message).
 */
import { useId, useState, type FormEvent, type ReactNode } from 'react';
import { ApiError, errorText } from '../../api/client';
import type { AlertType, NotificationChannel, NotificationChannelInput, NotificationChannelKind } from '../../api/types';
import { ErrorNote } from '../../components/states';
import { ALERT_TYPES, EVENT_WORDS } from './notification-words';

/** The API's limits. */
const MAX_NAME = 100;
const MAX_URL = 2000;
const MAX_ADDRESSES = 10;
const MAX_ADDRESS = 254;

export interface ChannelFormValues {
  kind: NotificationChannelKind;
  name: string;
  /** The URL, or the addresses comma-separated. */
  target: string;
  events: AlertType[];
  enabled: boolean;
}

type Field = 'kind' | 'name' | 'target' | 'events' | 'enabled';
type FieldErrors = Partial<Record<Field, string>>;

export const EMPTY_CHANNEL_FORM: ChannelFormValues = { kind: 'email', name: '', target: '', events: [...ALERT_TYPES], enabled: true };

/** The form filled from an existing channel. */
export function valuesFromChannel(channel: NotificationChannel): ChannelFormValues {
  return {
    kind: channel.kind,
    name: channel.name,
    target: Array.isArray(channel.target) ? channel.target.join(', ') : channel.target,
    events: ALERT_TYPES.filter((t) => channel.events.includes(t)),
    enabled: channel.enabled,
  };
}

/** "a@x.io, b@y.io; c@z.io" → the distinct addresses, in order. */
export function splitAddresses(text: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const part of text.split(/[\s,;]+/)) {
    const address = part.trim();
    if (address && !seen.has(address.toLowerCase())) {
      seen.add(address.toLowerCase());
      out.push(address);
    }
  }
  return out;
}

const ADDRESS = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function targetOf(kind: NotificationChannelKind, text: string): string | string[] | { error: string } {
  if (kind === 'email') {
    const addresses = splitAddresses(text);
    if (addresses.length === 0) return { error: 'Give at least one e-mail address.' };
    if (addresses.length > MAX_ADDRESSES) return { error: `At most ${MAX_ADDRESSES} addresses.` };
    const bad = addresses.find((a) => a.length > MAX_ADDRESS || !ADDRESS.test(a));
    if (bad) return { error: `“${bad}” is not an e-mail address.` };
    return addresses;
  }
  const url = text.trim();
  if (!url) return { error: kind === 'slack' ? 'Paste the incoming webhook URL.' : 'Give the URL to POST alerts to.' };
  if (url.length > MAX_URL) return { error: `At most ${MAX_URL} characters.` };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { error: 'A full URL, such as https://example.com/hooks/gateway.' };
  }
  // The gateway insists on https (plain http only on a local deployment): it says so itself.
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return { error: 'The URL must start with https://.' };
  return url;
}

/** The API body for the form (without kind when editing), or the errors by field. */
export function channelInputFromValues(v: ChannelFormValues): { input: NotificationChannelInput } | { errors: FieldErrors } {
  const errors: FieldErrors = {};
  const name = v.name.trim();
  if (!name) errors.name = 'Give the channel a name.';
  else if (name.length > MAX_NAME) errors.name = `At most ${MAX_NAME} characters.`;
  const target = targetOf(v.kind, v.target);
  if (typeof target === 'object' && !Array.isArray(target)) errors.target = target.error;
  if (v.events.length === 0) errors.events = 'Pick at least one kind of alert.';
  if (Object.keys(errors).length > 0) return { errors };
  return { input: { kind: v.kind, name, target: target as string | string[], events: ALERT_TYPES.filter((t) => v.events.includes(t)), enabled: v.enabled } };
}

const FIELDS: ReadonlySet<string> = new Set<Field>(['kind', 'name', 'target', 'events', 'enabled']);

/**
 * The form field an API error is about, and its message without the "field: " prefix. An
 * address the gateway refused ("target.2") is named by the address itself.
 */
function fieldOfError(error: unknown, values: ChannelFormValues): { field: Field; message: string } | null {
  if (!(error instanceof ApiError) || error.code !== 'invalid_request') return null;
  const match = /^([A-Za-z_]+)((?:\.[\w]+)*):\s*(.+)$/s.exec(error.message);
  const path = error.param ?? (match ? `${match[1]}${match[2]}` : null);
  const [name, index] = path?.split('.') ?? [];
  if (!name || !FIELDS.has(name)) return null;
  let message = match && match[1] === name ? match[3] : error.message;
  message = message.charAt(0).toUpperCase() + message.slice(1);
  if (name === 'target' && values.kind === 'email' && index !== undefined && /^\d+$/.test(index)) {
    const address = splitAddresses(values.target)[Number(index)];
    if (address) message = `“${address}”: ${message}`;
  }
  return { field: name as Field, message };
}

const KIND_OPTIONS: Array<{ value: NotificationChannelKind; label: string }> = [
  { value: 'email', label: 'E-mail' },
  { value: 'webhook', label: 'Webhook (signed JSON POST)' },
  { value: 'slack', label: 'Slack-compatible incoming webhook' },
];

const TARGET: Record<NotificationChannelKind, { label: string; placeholder: string; hint: string }> = {
  email: {
    label: 'E-mail addresses',
    placeholder: 'ops@example.com, finance@example.com',
    hint: `Comma-separated, up to ${MAX_ADDRESSES}. Each gets its own mail.`,
  },
  webhook: {
    label: 'URL',
    placeholder: 'https://example.com/hooks/gateway',
    hint: 'An https URL on a public host. It receives each alert as JSON, signed with the channel’s secret.',
  },
  slack: {
    label: 'Incoming webhook URL',
    placeholder: 'https://hooks.slack.com/services/…',
    hint: 'Slack, Mattermost, Rocket.Chat or Discord’s /slack endpoint: it receives {"text": "…"}.',
  },
};

interface ChannelFormProps {
  initial: ChannelFormValues;
  /** Editing: the kind is fixed. */
  editing?: boolean;
  submitLabel: string;
  /** Saves the body; a thrown ApiError is shown by the field it names. */
  onSubmit(input: NotificationChannelInput): Promise<void>;
  onCancel(): void;
}

/** The add/edit channel form. */
export function ChannelForm({ initial, editing = false, submitLabel, onSubmit, onCancel }: ChannelFormProps) {
  const id = useId();
  const [v, setV] = useState(initial);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const fieldId = (field: Field) => `${id}-${field}`;
  const focus = (field: Field) => document.getElementById(fieldId(field))?.focus();
  function change<K extends Field>(field: K, value: ChannelFormValues[K]) {
    setV((old) => ({ ...old, [field]: value }));
    // Another kind reads the target differently: its error no longer applies either.
    setErrors((old) =>
      old[field] || (field === 'kind' && old.target) ? { ...old, [field]: undefined, ...(field === 'kind' ? { target: undefined } : {}) } : old,
    );
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    setError(null);
    const result = channelInputFromValues(v);
    if ('errors' in result) {
      setErrors(result.errors);
      const first = (Object.keys(result.errors) as Field[])[0];
      if (first) focus(first);
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      await onSubmit(result.input);
    } catch (e) {
      const named = fieldOfError(e, v);
      if (named) {
        setErrors({ [named.field]: named.message });
        focus(named.field);
      } else {
        setError(errorText(e));
      }
    } finally {
      setBusy(false);
    }
  }

  /** aria props tying an input to its hint and error. */
  const describe = (field: Field, hint: boolean) => ({
    id: fieldId(field),
    'aria-invalid': errors[field] ? true : undefined,
    'aria-describedby': [hint ? `${fieldId(field)}-hint` : '', errors[field] ? `${fieldId(field)}-error` : ''].filter(Boolean).join(' ') || undefined,
  });
  const after = (field: Field, hint?: ReactNode) => (
    <>
      {hint && (
        <p className="hint" id={`${fieldId(field)}-hint`}>
          {hint}
        </p>
      )}
      {errors[field] && (
        <p className="field-error" id={`${fieldId(field)}-error`}>
          {errors[field]}
        </p>
      )}
    </>
  );

  const target = TARGET[v.kind];
  return (
    <form className="form" onSubmit={submit} noValidate>
      <div className="field-row">
        <div className="field">
          <label htmlFor={fieldId('kind')}>Kind</label>
          <select {...describe('kind', editing)} value={v.kind} onChange={(e) => change('kind', e.target.value as NotificationChannelKind)} disabled={editing}>
            {KIND_OPTIONS.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
          {after('kind', editing ? 'A channel’s kind cannot change: add a new channel instead.' : undefined)}
        </div>
        <div className="field">
          <label htmlFor={fieldId('name')}>Name</label>
          <input {...describe('name', true)} value={v.name} onChange={(e) => change('name', e.target.value)} required maxLength={MAX_NAME} autoComplete="off" />
          {after('name', 'Something to recognise it by, e.g. "Ops on-call" or "Finance".')}
        </div>
      </div>

      <div className="field">
        <label htmlFor={fieldId('target')}>{target.label}</label>
        <input
          {...describe('target', true)}
          type={v.kind === 'email' ? 'text' : 'url'}
          inputMode={v.kind === 'email' ? 'email' : 'url'}
          value={v.target}
          onChange={(e) => change('target', e.target.value)}
          required
          placeholder={target.placeholder}
          autoComplete="off"
          spellCheck={false}
        />
        {after('target', target.hint)}
      </div>

      <fieldset aria-describedby={errors.events ? `${fieldId('events')}-error` : undefined}>
        <legend>Alerts it receives</legend>
        <div className="field-row">
          {ALERT_TYPES.map((type, i) => (
            <label key={type} className="check">
              <input
                type="checkbox"
                // The first box is the one an error about the list focuses.
                id={i === 0 ? fieldId('events') : undefined}
                aria-invalid={errors.events ? true : undefined}
                checked={v.events.includes(type)}
                onChange={(e) => change('events', e.target.checked ? [...v.events, type] : v.events.filter((t) => t !== type))}
              />{' '}
              {EVENT_WORDS[type]}
            </label>
          ))}
        </div>
        {after('events')}
      </fieldset>

      <label className="check">
        <input type="checkbox" id={fieldId('enabled')} checked={v.enabled} onChange={(e) => change('enabled', e.target.checked)} /> Send alerts to this channel
      </label>
      {after('enabled')}

      {error && <ErrorNote message={error} />}
      <div className="actions">
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Saving…' : submitLabel}
        </button>
      </div>
    </form>
  );
}
