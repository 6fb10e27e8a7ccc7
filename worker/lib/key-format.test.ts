import { describe, expect, it } from 'vitest';
import { generateKey, keyDisplay, parseKey } from './key-format';

describe('key format', () => {
  it('generates keys that parse as their kind', () => {
    for (let i = 0; i < 200; i++) {
      expect(parseKey(generateKey('inference'))).toBe('inference');
      expect(parseKey(generateKey('management'))).toBe('management');
    }
    expect(generateKey('inference')).toMatch(/^sk-gw-[0-9A-Za-z]{30}$/);
  });

  it('rejects any single-character change through the checksum', () => {
    const key = generateKey('inference');
    for (let i = 6; i < key.length; i++) {
      const swapped = key[i] === 'a' ? 'b' : 'a';
      expect(parseKey(key.slice(0, i) + swapped + key.slice(i + 1))).toBeNull();
    }
  });

  it('rejects wrong prefixes, lengths and alphabets', () => {
    const key = generateKey('inference');
    expect(parseKey(key.replace('sk-gw-', 'sk-xx-'))).toBeNull();
    expect(parseKey(key.slice(0, -1))).toBeNull();
    expect(parseKey(`${key}0`)).toBeNull();
    expect(parseKey(`${key.slice(0, 10)}_${key.slice(11)}`)).toBeNull();
    expect(parseKey('sk-proj-abc')).toBeNull();
    expect(parseKey('')).toBeNull();
  });

  it('shows only a prefix and the last four characters', () => {
    const key = generateKey('inference');
    expect(keyDisplay(key)).toEqual({ prefix: key.slice(0, 12), last4: key.slice(-4) });
  });
});
