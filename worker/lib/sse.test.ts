import { describe, expect, it } from 'vitest';
import { SseSplitter } from './sse';

describe('SseSplitter', () => {
  it('yields events only once complete, whatever the chunking', () => {
    const stream = 'data: {"a":1}\n\ndata: {"b":2}\n\n: comment\n\ndata: [DONE]\n\n';
    for (let cut = 1; cut < stream.length; cut++) {
      const splitter = new SseSplitter();
      const events = [...splitter.push(stream.slice(0, cut)), ...splitter.push(stream.slice(cut))];
      expect(events.map((e) => e.data)).toEqual(['{"a":1}', '{"b":2}', null, '[DONE]']);
      expect(splitter.empty).toBe(true);
    }
  });

  it('handles CRLF framing and multi-line data', () => {
    const splitter = new SseSplitter();
    expect(splitter.push('data: one\r\ndata: two\r\n\r\n').map((e) => e.data)).toEqual(['one\ntwo']);
  });

  it('returns an unterminated tail on flush', () => {
    const splitter = new SseSplitter();
    expect(splitter.push('data: {"x":1}')).toEqual([]);
    expect(splitter.flush().map((e) => e.data)).toEqual(['{"x":1}']);
  });
});
