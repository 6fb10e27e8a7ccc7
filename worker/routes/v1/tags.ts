/**
 * @module routes/v1/tags
 * Feature tags: short `name=value` labels a client attaches to a request so its cost can be
 * attributed (`feature=rag`, `env=prod`). They come from the `x-gateway-tags` header
 * (`feature=rag,env=prod`) and from OpenAI's `metadata` object (already bounded by OpenAI's own
 * limits in validate-messages.ts); the header wins where both name a tag. Bad tags are refused
 * with a 400 naming the tag, never dropped. Tags stay with the gateway: no adapter forwards
 * `metadata`, and the header is not copied to the origin.
 */
import { ApiError } from '../../errors';

export const TAG_LIMITS = { headerTags: 8, tags: 16, name: 32, value: 64 } as const;
/** OpenAI's bounds on `metadata` (16 keys are checked as the tag count). */
const METADATA = { key: 64, value: 512 } as const;

const NAME = /^[A-Za-z0-9_.:-]+$/;
// Printable, without the separators and control characters.
const VALUE = /^[^\p{Cc},=]+$/u;

const bad = (param: string, message: string): never => {
  throw new ApiError({ code: 'invalid_request', param, message });
};

/** Parses `x-gateway-tags`: comma-separated `name=value` pairs. */
export function parseTagHeader(header: string): Record<string, string> {
  const param = 'x-gateway-tags';
  const out: Record<string, string> = {};
  const pairs = header.split(',').map((p) => p.trim());
  if (pairs.length > TAG_LIMITS.headerTags) bad(param, `The x-gateway-tags header may carry at most ${TAG_LIMITS.headerTags} tags; it has ${pairs.length}.`);
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq < 0) bad(param, `The tag '${pair.slice(0, 40)}' in x-gateway-tags is not name=value.`);
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    if (name.length === 0 || name.length > TAG_LIMITS.name || !NAME.test(name)) {
      bad(param, `The tag name '${name.slice(0, 40)}' in x-gateway-tags must be 1 to ${TAG_LIMITS.name} letters, digits or _ . : -.`);
    }
    if (value.length === 0 || value.length > TAG_LIMITS.value || !VALUE.test(value)) {
      bad(param, `The value of tag '${name}' in x-gateway-tags must be 1 to ${TAG_LIMITS.value} printable characters without ',' or '='.`);
    }
    if (Object.hasOwn(out, name)) bad(param, `The tag '${name}' appears twice in x-gateway-tags.`);
    out[name] = value;
  }
  return out;
}

/**
 * The request's tags (null when it has none): the header's, then `metadata`'s entries the header
 * does not name. `metadata` was validated with the body (an object of at most 16 strings).
 */
export function requestTags(header: string | undefined, metadata: unknown): Record<string, string> | null {
  const fromHeader = header === undefined || header.trim() === '' ? {} : parseTagHeader(header);
  const tags: Record<string, string> = { ...fromHeader };
  if (metadata !== undefined && metadata !== null) {
    // Chat bodies were checked against OpenAI's bounds already; the other endpoints are checked here, the same way.
    if (typeof metadata !== 'object' || Array.isArray(metadata)) bad('metadata', "Invalid 'metadata': expected an object of strings.");
    for (const [name, value] of Object.entries(metadata as Record<string, unknown>)) {
      if (name.length === 0 || name.length > METADATA.key) bad('metadata', `Invalid 'metadata': keys are 1 to ${METADATA.key} characters.`);
      if (typeof value !== 'string' || value.length > METADATA.value) {
        bad('metadata', `Invalid 'metadata.${name.slice(0, 64)}': expected a string of at most ${METADATA.value} characters.`);
      }
      if (!Object.hasOwn(fromHeader, name)) tags[name] = value as string;
    }
  }
  const count = Object.keys(tags).length;
  if (count > TAG_LIMITS.tags) bad('metadata', `A request may carry at most ${TAG_LIMITS.tags} tags (x-gateway-tags and metadata together); it has ${count}.`);
  return count === 0 ? null : tags;
}
