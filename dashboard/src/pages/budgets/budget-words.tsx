/**
 * @module pages/budgets/budget-words
 * Budgets in plain words: scopes, windows, actions, states and reset times.
 */
import { memberName, projectName } from '../../api/organization-data';
import type { Budget, BudgetWindow, KeyView, Member, Project } from '../../api/types';
import { usd } from '../../lib/money';
import { formatDateTime } from '../../lib/time';

/** Day names by `weekStart` (0 Sunday … 6 Saturday). */
export const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

const PER: Record<BudgetWindow, string> = { hour: 'per hour', day: 'per day', week: 'per week', month: 'per month', lifetime: 'in total (lifetime)' };

/** "$5.00 per day", "$5.00 per end user per day", "$100.00 in total (lifetime)". */
export function amountWords(budget: Pick<Budget, 'amountMicros' | 'window' | 'scope'>): string {
  return `${usd(budget.amountMicros)}${budget.scope === 'end_user' ? ' per end user' : ''} ${PER[budget.window]}`;
}

/** "Block", "Alert only" or "Fall back to <model>". */
export function actionWords(action: Budget['action'], fallbackModel?: string | null): string {
  if (action === 'fallback') return `Fall back to ${fallbackModel ?? 'a cheaper model'}`;
  return action === 'block' ? 'Block' : 'Alert only';
}

/** A key's name from the account's keys, else its id. */
export function keyName(keyId: string, keys: KeyView[] | undefined): string {
  const key = keys?.find((k) => k.id === keyId);
  if (!key) return keys ? `key ${keyId} (no longer listed)` : `key ${keyId}`;
  return `“${key.name}”${key.status === 'active' ? '' : ' (revoked)'}`;
}

/** The names a budget's targets are shown by (each undefined while it loads). */
export interface TargetNames {
  keys: KeyView[] | undefined;
  projects: Project[] | undefined;
  members: Member[] | undefined;
}

/** What a budget counts: "Organisation: every request", "Project “Chat”", "Each end user of key “x” on model y". */
export function scopeWords(budget: Pick<Budget, 'scope' | 'keyId' | 'model' | 'projectId' | 'memberId'>, names: TargetNames): string {
  const project = budget.projectId ? `project “${projectName(budget.projectId, names.projects)}”` : null;
  switch (budget.scope) {
    case 'organization':
      return 'Organisation: every request';
    case 'project':
      return budget.projectId ? `Project “${projectName(budget.projectId, names.projects)}”` : 'One project';
    case 'member':
      return budget.memberId ? `Member ${memberName(budget.memberId, names.members)}: the keys they created` : 'One member';
    case 'key':
      return budget.keyId ? `Key ${keyName(budget.keyId, names.keys)}` : 'One key';
    case 'model':
      return [`Model ${budget.model ?? ''}`.trim(), project && `in ${project}`].filter(Boolean).join(' ');
    default: {
      const parts = ['Each end user'];
      if (budget.keyId) parts.push(`of key ${keyName(budget.keyId, names.keys)}`);
      if (project) parts.push(`in ${project}`);
      if (budget.model) parts.push(`on model ${budget.model}`);
      return parts.join(' ');
    }
  }
}

/** "Dec 8, 00:00" in `timeZone` (falls back to the browser's zone if the name is unknown). */
export function formatInZone(ms: number, timeZone: string): string {
  try {
    return new Intl.DateTimeFormat(undefined, {
      month: 'short',
      day: 'numeric',
      ...(new Date(ms).getFullYear() !== new Date().getFullYear() ? { year: 'numeric' as const } : {}),
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZone,
    }).format(ms);
  } catch {
    return formatDateTime(ms);
  }
}

/** "Resets Dec 8, 00:00 Asia/Kolkata" or "Never resets". */
export function resetWords(budget: Pick<Budget, 'resetsAt' | 'timezone'>): string {
  return budget.resetsAt === null ? 'Never resets' : `Resets ${formatInZone(budget.resetsAt, budget.timezone)} ${budget.timezone}`;
}

/** (spent + reserved) as a whole percentage of the amount, as the gateway judges it (floored). */
export function usedPercent(spentMicros: number, reservedMicros: number, amountMicros: number): number {
  const used = BigInt(spentMicros) + BigInt(reservedMicros);
  if (amountMicros <= 0) return used > 0n ? 100 : 0;
  return Number((used * 100n) / BigInt(amountMicros));
}

const STATE: Record<Budget['state'], { words: string; tone: string }> = {
  ok: { words: 'OK', tone: 'good' },
  warning: { words: 'Warning', tone: 'warn' },
  exceeded: { words: 'Exceeded', tone: 'bad' },
};

/** The state as a badge: words and colour, not colour alone. */
export function StateBadge({ state }: { state: Budget['state'] }) {
  const s = STATE[state];
  return <span className={`status ${s.tone}`}>{s.words}</span>;
}
