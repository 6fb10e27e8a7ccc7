/**
 * @module metering/stream-meter
 * Relays an origin's SSE stream to the client while metering it:
 * - captures the origin's `usage` (forced on upstream) and drops that usage-only chunk when
 *   the client did not ask for it;
 * - keeps the produced text for a tokenizer count if the origin never reports usage;
 * - settles exactly once — at the end of the stream, when the client goes away (the origin
 *   is aborted so the GPU stops), or when the origin fails or stalls;
 * - ends with one data chunk carrying the cost, then `[DONE]`.
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
class IdleTimeout extends Error {}

/** Wraps an origin stream in the metering relay. */
export function meterStream(o: MeterOptions): MeteredStream {
  const reader = o.origin.getReader();
  const decoder = new TextDecoder();
  const splitter = new SseSplitter();
  let usage: UpstreamUsage | null = null;
  /** Raw events that carry generated text, parsed only if their text is needed. */
  const textEvents: string[] = [];
  let sawFirst = false;
  let ttftMs: number | null = null;
  let finishing: Promise<Settled | null> | null = null;
  let resolveSettled: (value: unknown) => void = () => {};
  const settled = new Promise((resolve) => (resolveSettled = resolve));
  let chunkMeta = { id: o.requestId, created: Math.floor(o.startedAt / 1000) };

  /** Settles exactly once, whichever path gets here first. */
  /**
   * Text the origin produced, parsed from the kept events only when it is needed: when the
   * origin reported no usage (a tokenizer count) or to know whether anything was produced.
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

  /** Settles exactly once, whichever path gets here first. */
  const finish = (status: UsageStatus): Promise<Settled | null> => {
    clearInterval(watchdog);
    finishing ??= o.settle({ usage, text: usage ? '' : producedText(), status, ttftMs }).finally(() => resolveSettled(undefined));
    return finishing;
  };

  /**
   * Inspects complete events and returns the ones to forward. Events are not parsed on the way
   * through: a cheap check finds the ones that may carry usage (parsed) and the first one with
   * text (time to first token); the rest are kept as strings for a tokenizer count if needed.
   */
  const inspect = (events: ReturnType<SseSplitter['push']>): { forward: string[]; changed: boolean } => {
    const forward: string[] = [];
    let changed = false;
    for (const event of events) {
      const data = event.data;
      if (data === null) { forward.push(event.raw); continue; }
      if (data.trim() === '[DONE]') { changed = true; continue; } // re-sent after the cost chunk
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
        ttftMs ??= Date.now() - o.startedAt;
        textEvents.push(data);
      }
      if (o.adapter.mayCarryUsage(data)) {
        let payload: Record<string, unknown> | null = null;
        try { payload = JSON.parse(data) as Record<string, unknown>; } catch { payload = null; }
        const reported = payload ? o.adapter.usage(payload, o.endpoint) : null;
        if (reported) usage = reported;
        const usageOnly = reported !== null && Array.isArray(payload?.choices) && (payload?.choices as unknown[]).length === 0;
        if (usageOnly && !o.clientWantsUsage) { changed = true; continue; }
      }
      forward.push(event.raw);
    }
    return { forward, changed };
  };

  // One watchdog per stream (not a timer per chunk): if a read from the origin stays pending for
  // the idle timeout, abort the origin; the read then fails and the stream settles as a timeout.
  // Only a pending read counts: a client that reads slowly is backpressure, not a stalled origin.
  let readingSince: number | null = null;
  let lastPullAt = Date.now();
  let idleTimedOut = false;
  const watchdog = setInterval(() => {
    if (finishing) return;
    if (readingSince === null) {
      // Not waiting for the origin: is anyone still reading?
      if (Date.now() - lastPullAt >= o.stalledClientMs) clientGone();
      return;
    }
    if (Date.now() - readingSince < o.idleTimeoutMs) return;
    idleTimedOut = true;
    o.abortOrigin();
    reader.cancel(new IdleTimeout()).catch(() => {});
  }, Math.min(o.idleTimeoutMs, o.stalledClientMs, 1000));
  const readChunk = async (): Promise<ReadableStreamReadResult<Uint8Array>> => {
    readingSince = Date.now();
    try {
      const chunk = await reader.read();
      if (idleTimedOut) throw new IdleTimeout();
      return chunk;
    } finally {
      readingSince = null;
    }
  };

  const closing = (settledInfo: Settled | null): string => {
    const object = o.endpoint === 'chat' ? 'chat.completion.chunk' : 'text_completion';
    const gateway = settledInfo ? costPayload(o.requestId, settledInfo.result, settledInfo.estimated) : { request_id: o.requestId, cost_pending: true };
    return sseData(JSON.stringify({ id: chunkMeta.id, object, created: chunkMeta.created, model: o.model, choices: [], gateway })) + sseData('[DONE]');
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
          if (finishing) return;
          let chunk: ReadableStreamReadResult<Uint8Array>;
          try {
            chunk = await readChunk();
          } catch (error) {
            if (finishing) return; // the client left while we waited
            const status: UsageStatus = idleTimedOut || error instanceof IdleTimeout ? 'origin_timeout' : 'origin_error';
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
