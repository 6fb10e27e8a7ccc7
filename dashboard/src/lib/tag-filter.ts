/**
 * @module lib/tag-filter
 * Reading the `name=value` feature tag people type into a filter, before it goes to the API as
 * `tag=` (docs/analytics.md). The API splits at the first '=', so a value may hold more of them
 * (OpenAI's metadata values can); a name cannot.
 */

/** The analytics endpoint's bound on `tag=`. */
export const TAG_FILTER_MAX = 200;

export type TagFilter = { ok: true; tag: string } | { ok: false; message: string };

// Control characters: neither a header tag nor a metadata key the gateway stores holds one.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Parses typed text into a filter: "feature = rag" → "feature=rag" (spaces around the name and
 * value dropped, as the x-gateway-tags header drops them); '' → no filter; anything else → a
 * message saying what is wrong in plain words.
 */
export function parseTagFilter(text: string): TagFilter | null {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  const eq = trimmed.indexOf('=');
  if (eq < 0) return { ok: false, message: 'Write the tag as name=value, e.g. feature=rag.' };
  const name = trimmed.slice(0, eq).trim();
  const value = trimmed.slice(eq + 1).trim();
  if (name === '') return { ok: false, message: 'The tag needs a name before the “=”, e.g. feature=rag.' };
  if (value === '') return { ok: false, message: `The tag “${name.slice(0, 40)}” needs a value after the “=”, e.g. ${name.slice(0, 40)}=rag.` };
  if (CONTROL.test(trimmed)) return { ok: false, message: 'A tag holds printable characters only.' };
  const tag = `${name}=${value}`;
  if (tag.length > TAG_FILTER_MAX) return { ok: false, message: `A tag filter is at most ${TAG_FILTER_MAX} characters; this one has ${tag.length}.` };
  return { ok: true, tag };
}
