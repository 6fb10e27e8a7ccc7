// @ts-check
/**
 * Stripe's request encoding: `application/x-www-form-urlencoded` with bracketed keys, e.g.
 * `line_items[0][price_data][unit_amount]=2500&metadata[topup_id]=tp_1&expand[]=customer`.
 * Values stay strings, as Stripe receives them; numeric keys build arrays.
 */

import { invalidRequest, missingParam } from './stripe-errors.mjs';

const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** @typedef {Record<string, unknown>} StripeParamObject values: strings, nested objects, arrays */

/**
 * Decode a form (or query) string into nested params. Returns null when a key is malformed.
 * @param {string} text
 * @returns {StripeParamObject | null}
 */
export function parseStripeParams(text) {
  /** @type {Record<string, any>} */
  const root = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
    if (!match) return null;
    const path = [match[1], ...Array.from(match[2].matchAll(/\[([^[\]]*)\]/g), (m) => m[1])];
    if (path.some((part) => UNSAFE_KEYS.has(part))) return null;
    let node = root;
    for (let i = 0; i < path.length - 1; i += 1) {
      const part = path[i] === '' ? String(Object.keys(node).length) : path[i];
      if (typeof node[part] !== 'object') node[part] = {};
      node = node[part];
    }
    const last = path[path.length - 1];
    node[last === '' ? String(Object.keys(node).length) : last] = value;
  }
  return /** @type {StripeParamObject} */ (arraysFromIndexedObjects(root));
}

/**
 * Turn objects whose keys are all 0..n-1 into arrays (in index order), recursively.
 * @param {unknown} value
 * @returns {unknown}
 */
function arraysFromIndexedObjects(value) {
  if (!value || typeof value !== 'object') return value;
  const record = /** @type {Record<string, unknown>} */ (value);
  const keys = Object.keys(record);
  for (const key of keys) record[key] = arraysFromIndexedObjects(record[key]);
  const indexed = keys.length > 0 && keys.every((key) => /^\d+$/.test(key));
  if (!indexed) return record;
  const sorted = keys.map(Number).sort((a, b) => a - b);
  if (!sorted.every((n, i) => n === i)) return record;
  return sorted.map((n) => record[String(n)]);
}

/**
 * JSON with object keys sorted, so equal params always compare equal (idempotency check).
 * @param {unknown} value
 * @returns {string}
 */
export function canonicalJson(value) {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const record = /** @type {Record<string, unknown>} */ (value);
    return `{${Object.keys(record)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * A string param; Stripe treats an empty value as unset.
 * @param {unknown} value
 * @param {string} param name for the error
 * @returns {string | undefined}
 */
export function optionalString(value, param) {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw invalidRequest(`Invalid string: ${param}`, { param });
  return value;
}

/**
 * @param {unknown} value
 * @param {string} param
 */
export function requiredString(value, param) {
  const text = optionalString(value, param);
  if (text === undefined) throw missingParam(param);
  return text;
}

/**
 * An integer param (sent as decimal digits).
 * @param {unknown} value
 * @param {string} param
 * @returns {number | undefined}
 */
export function optionalInteger(value, param) {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || !/^-?\d{1,15}$/.test(value)) {
    throw invalidRequest(`Invalid integer: ${typeof value === 'string' ? value : param}`, { code: 'parameter_invalid_integer', param });
  }
  return Number(value);
}

/**
 * @param {unknown} value
 * @param {string} param
 */
export function requiredInteger(value, param) {
  const number = optionalInteger(value, param);
  if (number === undefined) throw missingParam(param);
  return number;
}

/**
 * Stripe's booleans arrive as "true"/"false".
 * @param {unknown} value
 */
export function booleanParam(value) {
  return value === 'true';
}

/**
 * A metadata hash: string keys to string values (a fresh copy).
 * @param {unknown} value
 * @param {string} [param]
 * @returns {Record<string, string>}
 */
export function metadataParam(value, param = 'metadata') {
  if (value === undefined || value === '') return {};
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw invalidRequest(`Invalid object: ${param}`, { param });
  /** @type {Record<string, string>} */
  const metadata = {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') throw invalidRequest(`Invalid string: ${param}[${key}]`, { param: `${param}[${key}]` });
    if (item !== '') metadata[key] = item;
  }
  return metadata;
}

/**
 * A nested params object, or {} when absent.
 * @param {unknown} value
 * @param {string} param
 * @returns {Record<string, unknown>}
 */
export function objectParam(value, param) {
  if (value === undefined || value === '') return {};
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw invalidRequest(`Invalid object: ${param}`, { param });
  return /** @type {Record<string, unknown>} */ (value);
}
