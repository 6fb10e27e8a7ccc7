/**
 * @module pages/budgets/budget-form-values
 * The budget form's fields ⇄ the API's budget body, and which field an API error is about.
 */
import { ApiError } from '../../api/client';
import type { Budget, BudgetAction, BudgetInput, BudgetScope, BudgetWindow } from '../../api/types';
import { microsToInput, parseUsdToMicros, usd } from '../../lib/money';

/** The API's largest amount: $1,000,000 per window. */
const MAX_MICROS = 1_000_000_000_000;
const MAX_THRESHOLDS = 10;
export const DEFAULT_THRESHOLDS = '50, 80, 95, 100';

export interface BudgetFormValues {
  name: string;
  scope: BudgetScope;
  keyId: string;
  model: string;
  projectId: string;
  memberId: string;
  amount: string;
  window: BudgetWindow;
  action: BudgetAction;
  thresholds: string;
  fallbackModel: string;
}

export type Field = keyof BudgetFormValues;
export type FieldErrors = Partial<Record<Field, string>>;

export const EMPTY_BUDGET_FORM: BudgetFormValues = {
  name: '',
  scope: 'organization',
  keyId: '',
  model: '',
  projectId: '',
  memberId: '',
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
    projectId: budget.projectId ?? '',
    memberId: budget.memberId ?? '',
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

/** The target fields each scope sends: what it needs, and what it may narrow by. */
const SCOPE_TARGETS: Record<BudgetScope, Array<'keyId' | 'model' | 'projectId' | 'memberId'>> = {
  organization: [],
  project: ['projectId'],
  member: ['memberId'],
  key: ['keyId'],
  model: ['model', 'projectId'],
  end_user: ['keyId', 'model', 'projectId'],
};

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

  const target = { keyId: v.keyId || null, model: v.model.trim() || null, projectId: v.projectId || null, memberId: v.memberId || null };
  if (v.scope === 'key' && !target.keyId) errors.keyId = 'Pick the key this budget is for.';
  if (v.scope === 'project' && !target.projectId) errors.projectId = 'Pick the project this budget is for.';
  if (v.scope === 'member' && !target.memberId) errors.memberId = 'Pick the member this budget is for.';
  if (v.scope === 'model' && !target.model) errors.model = 'Name the model this budget is for.';
  if (target.model && target.model.length > 200) errors.model = 'At most 200 characters.';
  const fallbackModel = v.fallbackModel.trim() || null;
  if (v.action === 'fallback' && !fallbackModel) errors.fallbackModel = 'Name the model to serve instead.';
  if (fallbackModel && fallbackModel.length > 200) errors.fallbackModel = 'At most 200 characters.';

  if (Object.keys(errors).length > 0) return { errors };
  // Fields the scope does not take go as null, so an edit clears nothing it should keep.
  const sends = SCOPE_TARGETS[v.scope];
  const pick = <K extends keyof typeof target>(field: K) => (sends.includes(field) ? target[field] : null);
  const input: BudgetInput = {
    name,
    keyId: pick('keyId'),
    model: pick('model'),
    projectId: pick('projectId'),
    memberId: pick('memberId'),
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
  projectId: 'projectId',
  memberId: 'memberId',
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
  const match = /^([A-Za-z_]+)(?:\.[\w.]+)?:\s*(.+)$/s.exec(error.message);
  const name = error.param ? error.param.split('.')[0] : match?.[1];
  const field = name && Object.hasOwn(PARAM_FIELDS, name) ? PARAM_FIELDS[name] : undefined;
  if (!field) return null;
  const message = match && match[1] === name ? match[2] : error.message;
  return { field, message: message.charAt(0).toUpperCase() + message.slice(1) };
}
