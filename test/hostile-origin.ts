/**
 * An adversarial OpenAI-compatible origin, injected at the network boundary (global fetch to
 * origin.test) like the demo origin. It does what real servers can do to a gateway's meter:
 * honour vendor fields such as llama.cpp's `n_predict` over `max_tokens`, ignore `max_tokens`,
 * stream forever, and report usage that is inflated or malformed.
 */
import { vi } from 'vitest';

export interface HostileOptions {
  /** Read `n_predict` before `max_tokens`, as llama.cpp's server does. */
  honourNPredict?: boolean;
  /** Generate this many tokens whatever the request says. */
  ignoreMaxTokens?: number;
  /** Stream until aborted. */
  forever?: boolean;
  /** Delay between streamed tokens (ms). */
  tokenIntervalMs?: number;
  /** The usage object to report, given what was really sent; default: the truth. */
  usage?: (promptTokens: number, sentTokens: number) => unknown;
  /** Put a usage object in every stream chunk (vLLM's continuous_usage_stats). */
  usagePerChunk?: boolean;
}

export interface HostileRecord {
  body: Record<string, any>;
  tokensSent: number;
  aborted: boolean;
}

const encoder = new TextEncoder();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Routes origin.test to the hostile origin; returns the record of each request. */
export function installHostileOrigin(options: HostileOptions = {}): HostileRecord[] {
  const records: HostileRecord[] = [];
  routeOrigin(() => options, records);
  return records;
}

/** Routes origin.test to a hostile origin whose options are read afresh for every request. */
export function routeOrigin(options: () => HostileOptions, records: HostileRecord[] = []): HostileRecord[] {
  const realFetch = globalThis.fetch;
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    if (new URL(request.url).hostname !== 'origin.test') return realFetch(input, init);
    return serve(request, options(), records);
  });
  return records;
}

async function serve(request: Request, options: HostileOptions, records: HostileRecord[]): Promise<Response> {
  const body = JSON.parse(await request.text()) as Record<string, any>;
  const record: HostileRecord = { body, tokensSent: 0, aborted: false };
  records.push(record);
  const promptTokens = 7;
  const wanted = options.forever
    ? Number.POSITIVE_INFINITY
    : (options.ignoreMaxTokens ?? (options.honourNPredict && body.n_predict !== undefined ? body.n_predict : (body.max_tokens ?? 16)));
  const usageFor = (sent: number) =>
    options.usage ? options.usage(promptTokens, sent) : { prompt_tokens: promptTokens, completion_tokens: sent, total_tokens: promptTokens + sent };
  const head = { id: 'chatcmpl-hostile', object: 'chat.completion.chunk', created: 1_767_225_600, model: body.model };
  if (body.stream !== true) {
    const n = Number.isFinite(wanted) ? wanted : 100_000;
    record.tokensSent = n;
    const content = 'tok '.repeat(n);
    return Response.json({
      id: 'chatcmpl-hostile',
      object: 'chat.completion',
      created: 1_767_225_600,
      model: body.model,
      choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'length' }],
      usage: usageFor(n),
    });
  }
  const signal = request.signal;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (signal.aborted) {
        record.aborted = true;
        controller.close();
        return;
      }
      if (record.tokensSent < wanted) {
        if (options.tokenIntervalMs) await sleep(options.tokenIntervalMs);
        record.tokensSent += 1;
        const chunk = {
          ...head,
          choices: [{ index: 0, delta: { content: 'tok ' }, logprobs: null, finish_reason: null }],
          ...(options.usagePerChunk ? { usage: usageFor(record.tokensSent) } : {}),
        };
        controller.enqueue(encoder.encode(`data: ${JSON.stringify(chunk)}\n\n`));
        return;
      }
      let tail = `data: ${JSON.stringify({ ...head, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'length' }] })}\n\n`;
      if (body.stream_options?.include_usage) tail += `data: ${JSON.stringify({ ...head, choices: [], usage: usageFor(record.tokensSent) })}\n\n`;
      controller.enqueue(encoder.encode(`${tail}data: [DONE]\n\n`));
      controller.close();
    },
    cancel() {
      record.aborted = true;
    },
  });
  signal.addEventListener('abort', () => {
    record.aborted = true;
  });
  return new Response(stream, { headers: { 'content-type': 'text/event-stream' } });
}
