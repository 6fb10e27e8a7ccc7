import { describe, expect, it } from 'vitest';
import { parseTagFilter, TAG_FILTER_MAX } from './tag-filter';

describe('parseTagFilter', () => {
  it('reads name=value and drops the spaces around the name and the value', () => {
    expect(parseTagFilter('feature=rag')).toEqual({ ok: true, tag: 'feature=rag' });
    expect(parseTagFilter('  feature = rag ')).toEqual({ ok: true, tag: 'feature=rag' });
  });

  it('is no filter for empty text', () => {
    expect(parseTagFilter('')).toBeNull();
    expect(parseTagFilter('   ')).toBeNull();
  });

  it('keeps an = inside the value, as the API splits at the first one', () => {
    expect(parseTagFilter('query=a=b')).toEqual({ ok: true, tag: 'query=a=b' });
  });

  it('says what is missing: the =, the name or the value', () => {
    expect(parseTagFilter('feature')).toEqual({ ok: false, message: 'Write the tag as name=value, e.g. feature=rag.' });
    expect(parseTagFilter('=rag')).toMatchObject({ ok: false, message: expect.stringContaining('needs a name') });
    expect(parseTagFilter('feature=')).toMatchObject({ ok: false, message: expect.stringContaining('“feature” needs a value') });
  });

  it('refuses control characters and text longer than the API takes', () => {
    expect(parseTagFilter('feature=r\u0007ag')).toMatchObject({ ok: false, message: 'A tag holds printable characters only.' });
    expect(parseTagFilter(`feature=${'x'.repeat(TAG_FILTER_MAX)}`)).toMatchObject({ ok: false, message: expect.stringContaining('at most 200') });
    expect(parseTagFilter(`f=${'x'.repeat(TAG_FILTER_MAX - 2)}`)).toMatchObject({ ok: true });
  });
});
