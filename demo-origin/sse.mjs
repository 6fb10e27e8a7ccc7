// @ts-check
/** Paced server-sent-event streams and abortable waits for the demo origin (web APIs only). */

/**
 * @typedef {object} SseEvent
 * @property {unknown} data  object (JSON-encoded) or a literal string such as "[DONE]"
 * @property {number} tokens completion tokens this event carries (counted into tokensSent)
 */

/**
 * @typedef {object} StreamRecord the slice of a stats record a stream updates
 * @property {number} tokensSent
 * @property {boolean} aborted
 * @property {boolean} completed
 */

/**
 * Resolve after `ms`, or reject with the signal's reason as soon as it aborts.
 * @param {number} ms
 * @param {AbortSignal} [signal]
 * @returns {Promise<void>}
 */
export function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    if (ms <= 0) return resolve();
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A promise that never resolves and rejects with the signal's reason when it aborts.
 * @param {AbortSignal} signal
 * @returns {Promise<never>}
 */
export function untilAborted(signal) {
  return new Promise((_, reject) => {
    if (signal.aborted) return reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/**
 * An SSE body that emits `events` one per read, `delayMs` apart, and updates `record` live.
 *
 * highWaterMark 0 means nothing is produced ahead of the reader, so `tokensSent` counts what
 * was actually handed over. The stream stops for good when `signal` aborts (the stream errors
 * with its reason) or the reader cancels; either marks the record aborted unless it had completed.
 * @param {object} options
 * @param {SseEvent[]} options.events
 * @param {number} options.delayMs pause before every event after the first
 * @param {AbortSignal} options.signal
 * @param {StreamRecord} options.record
 * @param {number} [options.failAfterTokens] error the stream once this many tokens were sent
 * @returns {ReadableStream<Uint8Array>}
 */
export function pacedSseStream({ events, delayMs, signal, record, failAfterTokens }) {
  const encoder = new TextEncoder();
  // Aborted when the stream ends for any reason, so a pending pause stops at once.
  const stop = new AbortController();
  let index = 0;
  let finished = false;
  /** @type {ReadableStreamDefaultController<Uint8Array> | undefined} */
  let controller;

  const finish = () => {
    finished = true;
    stop.abort();
    signal.removeEventListener('abort', onAbort);
  };
  function onAbort() {
    if (finished) return;
    finish();
    record.aborted = true;
    controller?.error(signal.reason);
  }

  return new ReadableStream(
    {
      start(c) {
        controller = c;
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort);
      },
      async pull(c) {
        if (finished) return;
        if (index > 0 && delayMs > 0) {
          try {
            await sleep(delayMs, stop.signal);
          } catch {
            return; // stopped by abort or cancel, which already settled the record
          }
        }
        if (failAfterTokens !== undefined && record.tokensSent >= failAfterTokens) {
          finish();
          c.error(new Error('demo origin: stream failed mid-way (fail: "midstream")'));
          return;
        }
        const event = events[index++];
        const line = typeof event.data === 'string' ? event.data : JSON.stringify(event.data);
        c.enqueue(encoder.encode(`data: ${line}\n\n`));
        record.tokensSent += event.tokens;
        if (index === events.length) {
          finish();
          record.completed = true;
          c.close();
        }
      },
      cancel() {
        if (finished) return;
        finish();
        record.aborted = true;
      },
    },
    { highWaterMark: 0 },
  );
}
