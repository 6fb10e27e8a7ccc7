// @ts-check
/**
 * Preloaded into the Portkey process (`node --import`) only when the installed
 * `@hono/node-server` is newer than 1.14.2. From 1.14.3 on, its lightweight Response keeps the
 * `immutable` headers of a `fetch()` response it is built from, and Portkey's
 * `ResponseService.updateHeaders` then throws `TypeError: immutable` on every streamed chat
 * completion (Portkey-AI/gateway#1389, open; fixed in node-server 2.1 by honojs/node-server#382,
 * which Portkey's `^1.3.3` range cannot reach). Copying the upstream response once, as
 * node-server ≤ 1.14.2 effectively did, restores Portkey's own behaviour; it costs one Response
 * construction per request. Pinning `@hono/node-server@1.14.2` for Portkey (npm `overrides`)
 * makes this shim unnecessary; bench/lib/portkey.mjs then skips it.
 */
const NativeResponse = globalThis.Response;
const nativeFetch = globalThis.fetch;

globalThis.fetch = async function fetchWithMutableHeaders(input, init) {
  const response = await nativeFetch(input, init);
  return new NativeResponse(response.body, response);
};
