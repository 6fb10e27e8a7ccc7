/**
 * @module routes/api/budgets
 * `/api/account/budgets`, `/api/account/calendar` and `/api/account/alerts`: the caller's
 * budgets, the calendar their windows follow, and the alerts they raised. Budgets live in the
 * account object, which enforces them in admission (durable-objects/account/budgets.ts); every
 * write takes effect on the very next request. Another account's ids are simply not found.
 * Semantics: docs/budgets.md.
 */
import { roleIn } from '../../auth/organizations';
import { isTimeZone } from '../../lib/local-clock';
import type { BudgetInput } from '../../durable-objects/account/types';
import { ApiError } from '../../errors';
import { ALERT_TYPES, type AlertType } from '../../notifications/alerts';
import type { Env } from '../../env';
import { accountObject } from '../../services/accounts';
import { getCatalog } from '../../services/catalog';
import { apiRouter, defineRoute, IdParam, json, jsonBody, z } from './contract';
import { callerAccount } from './caller';

const TAGS = ['Budgets'];
const MAX_MICROS = 1_000_000_000_000;
const DEFAULT_THRESHOLDS = [50, 80, 95, 100];

const Scope = z
  .enum(['organization', 'project', 'member', 'key', 'model', 'end_user'])
  .describe(
    'organization: every request; project: the keys of one project (projectId); ' +
      'member: every key one member created (memberId, a user id); ' +
      'key: one key (keyId); model: one public model name (model), optionally within one project (projectId); ' +
      'end_user: each distinct end user (the request’s `user` field or x-gateway-user header) ' +
      'gets its own bucket of this size, optionally only for one key, model or project.',
  );
const Window = z.enum(['hour', 'day', 'week', 'month', 'lifetime']).describe('Calendar window in the organisation’s time zone (see /api/account/calendar).');
const Action = z
  .enum(['block', 'alert', 'fallback'])
  .describe(
    'block: refuse (402 budget_exceeded) what the budget cannot afford; alert: only count and alert; ' +
      'fallback: serve the request with fallbackModel instead (x-gateway-fallback-* headers say so), still counted here.',
  );
const FallbackModel = z.string().min(1).max(200).describe('The public model served instead (action fallback): a cheaper one, supporting the same endpoints.');
const Thresholds = z
  .array(z.number().int().min(1).max(100))
  .max(10)
  .transform((list) => [...new Set(list)].sort((a, b) => a - b))
  .describe('Percentages of the amount at which an alert is raised, once per window.');
const Name = z.string().trim().min(1).max(100);
const Amount = z.number().int().min(0).max(MAX_MICROS).describe('µUSD per window (1 USD = 1,000,000).');

type Target = Pick<BudgetInput, 'scope'> & Partial<Pick<BudgetInput, 'keyId' | 'model' | 'projectId' | 'memberId'>>;

/** Which target fields each scope needs, and which it may narrow by. */
const SCOPE_FIELDS: Record<BudgetInput['scope'], { needs: keyof Target | null; may: Array<keyof Target> }> = {
  organization: { needs: null, may: [] },
  project: { needs: 'projectId', may: [] },
  member: { needs: 'memberId', may: [] },
  key: { needs: 'keyId', may: [] },
  model: { needs: 'model', may: ['keyId', 'projectId'] },
  end_user: { needs: null, may: ['keyId', 'model', 'projectId'] },
};

/** The first field a budget's scope lacks or does not take, or null. */
function scopeProblem(b: Target): { param: string; message: string } | null {
  const { needs, may } = SCOPE_FIELDS[b.scope];
  if (needs && !b[needs])
    return { param: needs, message: `A ${b.scope.replace('_', '-')} budget names its ${needs === 'memberId' ? 'member (a user id)' : needs}.` };
  for (const field of ['keyId', 'model', 'projectId', 'memberId'] as const) {
    if (field !== needs && !may.includes(field) && b[field]) {
      return {
        param: field,
        message: `A ${b.scope.replace('_', '-')} budget does not take ${field}${may.length ? ` (it may narrow by ${may.join(', ')})` : ''}.`,
      };
    }
  }
  return null;
}

const CreateBudget = z
  .object({
    name: Name,
    scope: Scope,
    keyId: z.string().min(1).max(64).nullable().optional(),
    model: z.string().min(1).max(200).nullable().optional(),
    projectId: z.string().min(1).max(64).nullable().optional(),
    memberId: z.string().min(1).max(64).nullable().optional(),
    amountMicros: Amount,
    window: Window,
    action: Action.default('block'),
    thresholds: Thresholds.default(DEFAULT_THRESHOLDS),
    fallbackModel: FallbackModel.nullable().optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.action === 'fallback' && !b.fallbackModel)
      ctx.addIssue({ code: 'custom', path: ['fallbackModel'], message: 'A fallback budget names the model to serve instead.' });
    if (b.action !== 'fallback' && b.fallbackModel)
      ctx.addIssue({ code: 'custom', path: ['fallbackModel'], message: 'Only a fallback budget names a fallback model.' });
    if (b.fallbackModel && b.fallbackModel === b.model)
      ctx.addIssue({ code: 'custom', path: ['fallbackModel'], message: 'A model cannot be its own fallback.' });
    const problem = scopeProblem(b);
    if (problem) ctx.addIssue({ code: 'custom', path: [problem.param], message: problem.message });
  })
  .openapi('BudgetInput');

const UpdateBudget = z
  .object({
    name: Name,
    keyId: z.string().min(1).max(64).nullable(),
    model: z.string().min(1).max(200).nullable(),
    projectId: z.string().min(1).max(64).nullable(),
    memberId: z.string().min(1).max(64).nullable(),
    amountMicros: Amount,
    window: Window,
    action: Action,
    thresholds: Thresholds,
    fallbackModel: FallbackModel.nullable(),
  })
  .partial()
  .strict()
  .openapi('BudgetPatch');

const Usage = z.object({
  endUser: z.string().nullable().describe('The end user (end-user budgets), else null.'),
  spentMicros: z.number().int(),
  reservedMicros: z.number().int().describe('Held for requests in flight.'),
  remainingMicros: z.number().int(),
  alertedPercent: z.number().int().describe('The highest threshold alerted in this window (0: none).'),
});

const BudgetView = z
  .object({
    id: z.string(),
    name: z.string(),
    scope: Scope,
    keyId: z.string().nullable(),
    model: z.string().nullable(),
    projectId: z.string().nullable(),
    memberId: z.string().nullable(),
    amountMicros: z.number().int(),
    window: Window,
    action: Action,
    thresholds: z.array(z.number().int()),
    fallbackModel: z.string().nullable(),
    createdAt: z.number().int(),
    updatedAt: z.number().int(),
    windowStart: z.number().int().describe('Start of the current window (epoch ms; 0 for lifetime).'),
    resetsAt: z.number().int().nullable().describe('When the current window ends (epoch ms); null for lifetime.'),
    timezone: z.string(),
    usage: z.array(Usage).describe('One entry; for end-user budgets, the end users of this window, most spent first (at most 50).'),
    state: z.enum(['ok', 'warning', 'exceeded']).describe('exceeded: spent + reserved ≥ amount; warning: past the first threshold below 100 %.'),
  })
  .openapi('Budget');

const Calendar = z
  .object({
    timezone: z.string().describe('IANA time zone, e.g. Europe/Berlin.'),
    weekStart: z.number().int().min(0).max(6).describe('First day of a week: 0 Sunday … 6 Saturday (1, Monday, by default).'),
  })
  .openapi('Calendar');

const AlertView = z
  .object({
    id: z.string(),
    type: z.enum(ALERT_TYPES as [AlertType, ...AlertType[]]),
    message: z.string().describe('One sentence for people.'),
    budgetId: z.string().nullable(),
    budgetName: z.string().nullable(),
    scope: z.string().nullable(),
    endUser: z.string().nullable(),
    window: Window.nullable(),
    windowStart: z.number().int().nullable(),
    resetsAt: z.number().int().nullable(),
    percent: z.number().int().nullable().describe('The threshold reached (budget alerts).'),
    spentMicros: z.number().int().nullable(),
    amountMicros: z.number().int().nullable(),
    action: Action.nullable(),
    requestId: z.string().nullable().describe('The request whose settlement raised it.'),
    details: z.record(z.string(), z.unknown()).nullable().describe('The numbers behind an anomaly or a forecast alert.'),
    createdAt: z.number().int(),
  })
  .openapi('Alert');

const OneBudget = z.object({ budget: BudgetView });

/** A fallback model must be a live public model. */
async function checkFallback(env: Env, model: string): Promise<void> {
  const service = (await getCatalog(env.DB)).get(model);
  if (service?.status !== 'active') {
    throw new ApiError({ code: 'invalid_request', param: 'fallbackModel', message: `fallbackModel: there is no active model '${model}'.` });
  }
}
const notFound = (id: string) => new ApiError({ code: 'not_found', message: `No budget '${id}' in this account.` });
const noSuchKey = (id: string) => new ApiError({ code: 'invalid_request', param: 'keyId', message: `keyId: no key '${id}' in this account.` });

/** The key, project and member a budget names must be this organisation's (named in the error otherwise). */
async function checkTargets(
  env: Env,
  accountId: string,
  account: ReturnType<typeof accountObject>,
  t: Pick<BudgetInput, 'keyId' | 'projectId' | 'memberId'>,
): Promise<void> {
  if (t.keyId) {
    const key = await account.getKey(t.keyId);
    if (key?.kind !== 'inference') throw noSuchKey(t.keyId);
  }
  if (t.projectId && !(await account.getProject(t.projectId))) {
    throw new ApiError({ code: 'invalid_request', param: 'projectId', message: `projectId: no project '${t.projectId}' in this organisation.` });
  }
  if (t.memberId && !(await roleIn(env, accountId, t.memberId))) {
    throw new ApiError({ code: 'invalid_request', param: 'memberId', message: `memberId: no member '${t.memberId}' in this organisation.` });
  }
}

const list = defineRoute('management', {
  method: 'get',
  path: '/',
  tags: TAGS,
  summary: 'List your budgets with their current window’s spend, holds and state',
  responses: { 200: json(z.object({ budgets: z.array(BudgetView), calendar: Calendar }), 'Your budgets') },
});
const create = defineRoute('management', {
  method: 'post',
  path: '/',
  tags: TAGS,
  summary: 'Add a budget (enforced from the next request)',
  request: { body: jsonBody(CreateBudget) },
  responses: { 201: json(OneBudget, 'The new budget') },
});
const get = defineRoute('management', {
  method: 'get',
  path: '/{id}',
  tags: TAGS,
  summary: 'One budget',
  request: { params: IdParam },
  responses: { 200: json(OneBudget, 'The budget') },
});
const update = defineRoute('management', {
  method: 'patch',
  path: '/{id}',
  tags: TAGS,
  summary: 'Edit a budget (effective on the next request; its scope cannot change)',
  request: { params: IdParam, body: jsonBody(UpdateBudget) },
  responses: { 200: json(OneBudget, 'The budget') },
});
const remove = defineRoute('management', {
  method: 'delete',
  path: '/{id}',
  tags: TAGS,
  summary: 'Delete a budget (effective on the next request)',
  request: { params: IdParam },
  responses: { 200: json(z.object({ deleted: z.literal(true), id: z.string() }), 'Deleted') },
});

export const budgetRoutes = apiRouter()
  .openapi(list, async (c) => {
    const account = accountObject(c.env, callerAccount(c));
    const [budgets, calendar] = await Promise.all([account.listBudgets(), account.calendar()]);
    return c.json({ budgets, calendar }, 200);
  })
  .openapi(create, async (c) => {
    const body = c.req.valid('json');
    const input: BudgetInput = {
      ...body,
      keyId: body.keyId ?? null,
      model: body.model ?? null,
      projectId: body.projectId ?? null,
      memberId: body.memberId ?? null,
      fallbackModel: body.fallbackModel ?? null,
    };
    if (input.fallbackModel) await checkFallback(c.env, input.fallbackModel);
    const accountId = callerAccount(c);
    const account = accountObject(c.env, accountId);
    await checkTargets(c.env, accountId, account, input);
    const budget = await account.createBudget(input);
    if (!budget) throw new ApiError({ code: 'not_found', message: 'The key or project this budget names is not in this organisation.' });
    return c.json({ budget }, 201);
  })
  .openapi(get, async (c) => {
    const { id } = c.req.valid('param');
    const budget = await accountObject(c.env, callerAccount(c)).getBudget(id);
    if (!budget) throw notFound(id);
    return c.json({ budget }, 200);
  })
  .openapi(update, async (c) => {
    const { id } = c.req.valid('param');
    const patch = c.req.valid('json');
    const account = accountObject(c.env, callerAccount(c));
    const existing = await account.getBudget(id);
    if (!existing) throw notFound(id);
    const next = { ...existing, ...patch };
    const problem = scopeProblem(next);
    if (problem) throw new ApiError({ code: 'invalid_request', param: problem.param, message: `${problem.param}: ${problem.message}` });
    if (next.action === 'fallback' && !next.fallbackModel) {
      throw new ApiError({ code: 'invalid_request', param: 'fallbackModel', message: 'fallbackModel: a fallback budget names the model to serve instead.' });
    }
    if (next.action !== 'fallback' && next.fallbackModel) patch.fallbackModel = null;
    if (next.fallbackModel && next.fallbackModel === next.model) {
      throw new ApiError({ code: 'invalid_request', param: 'fallbackModel', message: 'fallbackModel: a model cannot be its own fallback.' });
    }
    if (patch.fallbackModel) await checkFallback(c.env, patch.fallbackModel);
    await checkTargets(c.env, callerAccount(c), account, { keyId: patch.keyId ?? null, projectId: patch.projectId ?? null, memberId: patch.memberId ?? null });
    const budget = await account.updateBudget(id, patch);
    if (!budget) throw notFound(id);
    return c.json({ budget }, 200);
  })
  .openapi(remove, async (c) => {
    const { id } = c.req.valid('param');
    if (!(await accountObject(c.env, callerAccount(c)).deleteBudget(id))) throw notFound(id);
    return c.json({ deleted: true as const, id }, 200);
  });

const getCalendar = defineRoute('management', {
  method: 'get',
  path: '/',
  tags: TAGS,
  summary: 'The time zone and week start your budget windows follow',
  responses: { 200: json(z.object({ calendar: Calendar }), 'The calendar') },
});
const putCalendar = defineRoute('management', {
  method: 'put',
  path: '/',
  tags: TAGS,
  summary: 'Set the time zone and week start of your budget windows (effective on the next request)',
  request: { body: jsonBody(Calendar.partial().strict()) },
  responses: { 200: json(z.object({ calendar: Calendar }), 'The calendar') },
});

export const calendarRoutes = apiRouter()
  .openapi(getCalendar, async (c) => c.json({ calendar: await accountObject(c.env, callerAccount(c)).calendar() }, 200))
  .openapi(putCalendar, async (c) => {
    const body = c.req.valid('json');
    if (body.timezone !== undefined && !isTimeZone(body.timezone)) {
      throw new ApiError({
        code: 'invalid_request',
        param: 'timezone',
        message: `timezone: '${body.timezone}' is not an IANA time zone (e.g. Europe/Berlin).`,
      });
    }
    const calendar = await accountObject(c.env, callerAccount(c)).setCalendar(body);
    return c.json({ calendar }, 200);
  });

const AlertQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z.coerce.number().int().min(0).optional().describe('Only alerts created before this instant (epoch ms), for paging.'),
});

const listAlerts = defineRoute('management', {
  method: 'get',
  path: '/',
  tags: TAGS,
  summary: 'Alerts (budget thresholds and forecasts, low balance, auto-recharge failures, anomalies), newest first',
  request: { query: AlertQuery },
  responses: { 200: json(z.object({ alerts: z.array(AlertView) }), 'Alerts') },
});

interface AlertRow {
  id: string;
  type: AlertType;
  message: string;
  budget_id: string | null;
  budget_name: string | null;
  scope: string | null;
  end_user: string | null;
  window_kind: 'hour' | 'day' | 'week' | 'month' | 'lifetime' | null;
  window_start: number | null;
  resets_at: number | null;
  percent: number | null;
  spent_micros: number | null;
  amount_micros: number | null;
  action: 'block' | 'alert' | 'fallback' | null;
  request_id: string | null;
  created_at: number;
  details: string | null;
}

const detailsOf = (text: string | null): Record<string, unknown> | null => {
  if (!text) return null;
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return null;
  }
};

export const alertRoutes = apiRouter().openapi(listAlerts, async (c) => {
  const { limit, before } = c.req.valid('query');
  const { results } = await c.env.DB.prepare('SELECT * FROM alerts WHERE account_id = ? AND created_at < ? ORDER BY created_at DESC, percent DESC LIMIT ?')
    .bind(callerAccount(c), before ?? Number.MAX_SAFE_INTEGER, limit)
    .all<AlertRow>();
  const alerts = results.map((r) => ({
    id: r.id,
    type: r.type,
    message: r.message,
    budgetId: r.budget_id,
    budgetName: r.budget_name,
    scope: r.scope,
    endUser: r.end_user,
    window: r.window_kind,
    windowStart: r.window_start,
    resetsAt: r.resets_at,
    percent: r.percent,
    spentMicros: r.spent_micros,
    amountMicros: r.amount_micros,
    action: r.action,
    requestId: r.request_id,
    details: detailsOf(r.details),
    createdAt: r.created_at,
  }));
  return c.json({ alerts }, 200);
});
