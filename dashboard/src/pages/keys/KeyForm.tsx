/**
 * @module pages/keys/KeyForm
 * Name, project and every limit a key can carry; used to create and to edit (where a new project
 * moves the key).
 */
import { useEffect, useId, useState, type FormEvent } from 'react';
import type { KeyInput, Project } from '../../api/types';
import { ErrorNote } from '../../components/states';
import { keyDefaultsWords } from '../projects/project-form-values';
import { keyInputFromValues, type KeyFormValues } from './key-form-values';

interface KeyFormProps {
  initial: KeyFormValues;
  /** The projects the key may go in (undefined while they load). */
  projects: Project[] | undefined;
  /** Creating: empty limits take the project's defaults. */
  creating?: boolean;
  /** The project to preselect once the projects have loaded, unless one is chosen by then. */
  defaultProjectId?: string;
  submitLabel: string;
  onSubmit(input: KeyInput): Promise<void>;
  onCancel(): void;
}

/** The create/edit key form; the API error (if any) is shown under it. */
export function KeyForm({ initial, projects, creating = false, defaultProjectId = '', submitLabel, onSubmit, onCancel }: KeyFormProps) {
  const id = useId();
  const [v, setV] = useState(initial);
  // The projects may answer after the form opened.
  useEffect(() => {
    if (defaultProjectId) setV((old) => (old.projectId ? old : { ...old, projectId: defaultProjectId }));
  }, [defaultProjectId]);
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

  const project = projects?.find((p) => p.id === v.projectId);
  const defaults = project && keyDefaultsWords(project.keyDefaults);
  const projectHint = !creating
    ? 'Choosing another project moves the key; its allowed models apply from the next request.'
    : defaults && defaults !== 'None'
      ? `Limits you leave empty take the project’s defaults: ${defaults}.`
      : 'The project decides which models the key may call.';

  return (
    <form className="form key-form" onSubmit={submit}>
      {field('name', 'Name', 'Something to recognise it by, e.g. "production" or "laptop".', { required: true, maxLength: 100, autoFocus: true })}
      <div className="field">
        <label htmlFor={`${id}-projectId`}>Project</label>
        <select id={`${id}-projectId`} value={v.projectId} onChange={set('projectId')} aria-describedby={`${id}-projectId-hint`}>
          {!project && <option value={v.projectId}>{!projects ? 'Loading projects…' : v.projectId ? `Project ${v.projectId}` : 'The default project'}</option>}
          {projects?.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
        <p className="hint" id={`${id}-projectId-hint`}>
          {projectHint}
        </p>
      </div>
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
