/**
 * @module pages/projects/project-form-values
 * The project form's fields ⇄ the API's project body; a project's key defaults in words.
 */
import type { Project, ProjectInput, ProjectKeyDefaults } from '../../api/types';
import { microsToInput, parseUsdToMicros, usdAuto } from '../../lib/money';
import { formatCount } from '../../lib/time';

export interface ProjectFormValues {
  name: string;
  /** Comma-separated model names; empty: any model. */
  allowedServices: string;
  requestsPerMinute: string;
  maxConcurrent: string;
  spendLimit: string;
  periodSpendLimit: string;
  period: 'day' | 'month';
  members: string[];
}

export const EMPTY_PROJECT_FORM: ProjectFormValues = {
  name: '',
  allowedServices: '',
  requestsPerMinute: '',
  maxConcurrent: '',
  spendLimit: '',
  periodSpendLimit: '',
  period: 'month',
  members: [],
};

/** The form filled from an existing project. */
export function valuesFromProject(project: Project): ProjectFormValues {
  const d = project.keyDefaults;
  return {
    name: project.name,
    allowedServices: (project.allowedServices ?? []).join(', '),
    requestsPerMinute: d.requestsPerMinute?.toString() ?? '',
    maxConcurrent: d.maxConcurrent?.toString() ?? '',
    spendLimit: microsToInput(d.spendLimitMicros),
    periodSpendLimit: microsToInput(d.periodSpendLimitMicros),
    period: d.period ?? 'month',
    members: project.members,
  };
}

function whole(text: string, label: string): number | null {
  const t = text.trim();
  if (t === '') return null;
  if (!/^\d+$/.test(t) || Number(t) < 1 || Number(t) > 1_000_000_000) throw new Error(`${label}: a whole number from 1 to 1,000,000,000, or empty.`);
  return Number(t);
}

function dollars(text: string, label: string): number | null {
  if (text.trim() === '') return null;
  const micros = parseUsdToMicros(text);
  if (micros === null) throw new Error(`${label}: an amount in dollars such as 25 or 2.50, or empty.`);
  return micros;
}

/** The API body; throws an Error with a plain-words message when a field is wrong. */
export function projectInputFromValues(v: ProjectFormValues): ProjectInput {
  const name = v.name.trim();
  if (!name) throw new Error('Name: give the project a name.');
  const models = [
    ...new Set(
      v.allowedServices
        .split(/[,\s]+/)
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
  // Only the limits given are defaults: the others stay as a new key's request (or the model) sets them.
  const keyDefaults: ProjectKeyDefaults = {};
  const rpm = whole(v.requestsPerMinute, 'Requests per minute');
  if (rpm !== null) keyDefaults.requestsPerMinute = rpm;
  const concurrent = whole(v.maxConcurrent, 'Max concurrent requests');
  if (concurrent !== null) keyDefaults.maxConcurrent = concurrent;
  const lifetime = dollars(v.spendLimit, 'Lifetime spend limit');
  if (lifetime !== null) keyDefaults.spendLimitMicros = lifetime;
  const period = dollars(v.periodSpendLimit, 'Period spend limit');
  if (period !== null) {
    keyDefaults.periodSpendLimitMicros = period;
    keyDefaults.period = v.period;
  }
  return { name, allowedServices: models.length ? models : null, keyDefaults, members: v.members };
}

/** "60 req/min · 4 concurrent · $20.00 lifetime · $5.00/day", or "None". */
export function keyDefaultsWords(d: ProjectKeyDefaults): string {
  const parts: string[] = [];
  if (d.requestsPerMinute) parts.push(`${formatCount(d.requestsPerMinute)} req/min`);
  if (d.maxConcurrent) parts.push(`${d.maxConcurrent} concurrent`);
  if (d.spendLimitMicros != null) parts.push(`${usdAuto(d.spendLimitMicros)} lifetime`);
  if (d.periodSpendLimitMicros != null) parts.push(`${usdAuto(d.periodSpendLimitMicros)}/${d.period ?? 'month'}`);
  return parts.length ? parts.join(' · ') : 'None';
}
