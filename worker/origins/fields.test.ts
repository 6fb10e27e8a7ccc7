import { describe, expect, it } from 'vitest';
import { ApiError } from '../errors';
import { checkExtraFields, GATEWAY_FIELDS, pickForwarded } from './fields';
import { FORWARDED } from './openai';

describe('origin fields', () => {
  it('counts every field an adapter forwards among the fields a service cannot redeclare', () => {
    for (const fields of Object.values(FORWARDED)) for (const name of fields) expect(GATEWAY_FIELDS.has(name), name).toBe(true);
  });

  it('forwards only allowed fields, and extra fields clamped to the grant', () => {
    const body = { messages: [], temperature: 1, n_predict: 9000, min_tokens: 9000, top_k: 5, secret_field: 'x' };
    const out = pickForwarded(body, FORWARDED.chat, { n_predict: 'max_output_tokens', min_tokens: 'min_output_tokens', top_k: 'sampling' }, 32);
    expect(out).toEqual({ messages: [], temperature: 1, n_predict: 32, min_tokens: 32, top_k: 5 });
  });

  it('refuses extra-field values of the wrong kind, naming the field', () => {
    const extra = { n_predict: 'max_output_tokens', top_k: 'sampling' } as const;
    for (const body of [{ n_predict: 0 }, { n_predict: 1.5 }, { n_predict: '10' }, { top_k: { nested: 1 } }, { top_k: Array(300).fill(1) }]) {
      const error = (() => {
        try {
          checkExtraFields(extra, body);
        } catch (e) {
          return e;
        }
        return null;
      })();
      expect(error, JSON.stringify(body).slice(0, 40)).toBeInstanceOf(ApiError);
      expect((error as ApiError).param).toBe(Object.keys(body)[0]);
    }
    expect(() => checkExtraFields(extra, { n_predict: 10, top_k: [1, 2] })).not.toThrow();
  });
});
