/**
 * @module sse
 * Incremental Server-Sent Events framing for OpenAI-style streams. Splits decoded text into
 * complete events (separated by a blank line) and keeps the incomplete tail for the next chunk.
 */

export interface SseEvent {
  /** The event exactly as received, without the trailing blank line. */
  raw: string;
  /** The concatenated `data:` lines, or null for comments and events without data. */
  data: string | null;
}

/** Accumulates text and yields complete events. */
export class SseSplitter {
  private buffer = '';

  /** True when no partial event is buffered. */
  get empty(): boolean {
    return this.buffer.length === 0;
  }

  /** Adds text and returns every event it completed. */
  push(text: string): SseEvent[] {
    this.buffer += text;
    const events: SseEvent[] = [];
    for (;;) {
      const match = /\r\n\r\n|\n\n|\r\r/.exec(this.buffer);
      if (!match) break;
      const raw = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      events.push({ raw, data: dataOf(raw) });
    }
    return events;
  }

  /** Returns whatever is left (an event the origin never terminated). */
  flush(): SseEvent[] {
    const rest = this.buffer;
    this.buffer = '';
    return rest.trim() ? [{ raw: rest, data: dataOf(rest) }] : [];
  }
}

function dataOf(raw: string): string | null {
  let data: string | null = null;
  for (const line of raw.split(/\r\n|\n|\r/)) {
    if (!line.startsWith('data:')) continue;
    const value = line.slice(line[5] === ' ' ? 6 : 5);
    data = data === null ? value : `${data}\n${value}`;
  }
  return data;
}

/** Formats one `data:` event. */
export function sseData(payload: string): string {
  return `data: ${payload}\n\n`;
}
