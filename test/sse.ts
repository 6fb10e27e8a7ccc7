/**
 * Reads a gateway SSE response the way a spec-following parser does, and also keeps what such a
 * parser skips (the `: gateway {...}` cost comment), so tests can check both.
 */
export interface ReadStream {
  /** Every `data:` payload but `[DONE]`, parsed. */
  chunks: any[];
  /** The cost comment's JSON, if one was sent. */
  gateway: any | null;
  /** Whether the stream ended with `data: [DONE]`. */
  done: boolean;
  /** The raw text. */
  raw: string;
}

/** Reads a whole SSE body. */
export async function readSse(res: Response): Promise<ReadStream> {
  const raw = await res.text();
  const out: ReadStream = { chunks: [], gateway: null, done: false, raw };
  for (const event of raw.split(/\n\n/)) {
    for (const line of event.split('\n')) {
      if (line.startsWith(': gateway ')) out.gateway = JSON.parse(line.slice(': gateway '.length));
      else if (line === 'data: [DONE]') out.done = true;
      else if (line.startsWith('data: ')) out.chunks.push(JSON.parse(line.slice(6)));
    }
  }
  return out;
}
