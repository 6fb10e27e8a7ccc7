/**
 * @module pages/keys/key-form-values
 * The key form's text fields ⇄ the API's key limits (null = no limit).
 */
import type { KeyInput, KeyView } from '../../api/types';
import { microsToInput, parseUsdToMicros } from '../../lib/money';
import { toDateTimeInput } from '../../lib/time';

export interface KeyFormValues {
  name: string;
  /** '' lets the API choose (the default project, or a developer's first). */
  projectId: string;
  allowedServices: string;
  requestsPerMinute: string;
  tokensPerMinute: string;
  tokensPerMinuteByModel: string;
  maxConcurrent: string;
  spendLimit: string;
  periodSpendLimit: string;
  period: 'day' | 'month';
  expiresAt: string;
}

export const EMPTY_KEY_FORM: KeyFormValues = {
  name: '',
  projectId: '',
  allowedServices: '',
  requestsPerMinute: '',
  tokensPerMinute: '',
  tokensPerMinuteByModel: '',
  maxConcurrent: '',
  spendLimit: '',
  periodSpendLimit: '',
  period: 'month',
  expiresAt: '',
};

/** The form filled from an existing key. */
export function valuesFromKey(key: KeyView): KeyFormValues {
  const tpm = key.limits.tokensPerMinute ?? {};
  return {
    name: key.name,
    projectId: key.projectId ?? '',
    allowedServices: (key.limits.allowedServices ?? []).join(', '),
    requestsPerMinute: key.limits.requestsPerMinute?.toString() ?? '',
    tokensPerMinute: tpm['*']?.toString() ?? '',
    tokensPerMinuteByModel: Object.entries(tpm)
      .filter(([m]) => m !== '*')
      .map(([m, n]) => `${m}=${n}`)
      .join(', '),
    maxConcurrent: key.limits.maxConcurrent?.toString() ?? '',
    spendLimit: microsToInput(key.limits.spendLimitMicros),
    periodSpendLimit: microsToInput(key.limits.periodSpendLimitMicros),
    period: key.limits.period ?? 'month',
    expiresAt: toDateTimeInput(key.expiresAt),
  };
}

function whole(text: string, label: string): number | null {
  const t = text.trim();
  if (t === '') return null;
  if (!/^\d+$/.test(t) || Number(t) < 1 || Number(t) > 1_000_000_000)
    throw new Error(`${label}: a whole number from 1 to 1,000,000,000, or empty for no limit.`);
  return Number(t);
}

function dollars(text: string, label: string): number | null {
  if (text.trim() === '') return null;
  const micros = parseUsdToMicros(text);
  if (micros === null) throw new Error(`${label}: an amount in dollars such as 25 or 2.50, or empty for no limit.`);
  return micros;
}

/**
 * A new key's body without the limits left empty, so its project's defaults fill them (a limit
 * the request names, even as null, wins over the project's).
 */
export function withoutUnset(input: KeyInput): KeyInput {
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== null)) as KeyInput;
}

/** The API body for the form; throws an Error with a plain-words message when a field is wrong. */
export function keyInputFromValues(v: KeyFormValues): KeyInput {
  const name = v.name.trim();
  if (!name) throw new Error('Name: give the key a name.');
  const models = v.allowedServices
    .split(/[,\s]+/)
    .map((s) => s.trim())
    .filter(Boolean);
  const tokens: Record<string, number> = {};
  const all = whole(v.tokensPerMinute, 'Tokens per minute');
  if (all !== null) tokens['*'] = all;
  for (const pair of v.tokensPerMinuteByModel
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const match = /^(.+?)\s*[=:]\s*(\d+)$/.exec(pair);
    if (!match) throw new Error(`Tokens per minute by model: write model=number, e.g. llama-3-8b=20000 (got "${pair}").`);
    tokens[match[1]] = whole(match[2], `Tokens per minute for ${match[1]}`) as number;
  }
  const periodSpendLimitMicros = dollars(v.periodSpendLimit, 'Period spend limit');
  let expiresAt: number | null = null;
  if (v.expiresAt) {
    expiresAt = new Date(v.expiresAt).getTime();
    if (Number.isNaN(expiresAt)) throw new Error('Expires: pick a date and time.');
  }
  return {
    name,
    ...(v.projectId ? { projectId: v.projectId } : {}),
    allowedServices: models.length ? models : null,
    requestsPerMinute: whole(v.requestsPerMinute, 'Requests per minute'),
    tokensPerMinute: Object.keys(tokens).length ? tokens : null,
    maxConcurrent: whole(v.maxConcurrent, 'Max concurrent requests'),
    spendLimitMicros: dollars(v.spendLimit, 'Lifetime spend limit'),
    periodSpendLimitMicros,
    period: periodSpendLimitMicros === null ? null : v.period,
    expiresAt,
  };
}
