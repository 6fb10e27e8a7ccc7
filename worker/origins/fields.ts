/**
 * @module origins/fields
 * What the gateway forwards to an origin. A request body is never forwarded whole: only the
 * fields of OpenAI's API for that endpoint (the adapter's list), plus the extra fields an operator
 * opted into for a service, each declared with its meaning for the output length:
 *
 * - `sampling`: changes which tokens are produced, not how many may be (top_k, repetition_penalty,
 *   ignore_eos — max_tokens still ends generation); forwarded as sent (scalars or short arrays).
 * - `max_output_tokens`: another name for max_tokens (llama.cpp's n_predict); forwarded clamped
 *   to the tokens admission granted.
 * - `min_output_tokens`: a floor on output (vLLM's min_tokens); forwarded clamped to the grant.
 *
 * Anything else the client sends is dropped, so no vendor field can raise what the origin
 * generates beyond what was admitted (a field dropped is at worst ignored; one forwarded unchecked
 * could be billed).
 */
import { ApiError } from '../errors';

/**
 * Every request field of OpenAI's API for chat, completions and embeddings (whether the gateway
 * forwards it or keeps it, like `user` and `metadata`): a service cannot redeclare any of them as
 * an extra field with another meaning.
 */
export const GATEWAY_FIELDS: ReadonlySet<string> = new Set([
  'model',
  'messages',
  'prompt',
  'input',
  'max_tokens',
  'max_completion_tokens',
  'stream',
  'stream_options',
  'n',
  'best_of',
  'user',
  'metadata',
  'store',
  'frequency_penalty',
  'presence_penalty',
  'logit_bias',
  'logprobs',
  'top_logprobs',
  'seed',
  'stop',
  'temperature',
  'top_p',
  'response_format',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'functions',
  'function_call',
  'reasoning_effort',
  'echo',
  'suffix',
  'encoding_format',
  'dimensions',
  'service_tier',
  'modalities',
  'audio',
  'prediction',
  'web_search_options',
]);

export const EXTRA_FIELD_MEANINGS = ['sampling', 'max_output_tokens', 'min_output_tokens'] as const;
export type ExtraFieldMeaning = (typeof EXTRA_FIELD_MEANINGS)[number];
export type ExtraFields = Record<string, ExtraFieldMeaning>;

/** A sampling value: a scalar or a short array of scalars (e.g. stop_token_ids). */
const MAX_ARRAY = 256;
const isScalar = (v: unknown) => v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean';
const positiveInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
const nonNegativeInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Checks the opted-in extra fields a request carries (before admission); throws a 400 naming the field. */
export function checkExtraFields(extra: ExtraFields, body: Record<string, unknown>): void {
  for (const [name, meaning] of Object.entries(extra)) {
    const value = body[name];
    if (value === undefined) continue;
    const bad = (what: string) => new ApiError({ code: 'invalid_request', param: name, message: `'${name}' must be ${what}.` });
    if (meaning === 'max_output_tokens' && value !== null && !positiveInt(value)) throw bad('a positive integer');
    if (meaning === 'min_output_tokens' && value !== null && !nonNegativeInt(value)) throw bad('a non-negative integer');
    if (meaning === 'sampling' && !isScalar(value) && !(Array.isArray(value) && value.length <= MAX_ARRAY && value.every(isScalar))) {
      throw bad(`a number, string, boolean, null or an array of at most ${MAX_ARRAY} of them`);
    }
  }
}

/**
 * The upstream body: the allowed fields of `request`, then the extra fields clamped to the grant.
 * The caller sets the model and the output-length fields of OpenAI's API itself.
 */
export function pickForwarded(
  request: Record<string, unknown>,
  allowed: ReadonlySet<string>,
  extra: ExtraFields,
  grantedTokens: number,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name in request) {
    if (allowed.has(name)) out[name] = request[name];
  }
  for (const [name, meaning] of Object.entries(extra)) {
    const value = request[name];
    if (value === undefined || value === null) continue;
    if (meaning === 'sampling') out[name] = value;
    else out[name] = Math.min(value as number, grantedTokens);
  }
  return out;
}
