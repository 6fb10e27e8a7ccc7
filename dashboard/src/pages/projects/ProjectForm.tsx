/**
 * @module pages/projects/ProjectForm
 * A project's name, the models its keys may use, the limits its new keys get by default, and its
 * members; used to create and to edit.
 */
import { useId, useState, type FormEvent } from 'react';
import { errorText } from '../../api/client';
import type { Member, ProjectInput } from '../../api/types';
import { CheckList } from '../../components/CheckList';
import { ErrorNote } from '../../components/states';
import { projectInputFromValues, type ProjectFormValues } from './project-form-values';

interface ProjectFormProps {
  initial: ProjectFormValues;
  members: Member[] | undefined;
  submitLabel: string;
  /** Saves the body; a thrown error is shown under the form. */
  onSubmit(input: ProjectInput): Promise<void>;
  onCancel(): void;
}

type TextField = Exclude<keyof ProjectFormValues, 'members' | 'period'>;

/** The create/edit project form. */
export function ProjectForm({ initial, members, submitLabel, onSubmit, onCancel }: ProjectFormProps) {
  const id = useId();
  const [v, setV] = useState(initial);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    setError(null);
    let input: ProjectInput;
    try {
      input = projectInputFromValues(v);
    } catch (e) {
      setError((e as Error).message);
      return;
    }
    setBusy(true);
    try {
      await onSubmit(input);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  }

  const field = (name: TextField, label: string, hint: string, props: Record<string, unknown> = {}) => (
    <div className="field">
      <label htmlFor={`${id}-${name}`}>{label}</label>
      <input
        id={`${id}-${name}`}
        value={v[name]}
        onChange={(e) => setV((old) => ({ ...old, [name]: e.target.value }))}
        aria-describedby={`${id}-${name}-hint`}
        autoComplete="off"
        {...props}
      />
      <p className="hint" id={`${id}-${name}-hint`}>
        {hint}
      </p>
    </div>
  );

  return (
    <form className="form" onSubmit={submit}>
      {field('name', 'Name', 'e.g. "Chat widget" or "Data team".', { required: true, maxLength: 100 })}
      {field('allowedServices', 'Allowed models', 'Comma-separated model names its keys may call. Empty: every model.', {
        placeholder: 'all models',
        spellCheck: false,
      })}
      <fieldset>
        <legend>Defaults for new keys</legend>
        <p className="hint">A new key in this project gets these limits where its own form leaves them empty.</p>
        <div className="field-row">
          {field('requestsPerMinute', 'Requests per minute', 'Empty: the model default.', { inputMode: 'numeric', placeholder: 'default' })}
          {field('maxConcurrent', 'Max concurrent requests', 'Empty: the model default.', { inputMode: 'numeric', placeholder: 'default' })}
        </div>
        <div className="field-row">
          {field('spendLimit', 'Lifetime spend limit (USD)', 'Empty: no limit.', { inputMode: 'decimal', placeholder: 'no limit' })}
          {field('periodSpendLimit', 'Period spend limit (USD)', 'Empty: no limit.', { inputMode: 'decimal', placeholder: 'no limit' })}
          <div className="field">
            <label htmlFor={`${id}-period`}>Period</label>
            <select id={`${id}-period`} value={v.period} onChange={(e) => setV((old) => ({ ...old, period: e.target.value as 'day' | 'month' }))}>
              <option value="day">Day</option>
              <option value="month">Month</option>
            </select>
          </div>
        </div>
      </fieldset>
      <CheckList
        legend="Members"
        options={(members ?? []).map((m) => ({ value: m.userId, label: m.name || m.email, detail: m.name ? m.email : undefined }))}
        selected={v.members}
        onChange={(selected) => setV((old) => ({ ...old, members: selected }))}
        empty={members ? 'No members yet.' : 'Loading members…'}
        hint="Developers manage the keys of their projects only; admins and owners manage all."
      />
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
