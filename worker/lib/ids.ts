/**
 * @module ids
 * Identifiers: sortable by time (so D1 pages and journals read in order) and unguessable.
 */
const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** `<prefix>_<time base36><16 random base36 chars>`, e.g. `req_lx2k9a…`. */
export function newId(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let random = '';
  for (const byte of bytes) random += ALPHABET[byte % 36];
  return `${prefix}_${Date.now().toString(36).padStart(9, '0')}${random}`;
}
