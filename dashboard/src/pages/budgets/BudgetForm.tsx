/**
 * @module pages/budgets/BudgetForm
 * The create/edit budget form: its text fields ⇄ the API's budget body, with each error shown
 * beside the field it is about (the API names it in `param`, or as "field: …" in its message).
 */
import { useId, useState, type FormEvent, type ReactNode } from 'react';
import { ApiError, errorText } from '../../api/client';
import type { Budget, BudgetAction, BudgetInput, BudgetScope, BudgetWindow, Calendar, KeyView } from '../../api/types';
import { ErrorNote } from '../../components/states';
import { microsToInput, parseUsdToMicros, usd } from '../../lib/money';
import { WEEKDAYS } from './budget-words';

/** The API's largest amount: $1,000,000 per window. */
const MAX_MICROS = 1_000_000_000_000;
const MAX_THRESHOLDS = 10;
export const DEFAULT_THRESHOLDS = '50, 80, 95, 100';

export interface BudgetFormValues {
  name: string;
  scope: BudgetScope;
  keyId: string;
  model: string;
  amount: string;
  window: BudgetWindow;
  action: BudgetAction;
  thresholds: string;
  fallbackModel: string;
}

type Field = keyof BudgetFormValues;
type FieldErrors = Partial<Record<Field, string>>;

export const EMPTY_BUDGET_FORM: BudgetFormValues = {
  name: '',
  scope: 'organization',
  keyId: '',
  model: '',
  amount: '',
  window: 'month',
  action: 'block',
  thresholds: DEFAULT_THRESHOLDS,
  fallbackModel: '',
};

/** The form filled from an existing budget. */
export function valuesFromBudget(budget: Budget): BudgetFormValues {
  return {
    name: budget.name,
    scope: budget.scope,
    keyId: budget.keyId ?? '',
    model: budget.model ?? '',
    amount: microsToInput(budget.amountMicros),
    window: budget.window,
    action: budget.action,
    thresholds: budget.thresholds.join(', '),
    fallbackModel: budget.fallbackModel ?? '',
  };
}

/** Reads "50, 80 %, 95" into sorted distinct whole percentages; a message when it cannot. */
function parseThresholds(text: string): number[] | string {
  const parts = text
    .split(/[,;\s]+/)
    .map((s) => s.trim().replace(/%$/, ''))
    .filter(Boolean);
  const list: number[] = [];
  for (const part of parts) {
    if (!/^\d+$/.test(part) || Number(part) < 1 || Number(part) > 100) return `“${part}” is not a whole percentage from 1 to 100.`;
    list.push(Number(part));
  }
  const distinct = [...new Set(list)].sort((a, b) => a - b);
  if (distinct.length > MAX_THRESHOLDS) return `At most ${MAX_THRESHOLDS} thresholds.`;
  return distinct;
}

/** The API body for the form (without scope when editing), or the errors by field. */
export function budgetInputFromValues(v: BudgetFormValues, editing: boolean): { input: BudgetInput } | { errors: FieldErrors } {
  const errors: FieldErrors = {};
  const name = v.name.trim();
  if (!name) errors.name = 'Give the budget a name.';
  else if (name.length > 100) errors.name = 'At most 100 characters.';

  const amountMicros = parseUsdToMicros(v.amount);
  if (amountMicros === null) errors.amount = 'An amount in dollars, such as 5 or 12.50.';
  else if (amountMicros > MAX_MICROS) errors.amount = `At most ${usd(MAX_MICROS)}.`;

  const thresholds = parseThresholds(v.thresholds);
  if (typeof thresholds === 'string') errors.thresholds = thresholds;

  const keyId = v.keyId || null;
  const model = v.model.trim() || null;
  if (v.scope === 'key' && !keyId) errors.keyId = 'Pick the key this budget is for.';
  if (v.scope === 'model' && !model) errors.model = 'Name the model this budget is for.';
  if (model && model.length > 200) errors.model = 'At most 200 characters.';
  const fallbackModel = v.fallbackModel.trim() || null;
  if (v.action === 'fallback' && !fallbackModel) errors.fallbackModel = 'Name the model to serve instead.';
  if (fallbackModel && fallbackModel.length > 200) errors.fallbackModel = 'At most 200 characters.';

  if (Object.keys(errors).length > 0) return { errors };
  const input: BudgetInput = {
    name,
    keyId: v.scope === 'key' || v.scope === 'end_user' ? keyId : null,
    model: v.scope === 'model' || v.scope === 'end_user' ? model : null,
    amountMicros: amountMicros as number,
    window: v.window,
    action: v.action,
    thresholds: thresholds as number[],
    fallbackModel: v.action === 'fallback' ? fallbackModel : null,
  };
  return { input: editing ? input : { ...input, scope: v.scope } };
}

/** The API's field names → the form's. */
const PARAM_FIELDS: Record<string, Field> = {
  name: 'name',
  scope: 'scope',
  keyId: 'keyId',
  model: 'model',
  amountMicros: 'amount',
  window: 'window',
  action: 'action',
  thresholds: 'thresholds',
  fallbackModel: 'fallbackModel',
};

/**
 * The form field an API error is about, and its message without the "field: " prefix. The
 * gateway names the field in `error.param`; its message starts with that name too, which is how
 * it is read when the client did not keep `param`.
 */
export function fieldOfError(error: unknown): { field: Field; message: string } | null {
  if (!(error instanceof ApiError) || error.code !== 'invalid_request') return null;
  const param = (error as ApiError & { param?: unknown }).param;
  const match = /^([A-Za-z_]+)(?:\.[\w.]+)?:\s*(.+)$/s.exec(error.message);
  const name = typeof param === 'string' ? param.split('.')[0] : match?.[1];
  const field = name && Object.hasOwn(PARAM_FIELDS, name) ? PARAM_FIELDS[name] : undefined;
  if (!field) return null;
  const message = match && match[1] === name ? match[2] : error.message;
  return { field, message: message.charAt(0).toUpperCase() + message.slice(1) };
}

const SCOPE_OPTIONS: Array<{ value: BudgetScope; label: string }> = [
  { value: 'organization', label: 'Organisation (every request)' },
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
  calendar: Calendar | undefined;
  submitLabel: string;
  /** Saves the body; a thrown ApiError is shown by the field it names. */
  onSubmit(input: BudgetInput): Promise<void>;
  onCancel(): void;
}

/** The create/edit budget form. */
export function BudgetForm({ initial, editing = false, keys, keysError, calendar, submitLabel, onSubmit, onCancel }: BudgetFormProps) {
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

      {v.scope === 'key' && keySelect('Key', false)}
      {v.scope === 'model' && modelInput('Model', false)}
      {v.scope === 'end_user' && (
        <fieldset>
          <legend>Only count (optional)</legend>
          <div className="field-row">
            {keySelect('Key', true)}
            {modelInput('Model', true)}
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
