/**
 * @module pages/keys/KeyForm
 * Name and every limit a key can carry; used to create and to edit.
 */
import { useId, useState, type FormEvent } from 'react';
import type { KeyInput } from '../../api/types';
import { ErrorNote } from '../../components/states';
import { keyInputFromValues, type KeyFormValues } from './key-form-values';

interface KeyFormProps {
  initial: KeyFormValues;
  submitLabel: string;
  onSubmit(input: KeyInput): Promise<void>;
  onCancel(): void;
}

/** The create/edit key form; the API error (if any) is shown under it. */
export function KeyForm({ initial, submitLabel, onSubmit, onCancel }: KeyFormProps) {
  const id = useId();
  const [v, setV] = useState(initial);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const set = (field: keyof KeyFormValues) => (e: { target: { value: string } }) => setV((old) => ({ ...old, [field]: e.target.value }));

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    let input: KeyInput;
    try {
      input = keyInputFromValues(v);
    } catch (e) {
      setError((e as Error).message);
      return;
    }
    setBusy(true);
    try {
      await onSubmit(input);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  }

  const field = (name: keyof KeyFormValues, label: string, hint: string, props: Record<string, unknown> = {}) => (
    <div className="field">
      <label htmlFor={`${id}-${name}`}>{label}</label>
      <input id={`${id}-${name}`} value={v[name]} onChange={set(name)} aria-describedby={`${id}-${name}-hint`} {...props} />
      <p className="hint" id={`${id}-${name}-hint`}>
        {hint}
      </p>
    </div>
  );

  return (
    <form className="form key-form" onSubmit={submit}>
      {field('name', 'Name', 'Something to recognise it by, e.g. "production" or "laptop".', { required: true, maxLength: 100, autoFocus: true })}
      <fieldset>
        <legend>Access</legend>
        {field('allowedServices', 'Allowed models', 'Comma-separated model names. Empty: every model.', { placeholder: 'all models' })}
        <div className="field">
          <label htmlFor={`${id}-expiresAt`}>Expires</label>
          <input id={`${id}-expiresAt`} type="datetime-local" value={v.expiresAt} onChange={set('expiresAt')} aria-describedby={`${id}-expiresAt-hint`} />
          <p className="hint" id={`${id}-expiresAt-hint`}>
            Empty: never expires. Your local time.
          </p>
        </div>
      </fieldset>
      <fieldset>
        <legend>Rate limits</legend>
        <div className="field-row">
          {field('requestsPerMinute', 'Requests per minute', 'Empty: the model default.', { inputMode: 'numeric', placeholder: 'default' })}
          {field('maxConcurrent', 'Max concurrent requests', 'Empty: the model default.', { inputMode: 'numeric', placeholder: 'default' })}
        </div>
        <div className="field-row">
          {field('tokensPerMinute', 'Tokens per minute', 'For every model not listed separately.', { inputMode: 'numeric', placeholder: 'default' })}
          {field('tokensPerMinuteByModel', 'Tokens per minute by model', 'e.g. llama-3-8b=20000, qwen-7b=5000', { placeholder: 'none' })}
        </div>
      </fieldset>
      <fieldset>
        <legend>Spend limits</legend>
        <div className="field-row">
          {field('spendLimit', 'Lifetime spend limit (USD)', 'Empty: no limit.', { inputMode: 'decimal', placeholder: 'no limit' })}
          {field('periodSpendLimit', 'Period spend limit (USD)', 'Resets each period (UTC). Empty: no limit.', {
            inputMode: 'decimal',
            placeholder: 'no limit',
          })}
          <div className="field">
            <label htmlFor={`${id}-period`}>Period</label>
            <select id={`${id}-period`} value={v.period} onChange={set('period')}>
              <option value="day">Day</option>
              <option value="month">Month</option>
            </select>
          </div>
        </div>
      </fieldset>
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
