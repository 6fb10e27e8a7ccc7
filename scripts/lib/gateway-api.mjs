// @ts-check
/**
 * A minimal JSON client for the gateway's HTTP API, used by `npm start` and its seeding.
 * Web APIs only (fetch), so tests running inside workerd can reuse it with an injected fetch.
 */

/** A response whose status was not the one the caller expected. */
export class GatewayApiError extends Error {
  /**
   * @param {string} method
   * @param {string} path
   * @param {number} status
   * @param {unknown} body
   */
  constructor(method, path, status, body) {
    const detail = typeof body === 'string' ? body : JSON.stringify(body);
    super(`${method} ${path} answered ${status}: ${detail.slice(0, 500)}`);
    this.name = 'GatewayApiError';
    /** @readonly */
    this.status = status;
    /** @readonly */
    this.body = body;
  }
}

/**
 * @typedef {object} GatewayClient
 * @property {(method: string, path: string, options?: { body?: unknown, token?: string, expect?: number[] }) => Promise<{ status: number, body: unknown }>} request
 *   Sends JSON, parses JSON (falls back to text); throws GatewayApiError unless the status is in
 *   `expect` (default: any 2xx).
 */

/**
 * A client bound to one gateway and (optionally) one bearer token.
 * @param {object} options
 * @param {string} options.gatewayUrl e.g. http://127.0.0.1:8787
 * @param {string} [options.token] default bearer token
 * @param {typeof fetch} [options.fetch]
 * @returns {GatewayClient}
 */
export function gatewayClient({ gatewayUrl, token: defaultToken, fetch: fetchImpl = fetch }) {
  const base = gatewayUrl.replace(/\/+$/, '');
  return {
    async request(method, path, { body, token = defaultToken, expect } = {}) {
      /** @type {Record<string, string>} */
      const headers = { accept: 'application/json' };
      if (token) headers.authorization = `Bearer ${token}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const response = await fetchImpl(`${base}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      /** @type {unknown} */
      let parsed;
      try {
        parsed = text === '' ? null : JSON.parse(text);
      } catch {
        parsed = text;
      }
      const ok = expect ? expect.includes(response.status) : response.ok;
      if (!ok) throw new GatewayApiError(method, path, response.status, parsed);
      return { status: response.status, body: parsed };
    },
  };
}

/**
 * Poll `GET url` until it answers 200.
 * @param {object} options
 * @param {string} options.url
 * @param {number} [options.timeoutMs]
 * @param {number} [options.intervalMs]
 * @param {AbortSignal} [options.signal] stop waiting early (e.g. the server process exited)
 * @param {typeof fetch} [options.fetch]
 * @returns {Promise<boolean>} true once it answered 200, false on timeout or abort
 */
export async function waitForUrl({ url, timeoutMs = 90_000, intervalMs = 500, signal, fetch: fetchImpl = fetch }) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !signal?.aborted) {
    try {
      const response = await fetchImpl(url, { signal: AbortSignal.timeout(5_000) });
      await response.body?.cancel();
      if (response.status === 200) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return false;
}

/**
 * Poll the gateway's `GET /api/health` until it answers 200.
 * @param {Omit<Parameters<typeof waitForUrl>[0], 'url'> & { gatewayUrl: string }} options
 */
export function waitForHealth({ gatewayUrl, ...options }) {
  return waitForUrl({ url: `${gatewayUrl.replace(/\/+$/, '')}/api/health`, ...options });
}
