/**
 * @module pages/budgets/BudgetForm
 * The create/edit budget form, with each error shown beside the field it is about (the API names
 * it in `param`, or as "field: …" in its message). Its fields ⇄ the body: ./budget-form-values.
 */
import { useId, useState, type FormEvent, type ReactNode } from 'react';
import { errorText } from '../../api/client';
import type { BudgetInput, BudgetScope, BudgetWindow, Calendar, KeyView, Member, Project } from '../../api/types';
import { ErrorNote } from '../../components/states';
import { WEEKDAYS } from './budget-words';
import { type BudgetFormValues, budgetInputFromValues, DEFAULT_THRESHOLDS, type Field, type FieldErrors, fieldOfError } from './budget-form-values';

const SCOPE_OPTIONS: Array<{ value: BudgetScope; label: string }> = [
  { value: 'organization', label: 'Organisation (every request)' },
  { value: 'project', label: 'One project (its keys)' },
  { value: 'member', label: 'One member (the keys they created)' },
  { value: 'key', label: 'One key' },
  { value: 'model', label: 'One model' },
  { value: 'end_user', label: 'Each end user' },
];

const WINDOW_OPTIONS: Array<{ value: BudgetWindow; label: string }> = [
  { value: 'hour', label: 'Per hour' },
  { value: 'day', label: 'Per day' },
  { value: 'week', label: 'Per week' },
  { value: 'month', label: 'Per month' },
  { value: 'lifetime', label: 'Lifetime (never resets)' },
];

interface BudgetFormProps {
  initial: BudgetFormValues;
  /** Editing: the scope is fixed. */
  editing?: boolean;
  /** The account's keys (undefined while they load); active inference keys can be chosen. */
  keys: KeyView[] | undefined;
  keysError?: string | null;
  /** The organisation's projects and members (undefined while they load). */
  projects: Project[] | undefined;
  members: Member[] | undefined;
  calendar: Calendar | undefined;
  submitLabel: string;
  /** Saves the body; a thrown ApiError is shown by the field it names. */
  onSubmit(input: BudgetInput): Promise<void>;
  onCancel(): void;
}

/** The create/edit budget form. */
export function BudgetForm(props: BudgetFormProps) {
  const { initial, editing = false, keys, keysError, projects, members, calendar, submitLabel, onSubmit, onCancel } = props;
  const id = useId();
  const [v, setV] = useState(initial);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const set = (field: Field) => (e: { target: { value: string } }) => {
    const value = e.target.value;
    setV((old) => ({ ...old, [field]: value }));
    setErrors((old) => (old[field] ? { ...old, [field]: undefined } : old));
  };
  const fieldId = (field: Field) => `${id}-${field}`;
  const focus = (field: Field) => document.getElementById(fieldId(field))?.focus();

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    setError(null);
    const result = budgetInputFromValues(v, editing);
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
      const named = fieldOfError(e);
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

  // A key the budget names that is no longer active (revoked) stays choosable, marked so.
  const keyOptions = keys?.filter((k) => k.kind === 'inference' && k.status === 'active') ?? [];
  const currentKey = v.keyId && keys && !keyOptions.some((k) => k.id === v.keyId) ? v.keyId : null;
  const currentKeyName = currentKey ? keys?.find((k) => k.id === currentKey)?.name : undefined;
  const keySelect = (label: string, optional: boolean) => (
    <div className="field">
      <label htmlFor={fieldId('keyId')}>{label}</label>
      <select {...describe('keyId', true)} value={v.keyId} onChange={set('keyId')} required={!optional} disabled={keys === undefined && !keysError}>
        <option value="">{keys === undefined && !keysError ? 'Loading keys…' : optional ? 'Any key' : 'Choose a key'}</option>
        {keyOptions.map((k) => (
          <option key={k.id} value={k.id}>
            {k.name} ({k.prefix}…{k.last4})
          </option>
        ))}
        {currentKey && <option value={currentKey}>{currentKeyName ? `${currentKeyName} (revoked)` : `Key ${currentKey} (no longer listed)`}</option>}
      </select>
      {after(
        'keyId',
        keysError
          ? `Your keys could not be loaded: ${keysError}`
          : keys && keyOptions.length === 0
            ? 'You have no active API keys yet.'
            : optional
              ? 'Only requests with this key count. Any key: every request.'
              : 'Only requests made with this key count.',
      )}
    </div>
  );
  const modelInput = (label: string, optional: boolean) => (
    <div className="field">
      <label htmlFor={fieldId('model')}>{label}</label>
      <input
        {...describe('model', true)}
        value={v.model}
        onChange={set('model')}
        required={!optional}
        maxLength={200}
        placeholder={optional ? 'any model' : 'e.g. llama-3-8b'}
        autoComplete="off"
        spellCheck={false}
      />
      {after('model', optional ? 'Only requests for this model count. Empty: every model.' : 'The model name clients send as "model".')}
    </div>
  );

  // A project or member the budget names that is gone stays choosable, marked so.
  const choiceSelect = (field: 'projectId' | 'memberId', label: string, options: Array<{ value: string; label: string }> | undefined, optional: boolean) => {
    const what = field === 'projectId' ? 'project' : 'member';
    const gone = v[field] && options && !options.some((o) => o.value === v[field]) ? v[field] : null;
    return (
      <div className="field">
        <label htmlFor={fieldId(field)}>{label}</label>
        <select {...describe(field, true)} value={v[field]} onChange={set(field)} required={!optional} disabled={options === undefined}>
          <option value="">{options === undefined ? `Loading ${what}s…` : optional ? `Any ${what}` : `Choose a ${what}`}</option>
          {options?.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
          {gone && <option value={gone}>{`${what} ${gone} (no longer listed)`}</option>}
        </select>
        {after(
          field,
          field === 'memberId'
            ? 'Every key this member created counts, in any project.'
            : optional
              ? `Only requests with this ${what}’s keys count. Any ${what}: every request.`
              : 'Only requests made with this project’s keys count.',
        )}
      </div>
    );
  };
  const projectOptions = projects?.map((p) => ({ value: p.id, label: p.name }));
  const memberOptions = members?.map((m) => ({ value: m.userId, label: m.name ? `${m.name} (${m.email})` : m.email }));

  const weekStart = calendar ? (WEEKDAYS[calendar.weekStart] ?? 'Monday') : null;

  return (
    <form className="form budget-form" onSubmit={submit} noValidate>
      <div className="field">
        <label htmlFor={fieldId('name')}>Name</label>
        <input {...describe('name', true)} value={v.name} onChange={set('name')} required maxLength={100} autoComplete="off" />
        {after('name', 'Something to recognise it by, e.g. "Monthly cap" or "Chat widget users".')}
      </div>

      <div className="field">
        <label htmlFor={fieldId('scope')}>Applies to</label>
        <select {...describe('scope', editing)} value={v.scope} onChange={set('scope')} disabled={editing}>
          {SCOPE_OPTIONS.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
        {after(
          'scope',
          editing
            ? 'A budget’s scope cannot change: delete it and add a new one instead.'
            : v.scope === 'end_user'
              ? 'Each end user (the request’s "user" field or x-gateway-user header) gets their own budget of this size.'
              : undefined,
        )}
      </div>

      {v.scope === 'project' && choiceSelect('projectId', 'Project', projectOptions, false)}
      {v.scope === 'member' && choiceSelect('memberId', 'Member', memberOptions, false)}
      {v.scope === 'key' && keySelect('Key', false)}
      {v.scope === 'model' && (
        <div className="field-row">
          {modelInput('Model', false)}
          {choiceSelect('projectId', 'In project (optional)', projectOptions, true)}
        </div>
      )}
      {v.scope === 'end_user' && (
        <fieldset>
          <legend>Only count (optional)</legend>
          <div className="field-row">
            {keySelect('Key', true)}
            {modelInput('Model', true)}
            {choiceSelect('projectId', 'Project', projectOptions, true)}
          </div>
        </fieldset>
      )}

      <div className="field-row">
        <div className="field">
          <label htmlFor={fieldId('amount')}>{v.scope === 'end_user' ? 'Amount per end user (USD)' : 'Amount (USD)'}</label>
          <input
            {...describe('amount', true)}
            value={v.amount}
            onChange={set('amount')}
            required
            inputMode="decimal"
            placeholder="e.g. 25"
            autoComplete="off"
          />
          {after('amount', 'Dollars, up to six decimals.')}
        </div>
        <div className="field">
          <label htmlFor={fieldId('window')}>Window</label>
          <select {...describe('window', true)} value={v.window} onChange={set('window')}>
            {WINDOW_OPTIONS.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
          {after(
            'window',
            calendar ? `Calendar windows in ${calendar.timezone}; weeks start on ${weekStart}.` : 'Calendar windows in your account’s time zone.',
          )}
        </div>
      </div>

      <div className="field">
        <label htmlFor={fieldId('action')}>When it is used up</label>
        <select {...describe('action', true)} value={v.action} onChange={set('action')}>
          <option value="block">Block: refuse requests the budget cannot afford</option>
          <option value="alert">Alert only: keep serving, just record alerts</option>
          <option value="fallback">Fall back: serve a cheaper model instead</option>
        </select>
        {after(
          'action',
          v.action === 'block'
            ? 'Refused requests get HTTP 402 budget_exceeded.'
            : v.action === 'fallback'
              ? 'Requests this budget cannot afford are served by the model below (the response names it); every other budget still applies.'
              : 'Spend may go past the amount.',
        )}
      </div>
      {v.action === 'fallback' && (
        <div className="field">
          <label htmlFor={fieldId('fallbackModel')}>Fallback model</label>
          <input
            {...describe('fallbackModel', true)}
            value={v.fallbackModel}
            onChange={set('fallbackModel')}
            required
            maxLength={200}
            placeholder="e.g. llama-3-8b-small"
            autoComplete="off"
            spellCheck={false}
          />
          {after('fallbackModel', 'A cheaper model clients could also call, serving the same endpoints.')}
        </div>
      )}

      <div className="field">
        <label htmlFor={fieldId('thresholds')}>Alert thresholds (%)</label>
        <input {...describe('thresholds', true)} value={v.thresholds} onChange={set('thresholds')} inputMode="numeric" autoComplete="off" />
        {after('thresholds', `Comma-separated percentages of the amount, each alerted once per window (default ${DEFAULT_THRESHOLDS}). Empty: no alerts.`)}
      </div>

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
