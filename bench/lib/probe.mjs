// @ts-check
/**
 * One careful request per target and mode before any load: status 200 and a body that says
 * what the origin said (the whole completion text; for streams, every delta and the final
 * `data: [DONE]`). The gateway must also report the cost it charged (a header for JSON, a
 * `: gateway {...}` comment before `[DONE]` for streams): proof that settlement ran. Load runs only check bodies cheaply.
 */

/**
 * @typedef {object} ProbeTarget
 * @property {string} id
 * @property {string} url
 * @property {Record<string, string>} headers
 * @property {boolean} [billed]  the gateway: expect cost information
 */

/**
 * @param {ProbeTarget} target
 * @param {'json' | 'stream'} kind
 * @param {string} body
 * @param {string} expectedText the completion text the origin produces
 * @returns {Promise<{ ok: true } | { ok: false, reason: string }>}
 */
export async function probe(target, kind, body, expectedText) {
  let response;
  try {
    response = await fetch(target.url, {
      method: 'POST',
      headers: { ...target.headers, 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    return { ok: false, reason: `request failed: ${error instanceof Error ? error.message : error}` };
  }
  const text = await response.text();
  if (response.status !== 200) return { ok: false, reason: `status ${response.status}: ${text.slice(0, 300)}` };
  try {
    if (kind === 'json') {
      const payload = JSON.parse(text);
      const content = payload?.choices?.[0]?.message?.content;
      if (content !== expectedText) return { ok: false, reason: `completion text differs: ${JSON.stringify(content)?.slice(0, 100)}` };
      if (target.billed && !response.headers.get('x-gateway-cost-micros')) return { ok: false, reason: 'no x-gateway-cost-micros header' };
      return { ok: true };
    }
    const events = text
      .split('\n\n')
      .map((e) => e.trim())
      .filter((e) => e.startsWith('data: '))
      .map((e) => e.slice(6));
    if (events.at(-1) !== '[DONE]') return { ok: false, reason: 'stream does not end with data: [DONE]' };
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    const content = chunks.map((c) => c?.choices?.[0]?.delta?.content ?? '').join('');
    if (content !== expectedText) return { ok: false, reason: `streamed text differs: ${JSON.stringify(content).slice(0, 100)}` };
    if (target.billed && !/^: gateway \{.*"cost_micros":\d+/m.test(text)) return { ok: false, reason: 'no ": gateway {cost_micros…}" comment before [DONE]' };
    if (target.billed && chunks.some((c) => Array.isArray(c?.choices) && c.choices.length === 0))
      return { ok: false, reason: 'a chunk with empty choices although usage was not asked for' };
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: `unparseable body (${error instanceof Error ? error.message : error}): ${text.slice(0, 200)}` };
  }
}
