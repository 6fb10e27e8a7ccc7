/**
 * @module routes/api/schemas
 * Request and response schemas of the management API (also the source of /api/openapi.json).
 */
import { z } from '@hono/zod-openapi';
import { microsToUsd } from '../../lib/money';
import type { KeyRecord } from '../../durable-objects/account/types';
import { inCalendar, MAX_INSTANT_MS } from '../../lib/instant';
import { EXTRA_FIELD_MEANINGS, GATEWAY_FIELDS } from '../../origins/fields';

const micros = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const positive = z.number().int().positive().max(1_000_000_000);
/** Epoch ms or an ISO date-time, within the calendar (1970 to 9999). */
export const when = z
  .union([
    z
      .number()
      .int()
      .positive()
      .max(MAX_INSTANT_MS - 1),
    z.iso.datetime({ offset: true }),
  ])
  .transform((v) => (typeof v === 'number' ? v : Date.parse(v)))
  .refine(inCalendar, 'a date between 1970 and 9999');
/** Most models a key can have its own tokens-per-minute limit for. */
export const MAX_TOKEN_LIMIT_MODELS = 64;
const modelName = z.string().min(1).max(100);

export const KeyLimitsInput = z.object({
  allowedServices: z.array(modelName).max(100).nullable().optional().describe('Model names this key may call; null or absent: all.'),
  requestsPerMinute: positive.nullable().optional(),
  tokensPerMinute: z
    .record(modelName, positive)
    .refine((m) => Object.keys(m).length <= MAX_TOKEN_LIMIT_MODELS, `at most ${MAX_TOKEN_LIMIT_MODELS} models`)
    .nullable()
    .optional()
    .describe(`Per model name (at most ${MAX_TOKEN_LIMIT_MODELS}); "*" applies to every model not listed.`),
  maxConcurrent: positive.nullable().optional(),
  spendLimitMicros: micros.nullable().optional().describe('Lifetime spend cap in µUSD.'),
  periodSpendLimitMicros: micros.nullable().optional().describe('Spend cap per period in µUSD.'),
  period: z.enum(['day', 'month']).nullable().optional().describe('UTC calendar period for periodSpendLimitMicros (default month).'),
  expiresAt: when.nullable().optional().describe('Epoch ms or ISO date-time after which the key is refused.'),
});

const ProjectRef = z.string().min(1).max(64).describe('The project the key belongs to (its allowed models and budgets apply).');
export const CreateKeyInput = KeyLimitsInput.extend({
  name: z.string().trim().min(1).max(100),
  projectId: ProjectRef.optional().describe('The project the key goes in; default: the default project (a developer: their first project).'),
}).strict();
export const UpdateKeyInput = KeyLimitsInput.extend({ name: z.string().trim().min(1).max(100).optional(), projectId: ProjectRef.optional() }).strict();

export const PriceInput = z.object({
  inputMicrosPer1M: micros.max(1_000_000_000_000).describe('µUSD per 1M input tokens.'),
  outputMicrosPer1M: micros.max(1_000_000_000_000).describe('µUSD per 1M output tokens.'),
  requestMicros: micros.max(1_000_000_000_000).describe('µUSD per request.'),
});

/** Names a service may opt into: every name except the fields of OpenAI's API, which the gateway checks and forwards by its own rules. */
const ExtraFieldsInput = z
  .record(
    z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,63}$/, 'a lower-case field name')
      .refine((name) => !GATEWAY_FIELDS.has(name), "a field of OpenAI's API, which the gateway handles itself"),
    z.enum(EXTRA_FIELD_MEANINGS),
  )
  .refine((fields) => Object.keys(fields).length <= 32, 'at most 32 extra fields')
  .describe(
    'Vendor request fields forwarded to the origin, each with its meaning for output length: ' +
      'sampling (forwarded as sent), max_output_tokens (e.g. n_predict; clamped to the granted tokens), ' +
      "min_output_tokens (e.g. min_tokens; clamped). Every other field outside OpenAI's API is dropped.",
  );

const ServiceSettings = z.object({
  endpoints: z.array(z.enum(['chat', 'completions', 'embeddings'])).min(1),
  originBaseUrl: z.url({ protocol: /^https?$/ }).describe('Base URL of the OpenAI-compatible server, e.g. http://gpu-1:8000/v1'),
  originFlavour: z.string().describe('Origin adapter; "openai" for any OpenAI-compatible server.'),
  originModel: z.string().min(1).max(200).nullable().describe('Model name sent to the origin (default: the public name).'),
  originCredentialSecret: z
    .string()
    .regex(/^(ORIGIN_[A-Z0-9_]{1,56}|[A-Z][A-Z0-9_]{0,50}_ORIGIN_KEY)$/, 'the name of an origin secret: ORIGIN_… or …_ORIGIN_KEY')
    .nullable()
    .describe('Name of the worker secret holding the origin bearer token.'),
  maxOutputTokens: positive,
  extraFields: ExtraFieldsInput,
  forwardTags: z
    .boolean()
    .describe("Send the request's feature tags to the origin as an x-gateway-tags header (name=value pairs, values percent-encoded). Off by default."),
  defaultRequestsPerMinute: positive.nullable(),
  defaultTokensPerMinute: positive.nullable(),
  defaultMaxConcurrent: positive.nullable(),
});

export const CreateServiceInput = ServiceSettings.partial()
  .required({ endpoints: true, originBaseUrl: true, maxOutputTokens: true })
  .extend({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$/, 'letters, digits and . _ : / - only')
      .describe('Public model name.'),
    prices: PriceInput.partial({ requestMicros: true }),
  })
  .strict();
export const UpdateServiceInput = ServiceSettings.partial()
  .extend({ prices: PriceInput.partial({ requestMicros: true }).optional(), status: z.enum(['active', 'disabled']).optional() })
  .strict();

export const AccountSearchQuery = z
  .object({
    q: z
      .string()
      .trim()
      .max(200)
      .optional()
      .transform((v) => v || undefined)
      .describe("Matches the account id, name or the owner's e-mail."),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict();
export const CreateAccountInput = z.object({ name: z.string().trim().min(1).max(200) }).strict();
export const AdjustmentInput = z
  .object({
    amountMicros: z
      .number()
      .int()
      .refine((v) => v !== 0 && Number.isSafeInteger(v), 'a non-zero integer'),
    reason: z.string().trim().min(3).max(500),
    idempotencyKey: z.string().min(1).max(200).optional(),
  })
  .strict();
export const WriteOffInput = z.object({ reason: z.string().trim().min(3).max(500) }).strict();
export const StatusInput = z.object({ status: z.enum(['active', 'suspended']) }).strict();

export const JournalQuery = z.object({
  before: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

export const UsageQuery = z.object({
  from: z.string().max(64).optional().describe('ISO date-time or epoch ms (inclusive); default 30 days ago.'),
  to: z.string().max(64).optional().describe('ISO date-time or epoch ms (exclusive); default now.'),
  keyId: z.string().max(100).optional(),
  model: z.string().max(200).optional(),
  projectId: z.string().max(100).optional(),
  tag: z
    .string()
    .max(600)
    .regex(/^[^=]+=.+$/, 'tag: name=value, e.g. feature=rag')
    .optional()
    .describe('Only requests carrying this feature tag (name=value).'),
  endUser: z.string().max(256).optional().describe('Only requests for this end user.'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(200).optional().describe('nextCursor from the previous page.'),
});

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const isoOrNull = z.string().nullable().describe('ISO date-time, or null.');

/** The public view of a key, as every key route answers it. */
export const KeyView = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: z.enum(['inference', 'management']),
    prefix: z.string(),
    last4: z.string(),
    status: z.enum(['active', 'revoked']),
    createdAt: z.string(),
    revokedAt: isoOrNull,
    lastUsedAt: isoOrNull,
    expiresAt: isoOrNull,
    limits: z.object({
      allowedServices: z.array(z.string()).nullable(),
      requestsPerMinute: z.number().int().nullable(),
      tokensPerMinute: z.record(z.string(), z.number().int()).nullable(),
      maxConcurrent: z.number().int().nullable(),
      spendLimitMicros: z.number().int().nullable(),
      periodSpendLimitMicros: z.number().int().nullable(),
      period: z.enum(['day', 'month']).nullable(),
    }),
    spentMicros: z.number().int(),
    periodSpentMicros: z.number().int(),
    projectId: z.string().nullable().describe('The project (null for management keys).'),
    createdBy: z.string().nullable().describe('The member (user id) who created it; null when made with a management key.'),
    pausedAt: isoOrNull.describe('When a spend anomaly paused it (refused with 403 until a member resumes it); null when not paused.'),
    pausedReason: z.string().nullable().describe('Why it is paused, and where to resume it.'),
  })
  .openapi('Key');

/** The public view of a key (never the secret, never the hash). */
export function keyView(k: KeyRecord): z.infer<typeof KeyView> {
  return {
    id: k.id,
    name: k.name,
    kind: k.kind,
    prefix: k.prefix,
    last4: k.last4,
    status: k.status,
    createdAt: new Date(k.createdAt).toISOString(),
    revokedAt: iso(k.revokedAt),
    lastUsedAt: iso(k.lastUsedAt),
    expiresAt: iso(k.expiresAt),
    limits: {
      allowedServices: k.allowedServices,
      requestsPerMinute: k.requestsPerMinute,
      tokensPerMinute: k.tokensPerMinute,
      maxConcurrent: k.maxConcurrent,
      spendLimitMicros: k.spendLimitMicros,
      periodSpendLimitMicros: k.periodSpendLimitMicros,
      period: k.period,
    },
    spentMicros: k.spentMicros,
    periodSpentMicros: k.periodSpentMicros,
    projectId: k.projectId,
    createdBy: k.createdBy,
    pausedAt: iso(k.pausedAt),
    pausedReason: k.pausedReason,
  };
}

/** An account's balance as every account route answers it (µUSD; available = balance − reserved). */
export const BalanceView = z
  .object({
    id: z.string(),
    status: z.string(),
    balanceMicros: z.number().int(),
    balanceUsd: z.string().describe('The balance in dollars, six decimals.'),
    reservedMicros: z.number().int().describe('Held by requests in flight.'),
    availableMicros: z.number().int(),
  })
  .openapi('Balance');

/** Builds the balance view from the object's summary. */
export function balanceView(summary: { accountId: string; status: string; balanceMicros: number; reservedMicros: number }): z.infer<typeof BalanceView> {
  return {
    id: summary.accountId,
    status: summary.status,
    balanceMicros: summary.balanceMicros,
    balanceUsd: microsToUsd(summary.balanceMicros),
    reservedMicros: summary.reservedMicros,
    availableMicros: summary.balanceMicros - summary.reservedMicros,
  };
}

/** One balance change of the account's journal. */
export const JournalEntryView = z
  .object({
    seq: z.number().int(),
    idempotencyKey: z.string(),
    kind: z.string().describe('usage, topup, refund, promotion, credit, debit, writeoff, …'),
    counterAccount: z.string().describe('The system account on the other side (sys:revenue, sys:card_clearing, …).'),
    amountMicros: z.number().int(),
    balanceAfterMicros: z.number().int(),
    ref: z.string().nullable(),
    reason: z.string().nullable(),
    createdAt: z.number().int().describe('Epoch ms.'),
  })
  .openapi('JournalEntry');
export const JournalPage = z.object({
  entries: z.array(JournalEntryView),
  nextBefore: z.number().int().nullable().describe('Pass as before= for the next page.'),
});
