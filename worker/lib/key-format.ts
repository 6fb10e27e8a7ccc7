/**
 * @module key-format
 * API key format: `<kind prefix><24 base62 random chars><6 base62 CRC-32 chars>`.
 * The prefix makes a leaked key recognisable (secret scanners, logs); the checksum lets the
 * gateway refuse a mistyped or made-up key with no storage I/O at all.
 */
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const RANDOM_LENGTH = 24; // 62^24 ≈ 2^143
const CHECKSUM_LENGTH = 6; // 62^6 > 2^32

export const KEY_PREFIXES = { inference: 'sk-gw-', management: 'mk-gw-' } as const;
export type KeyKind = keyof typeof KEY_PREFIXES;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(text: string): number {
  let crc = 0xffffffff;
  for (let i = 0; i < text.length; i++) crc = CRC_TABLE[(crc ^ text.charCodeAt(i)) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function checksum(body: string): string {
  let value = crc32(body);
  let out = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = ALPHABET[value % 62] + out;
    value = Math.floor(value / 62);
  }
  return out;
}

/** Generates a new secret key of the given kind. */
export function generateKey(kind: KeyKind): string {
  const bytes = crypto.getRandomValues(new Uint8Array(RANDOM_LENGTH * 2));
  let random = '';
  // Rejection sampling keeps every character uniform over the 62-letter alphabet.
  for (let i = 0; i < bytes.length && random.length < RANDOM_LENGTH; i++) {
    if (bytes[i] < 248) random += ALPHABET[bytes[i] % 62];
  }
  while (random.length < RANDOM_LENGTH) random += ALPHABET[crypto.getRandomValues(new Uint8Array(1))[0] % 62];
  const body = KEY_PREFIXES[kind] + random;
  return body + checksum(body);
}

/** Returns the key's kind when it is well formed (prefix, length, alphabet, checksum), else null. */
export function parseKey(key: string): KeyKind | null {
  for (const kind of Object.keys(KEY_PREFIXES) as KeyKind[]) {
    const prefix = KEY_PREFIXES[kind];
    if (!key.startsWith(prefix)) continue;
    if (key.length !== prefix.length + RANDOM_LENGTH + CHECKSUM_LENGTH) return null;
    for (let i = prefix.length; i < key.length; i++) if (!ALPHABET.includes(key[i])) return null;
    const body = key.slice(0, -CHECKSUM_LENGTH);
    return checksum(body) === key.slice(-CHECKSUM_LENGTH) ? kind : null;
  }
  return null;
}

/** The parts of a key that may be shown after creation: its first 12 and last 4 characters. */
export function keyDisplay(key: string): { prefix: string; last4: string } {
  return { prefix: key.slice(0, 12), last4: key.slice(-4) };
}
