/**
 * @module routes/v1/validate-json
 * The building blocks of /v1 body validation: OpenAI's error wording (400 `invalid_request`
 * naming `param`), type and range checks, and the bounds that keep a 1 MB body cheap to check.
 */
import { ApiError } from '../../errors';

export type Json = Record<string, unknown>;

/** Bounds. OpenAI documents the tool, stop, top_logprobs and embedding-input ones; the rest keep a 1 MB body cheap to check. */
export const LIMITS = {
  messages: 2048,
  contentParts: 1024,
  toolCalls: 1024,
  tools: 128,
  stop: 4,
  logitBias: 1024,
  metadata: 16,
  user: 256,
  model: 256,
  embeddingInputs: 2048,
  promptTokens: 1_048_576,
  /** Nesting of free-form objects (tool parameters, JSON schemas, metadata). */
  depth: 64,
} as const;

export function fail(param: string, message: string): never {
  throw new ApiError({ code: 'invalid_request', message, param });
}

/** OpenAI's words for a JSON value's type. */
function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'an integer' : 'a decimal';
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v}`;
}

export const invalidType = (param: string, expected: string, v: unknown): never =>
  fail(param, `Invalid type for '${param}': expected ${expected}, but got ${typeName(v)} instead.`);
export const missing = (param: string): never => fail(param, `Missing required parameter: '${param}'.`);
export const invalidValue = (param: string, v: unknown, allowed: readonly string[]): never =>
  fail(param, `Invalid value: '${String(v).slice(0, 64)}'. Supported values are: ${allowed.map((a) => `'${a}'`).join(', ')}.`);
export const tooLong = (param: string, max: number, length: number): never =>
  fail(param, `Invalid '${param}': array too long. Expected an array with maximum length ${max}, but got an array with length ${length} instead.`);
export const emptyArray = (param: string): never =>
  fail(param, `Invalid '${param}': empty array. Expected an array with minimum length 1, but got an empty array instead.`);

export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
export const absent = (v: unknown) => v === undefined || v === null;

export function number(param: string, v: unknown, min: number, max: number): void {
  if (typeof v !== 'number' || !Number.isFinite(v)) return invalidType(param, 'a number', v);
  if (v < min) fail(param, `Invalid '${param}': number below minimum value. Expected a value >= ${min}, but got ${v} instead.`);
  if (v > max) fail(param, `Invalid '${param}': number above maximum value. Expected a value <= ${max}, but got ${v} instead.`);
}

export function integer(param: string, v: unknown, min: number, max: number): void {
  if (typeof v !== 'number' || !Number.isInteger(v)) return invalidType(param, 'an integer', v);
  if (v < min) fail(param, `Invalid '${param}': integer below minimum value. Expected a value >= ${min}, but got ${v} instead.`);
  if (v > max) fail(param, `Invalid '${param}': integer above maximum value. Expected a value <= ${max}, but got ${v} instead.`);
}

export function string(param: string, v: unknown, maxLength = Infinity): void {
  if (typeof v !== 'string') return invalidType(param, 'a string', v);
  if (v.length > maxLength)
    fail(param, `Invalid '${param}': string too long. Expected a string with maximum length ${maxLength}, but got a string with length ${v.length} instead.`);
}

export function oneOf(param: string, v: unknown, allowed: readonly string[]): void {
  if (typeof v !== 'string') return invalidType(param, 'a string', v);
  if (!allowed.includes(v)) invalidValue(param, v, allowed);
}

/** A free-form JSON object (tool parameters, a JSON schema) nested at most LIMITS.depth deep. */
export function object(param: string, v: unknown): void {
  if (!isObject(v)) return invalidType(param, 'an object', v);
  if (!shallowerThan(v, LIMITS.depth)) fail(param, `Invalid '${param}': nested deeper than ${LIMITS.depth} levels.`);
}

function shallowerThan(v: unknown, depth: number): boolean {
  if (typeof v !== 'object' || v === null) return true;
  if (depth === 0) return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!shallowerThan(v[i], depth - 1)) return false;
  } else {
    for (const k in v) if (!shallowerThan((v as Json)[k], depth - 1)) return false;
  }
  return true;
}

// ---- optional top-level parameters (absent or null means "use the default") ----

export const optNumber = (b: Json, k: string, min: number, max: number) => absent(b[k]) || number(k, b[k], min, max);
export const optInteger = (b: Json, k: string, min: number, max: number) => absent(b[k]) || integer(k, b[k], min, max);
export const optBoolean = (b: Json, k: string) => absent(b[k]) || typeof b[k] === 'boolean' || invalidType(k, 'a boolean', b[k]);
export const optString = (b: Json, k: string, max?: number) => absent(b[k]) || string(k, b[k], max);
export const optOneOf = (b: Json, k: string, allowed: readonly string[]) => absent(b[k]) || oneOf(k, b[k], allowed);
