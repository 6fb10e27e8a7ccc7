/**
 * @module metering/stream-meter
 * Relays an origin's SSE stream to the client while metering it:
 * - captures the origin's `usage` (forced on upstream); a client that did not ask for usage gets
 *   no chunk with empty `choices`, one that did gets the usage chunk last, before `[DONE]`, as
 *   OpenAI sends it (synthesised from the settled figures if the origin sent none);
 * - keeps the produced text for a tokenizer count if the origin never reports usage;
 * - stops the origin once its counted output passes the granted tokens (an origin that ignores
 *   max_tokens), and ends every stream at the request's lifetime cap;
 * - settles exactly once: at the end of the stream, when the client goes away (the origin is
 *   aborted so the GPU stops), when the origin fails or stalls, or at a cap;
 * - tells the client its cost in an SSE comment line (`: gateway {...}`) before `[DONE]`, which
 *   every SSE parser skips, so OpenAI clients see exactly OpenAI's stream shape.
 * Chunks that need no change are passed on as the origin's own bytes, not re-encoded.
 * The stream is pull-based with no buffer of its own: a client that stops reading stops the
 * relay, and the origin feels the backpressure.
 */
import type { UsageStatus } from '../durable-objects/account/types';
import { SseSplitter, sseData } from '../lib/sse';
import type { OriginAdapter, UpstreamUsage } from '../origins/types';
import type { Endpoint } from '../services/catalog';
import { costPayload } from './headers';
import type { Outcome, Settled } from './settle';

export interface MeterOptions {
  origin: ReadableStream<Uint8Array>;
  adapter: OriginAdapter;
  endpoint: Endpoint;
  requestId: string;
  model: string;
  clientWantsUsage: boolean;
  startedAt: number;
  /** Output tokens admission granted; counted output past this stops the origin. */
  grantedTokens: number;
  /** The request's lifetime cap (ms since `startedAt`); the stream is ended then. */
  lifetimeMs: number;
  /** Longest silence tolerated from the origin mid-stream. */
  idleTimeoutMs: number;
  /**
   * How long the client may take no data at all before it is taken for gone. Some disconnects
   * reach neither the request signal nor the body's cancel (e.g. behind a proxy that stops
   * reading); the relay then just stops being pulled.
   */
  stalledClientMs: number;
  abortOrigin: () => void;
  settle: (outcome: Outcome) => Promise<Settled | null>;
}

export interface MeteredStream {
  body: ReadableStream<Uint8Array>;
  /** Call when the client is known to be gone (request signal); idempotent. */
  clientGone: () => void;
  /** Resolves once the request is settled (for waitUntil). */
  settled: Promise<unknown>;
}

const encoder = new TextEncoder();
const EMPTY_CHOICES = /"choices"\s*:\s*\[\s*\]/;

/** Why the gateway itself ended a stream early. */
type Cut = 'idle' | 'lifetime' | 'overrun';

/** Wraps an origin stream in the metering relay. */
export function meterStream(o: MeterOptions): MeteredStream {
  const reader = o.origin.getReader();
  const decoder = new TextDecoder();
  const splitter = new SseSplitter();
  let usage: UpstreamUsage | null = null;
  /** The origin's usage-only chunk, held back to be sent last (only kept for a client that asked). */
  let usageChunk: string | null = null;
  /** Raw events that carry generated text, parsed only if their text is needed. */
  const textEvents: string[] = [];
  let sawFirst = false;
  let ttftMs: number | null = null;
  let finishing: Promise<Settled | null> | null = null;
  let cut: Cut | null = null;
  const cutNow = (): Cut | null => cut;
  let resolveSettled: (value: unknown) => void = () => {};
  const settled = new Promise((resolve) => (resolveSettled = resolve));
  let chunkMeta = { id: o.requestId, created: Math.floor(o.startedAt / 1000) };

  /**
   * Text the origin produced, parsed from the kept events only when it is needed: when the
   * origin reported no usage (a tokenizer count).
   */
  const producedText = (): string => {
    let out = '';
    for (const data of textEvents) {
      try {
        out += o.adapter.text(JSON.parse(data) as Record<string, unknown>);
      } catch {
        // not JSON: carries no text we can count
      }
    }
    return out;
  };

  /** Output counted so far: text events (every server sends at least one token per event) or reported usage. */
  const countedOutput = (): number => Math.max(textEvents.length, usage?.outputTokens ?? 0);

  /** Settles exactly once, whichever path gets here first. */
  const finish = (status: UsageStatus): Promise<Settled | null> => {
    clearInterval(watchdog);
    if (finishing) return finishing;
    finishing = o.settle({
      usage,
      text: usage ? '' : producedText(),
      status,
      ttftMs,
      // Stopped for passing the grant: at least that much was produced (settlement clamps and reports it).
      ...(cut === 'overrun' ? { outputAtLeast: countedOutput() } : {}),
    });
    // Done once the account object has the settle (sent after the stream's end, not before it).
    void finishing.then((info) => info?.delivered).finally(() => resolveSettled(undefined));
    return finishing;
  };

  /** Ends the stream from the gateway's side: stops the origin; the next pull sends the ending. */
  const stop = (why: Cut): void => {
    if (cut || finishing) return;
    cut = why;
    o.abortOrigin();
    reader.cancel().catch(() => {});
  };

  /**
   * Inspects complete events and returns the ones to forward. Events are not parsed on the way
   * through: a cheap check finds the ones that may carry usage or have empty `choices` (parsed)
   * and the first one with text (time to first token); the rest are kept as strings for a
   * tokenizer count if needed.
   */
  const inspect = (events: ReturnType<SseSplitter['push']>): { forward: string[]; changed: boolean } => {
    const forward: string[] = [];
    let changed = false;
    for (const event of events) {
      const data = event.data;
      if (cut) {
        changed = true;
        continue;
      }
      if (data === null) {
        forward.push(event.raw);
        continue;
      }
      if (data.trim() === '[DONE]') {
        changed = true;
        continue;
      } // re-sent after the usage chunk and the cost
      if (!sawFirst) {
        sawFirst = true;
        try {
          const first = JSON.parse(data) as { id?: unknown; created?: unknown };
          if (typeof first.id === 'string') chunkMeta = { id: first.id, created: typeof first.created === 'number' ? first.created : chunkMeta.created };
        } catch {
          // keep the request id as the chunk id
        }
      }
      if (o.adapter.carriesText(data)) {
        if (textEvents.length >= o.grantedTokens) {
          // The origin is generating past what was granted: stop it, and do not relay the excess.
          textEvents.push(data);
          stop('overrun');
          changed = true;
          continue;
        }
        ttftMs ??= Date.now() - o.startedAt;
        textEvents.push(data);
      }
      const mayCarryUsage = o.adapter.mayCarryUsage(data);
      if (mayCarryUsage || EMPTY_CHOICES.test(data)) {
        let payload: Record<string, unknown> | null = null;
        try {
          payload = JSON.parse(data) as Record<string, unknown>;
        } catch {
          payload = null;
        }
        const reported = payload && mayCarryUsage ? o.adapter.usage(payload, o.endpoint) : null;
        if (reported) usage = reported;
        if (usage && usage.outputTokens > o.grantedTokens) stop('overrun');
        const choices = payload?.choices;
        const emptyChoices = Array.isArray(choices) && choices.length === 0;
        if (emptyChoices) {
          // OpenAI sends a chunk with empty choices only for include_usage, and only last.
          if (reported && o.clientWantsUsage) usageChunk = event.raw;
          changed = true;
          continue;
        }
      }
      forward.push(event.raw);
    }
    return { forward, changed };
  };

  // One watchdog per stream (not a timer per chunk): if a read from the origin stays pending for
  // the idle timeout, abort the origin; the read then fails and the stream settles as a timeout.
  // Only a pending read counts: a client that reads slowly is backpressure, not a stalled origin.
  // The lifetime cap applies whatever the client does, so a stream can never outlive its hold.
  let readingSince: number | null = null;
  let lastPullAt = Date.now();
  const watchdog = setInterval(
    () => {
      if (finishing || cut) return;
      const now = Date.now();
      if (now - o.startedAt >= o.lifetimeMs) {
        stop('lifetime');
        // Settle now: a client that pulls rarely must not keep the reservation open past the cap.
        void finish('lifetime_exceeded');
        return;
      }
      if (readingSince === null) {
        // Not waiting for the origin: is anyone still reading?
        if (now - lastPullAt >= o.stalledClientMs) clientGone();
        return;
      }
      if (now - readingSince >= o.idleTimeoutMs) stop('idle');
    },
    Math.min(o.idleTimeoutMs, o.stalledClientMs, o.lifetimeMs, 1000),
  );

  const readChunk = async (): Promise<ReadableStreamReadResult<Uint8Array>> => {
    readingSince = Date.now();
    try {
      const chunk = await reader.read();
      // A cancelled read resolves as done; the cut decides how the stream ends.
      if (cut) throw new Error(`stream cut: ${cut}`);
      return chunk;
    } finally {
      readingSince = null;
    }
  };

  /** A chunk that ends the choice because the gateway stopped generation at a cap. */
  const lengthChunk = (): string => {
    const choice =
      o.endpoint === 'chat'
        ? { index: 0, delta: {}, logprobs: null, finish_reason: 'length' }
        : { index: 0, text: '', logprobs: null, finish_reason: 'length' };
    const object = o.endpoint === 'chat' ? 'chat.completion.chunk' : 'text_completion';
    return sseData(JSON.stringify({ id: chunkMeta.id, object, created: chunkMeta.created, model: o.model, choices: [choice] }));
  };

  /** The end of every completed stream: the usage chunk (if asked for), the cost comment, `[DONE]`. */
  const closing = (info: Settled | null): string => {
    let out = '';
    if (o.clientWantsUsage) {
      if (usageChunk) out += `${usageChunk}\n\n`;
      else if (info) {
        const object = o.endpoint === 'chat' ? 'chat.completion.chunk' : 'text_completion';
        const u = {
          prompt_tokens: info.result.inputTokens,
          completion_tokens: info.result.outputTokens,
          total_tokens: info.result.inputTokens + info.result.outputTokens,
        };
        out += sseData(JSON.stringify({ id: chunkMeta.id, object, created: chunkMeta.created, model: o.model, choices: [], usage: u }));
      }
    }
    const gateway = info ? costPayload(o.requestId, info.result, info.estimated) : { request_id: o.requestId, cost_pending: true };
    return `${out}: gateway ${JSON.stringify(gateway)}\n\n${sseData('[DONE]')}`;
  };

  /**
   * Ends a stream already settled as abandoned: a client the stall watchdog took for gone may still
   * be reading, and must get an end rather than a read that never resolves.
   */
  const endSettled = async (controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> => {
    const info = await finishing;
    try {
      controller.enqueue(encoder.encode(closing(info ?? null)));
      controller.close();
    } catch {
      // the client really is gone: the stream was cancelled
    }
  };

  const clientGone = (): void => {
    if (finishing) return;
    o.abortOrigin();
    reader.cancel().catch(() => {});
    void finish('client_closed');
  };

  const body = new ReadableStream<Uint8Array>(
    {
      // Each pull enqueues at least one chunk or ends the stream: a pull that enqueued nothing
      // (e.g. only the dropped usage chunk arrived) would leave the reader waiting forever.
      async pull(controller) {
        lastPullAt = Date.now();
        for (;;) {
          if (cut === 'lifetime' || cut === 'overrun') {
            const info = await finish(cut === 'lifetime' ? 'lifetime_exceeded' : 'ok');
            controller.enqueue(encoder.encode(lengthChunk() + closing(info)));
            controller.close();
            return;
          }
          if (finishing) return endSettled(controller); // taken for gone (stalled), yet still reading
          let chunk: ReadableStreamReadResult<Uint8Array>;
          try {
            chunk = await readChunk();
          } catch {
            const why = cutNow(); // set by the watchdog or inspect while this read waited
            if (why === 'lifetime' || why === 'overrun') continue; // the ending is sent above
            if (finishing) return endSettled(controller); // the client left (or was taken for gone) while we waited
            const status: UsageStatus = why === 'idle' ? 'origin_timeout' : 'origin_error';
            o.abortOrigin();
            reader.cancel().catch(() => {});
            await finish(status);
            const message = status === 'origin_timeout' ? 'The model server stopped responding mid-stream.' : 'The model server failed mid-stream.';
            controller.enqueue(encoder.encode(sseData(JSON.stringify({ error: { message, type: 'api_error', code: status, param: null } }))));
            controller.close();
            return;
          }
          if (chunk.done) {
            const { forward } = inspect([...splitter.push(decoder.decode()), ...splitter.flush()]);
            if (cut) continue;
            const info = await finish('ok');
            controller.enqueue(encoder.encode(forward.map((raw) => `${raw}\n\n`).join('') + closing(info)));
            controller.close();
            return;
          }
          const wasEmpty = splitter.empty;
          const { forward, changed } = inspect(splitter.push(decoder.decode(chunk.value, { stream: true })));
          if (!changed && wasEmpty && splitter.empty) {
            controller.enqueue(chunk.value);
            return;
          }
          if (forward.length) {
            controller.enqueue(encoder.encode(forward.map((raw) => `${raw}\n\n`).join('')));
            return;
          }
        }
      },
      cancel() {
        clientGone();
      },
    },
    { highWaterMark: 0 },
  );
  return { body, clientGone, settled };
}
