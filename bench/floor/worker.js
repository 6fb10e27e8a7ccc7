/**
 * Bench only: what the runtime itself charges for the design's hot-path contract (one Durable
 * Object round trip before the origin, a durable write for the reservation and one for the
 * charge), with none of the gateway's own work. Every path forwards to the origin exactly as the
 * pass-through worker does; they differ only in what happens around the forward:
 *
 *   /direct/…       nothing (the pass-through, in this same worker)
 *   /rpc/…          one RPC to an object that does nothing
 *   /write/…        one RPC that runs one write transaction (read a balance, insert a reservation)
 *   /write2/…       that, then after the origin answers a second one (mark it settled, debit)
 *   /mem/…          the contract the gateway runs now (DESIGN.md, issue 11): one RPC that checks and
 *                   reserves in the object's memory (no storage write), the response returned as
 *                   soon as the origin answers, then — in `waitUntil` — one settle RPC that the
 *                   object group-commits (every settle waiting, in one write transaction) and
 *                   answers once its batch is written
 *   /relay/…        streams: forward only, but through a JavaScript relay that does nothing (each
 *                   origin read enqueued as is): the least any gateway that reads a stream and
 *                   appends to it (a receipt, a synthesised usage chunk) pays in workerd, where a
 *                   body produced by JavaScript costs far more than a native pass-through
 *   /mem-relay/…    streams: the contract now around that relay, the settle sent once the stream ends
 *
 * So the gateway can never be faster than the matching row, whatever it does in JavaScript.
 */
import { DurableObject } from 'cloudflare:workers';

export class FloorObject extends DurableObject {
  /** @param {DurableObjectState} ctx @param {unknown} env */
  constructor(ctx, env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec('CREATE TABLE IF NOT EXISTS reservation (id TEXT PRIMARY KEY, amount INTEGER NOT NULL, settled INTEGER NOT NULL)');
    this.sql.exec('CREATE TABLE IF NOT EXISTS balance (id INTEGER PRIMARY KEY, micros INTEGER NOT NULL)');
    this.sql.exec('INSERT OR IGNORE INTO balance VALUES (1, 1000000000000)');
  }

  nothing() {
    return true;
  }

  /** In memory: balance − reserved ≥ the worst case, then hold it. @param {string} id */
  admitInMemory(id) {
    this.held ??= new Map();
    this.heldTotal ??= 0;
    this.balanceMicros ??= this.sql.exec('SELECT micros FROM balance WHERE id = 1').one().micros;
    if (this.balanceMicros - this.heldTotal < 100) return false;
    this.held.set(id, 100);
    this.heldTotal += 100;
    return true;
  }

  /** Queued for the next group commit; resolves once its batch is written. @param {string} id */
  settleGrouped(id) {
    return new Promise((resolve) => {
      /** @type {Array<{ id: string, resolve: (v: boolean) => void }>} */
      this.batch ??= [];
      this.batch.push({ id, resolve });
      this.timer ??= setTimeout(() => this.commit(), 0);
    });
  }

  commit() {
    const batch = this.batch ?? [];
    this.batch = [];
    this.timer = undefined;
    this.ctx.storage.transactionSync(() => {
      for (const item of batch) {
        this.heldTotal -= this.held.get(item.id) ?? 0;
        this.held.delete(item.id);
        this.sql.exec('INSERT INTO reservation VALUES (?, 36, 1)', item.id);
      }
      this.balanceMicros -= 36 * batch.length;
      this.sql.exec('UPDATE balance SET micros = ? WHERE id = 1', this.balanceMicros);
    });
    for (const item of batch) item.resolve(true);
  }

  /** @param {string} id */
  reserve(id) {
    return this.ctx.storage.transactionSync(() => {
      const { micros } = this.sql.exec('SELECT micros FROM balance WHERE id = 1').one();
      this.sql.exec('INSERT INTO reservation VALUES (?, 100, 0)', id);
      return micros;
    });
  }

  /** @param {string} id */
  settle(id) {
    return this.ctx.storage.transactionSync(() => {
      this.sql.exec('UPDATE reservation SET settled = 1 WHERE id = ?', id);
      this.sql.exec('UPDATE balance SET micros = micros - 36 WHERE id = 1');
      return true;
    });
  }
}

export default {
  /**
   * @param {Request} request
   * @param {{ ORIGIN_URL: string, ORIGIN_KEY: string, FLOOR: DurableObjectNamespace<FloorObject> }} env
   * @param {ExecutionContext} ctx
   */
  async fetch(request, env, ctx) {
    const { pathname, search } = new URL(request.url);
    const slash = pathname.indexOf('/', 1);
    const mode = pathname.slice(1, slash);
    const stub = env.FLOOR.get(env.FLOOR.idFromName('one-account'));
    const id = crypto.randomUUID();
    if (mode === 'rpc') await stub.nothing();
    else if (mode === 'write' || mode === 'write2') await stub.reserve(id);
    else if (mode === 'mem') {
      if (!(await stub.admitInMemory(id))) return new Response('no credit', { status: 402 });
    } else if (mode === 'mem-relay') {
      if (!(await stub.admitInMemory(id))) return new Response('no credit', { status: 402 });
    } else if (mode !== 'direct' && mode !== 'relay') return new Response('not found', { status: 404 });
    const response = await fetch(env.ORIGIN_URL + pathname.slice(slash) + search, {
      method: request.method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${env.ORIGIN_KEY}` },
      body: request.body,
    });
    if ((mode === 'relay' || mode === 'mem-relay') && response.body) {
      const settle = mode === 'mem-relay' ? () => ctx.waitUntil(stub.settleGrouped(id)) : () => {};
      return new Response(relay(response.body, settle), response);
    }
    if (mode === 'mem') {
      // The settle follows the response (the gateway counts the body as it passes, then settles).
      const body = await response.arrayBuffer();
      ctx.waitUntil(stub.settleGrouped(id));
      return new Response(body, response);
    }
    if (mode !== 'write2') return response;
    const body = await response.arrayBuffer();
    await stub.settle(id);
    return new Response(body, response);
  },
};

/**
 * A pull relay that changes nothing: one origin read per client pull, no buffer of its own.
 * @param {ReadableStream<Uint8Array>} origin @param {() => void} ended
 */
function relay(origin, ended) {
  const reader = origin.getReader();
  return new ReadableStream(
    {
      async pull(controller) {
        const chunk = await reader.read();
        if (chunk.done) {
          ended();
          controller.close();
        } else controller.enqueue(chunk.value);
      },
      cancel(reason) {
        ended();
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
