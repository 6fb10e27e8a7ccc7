/**
 * The bare pass-through worker: the floor the gateway is measured against. It forwards
 * `/v1/*` to the origin with the origin's credential and returns the origin's response as is
 * (the body streams through untouched). No auth, no limits, no metering.
 */
export default {
  /**
   * @param {Request} request
   * @param {{ ORIGIN_URL: string, ORIGIN_KEY: string }} env
   */
  async fetch(request, env) {
    const { pathname, search } = new URL(request.url);
    return fetch(env.ORIGIN_URL + pathname + search, {
      method: request.method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${env.ORIGIN_KEY}` },
      body: request.body,
    });
  },
};
