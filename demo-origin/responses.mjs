// @ts-check
/** Response builders in OpenAI's wire shapes, shared by the demo origin's routes. */

export const JSON_HEADERS = Object.freeze({ 'content-type': 'application/json' });
export const SSE_HEADERS = Object.freeze({
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
});

/**
 * A JSON response.
 * @param {number} status
 * @param {unknown} body
 */
export function json(status, body) {
  return new Response(JSON.stringify(body), { status, headers: JSON_HEADERS });
}

/**
 * An error in OpenAI's shape `{error: {message, type, param, code}}`.
 * @param {number} status
 * @param {string} message
 * @param {string} type
 * @param {string | null} [code]
 * @param {string | null} [param]
 */
export function openAIError(status, message, type, code = null, param = null) {
  return json(status, { error: { message, type, param, code } });
}

/**
 * A 400 invalid_request_error naming the offending parameter.
 * @param {string} message
 * @param {string | null} [param]
 */
export function invalidRequest(message, param = null) {
  return openAIError(400, message, 'invalid_request_error', null, param);
}

/**
 * A body that delivers the first half of `text`, then errors (a connection lost mid-response).
 * @param {string} text
 * @returns {ReadableStream<Uint8Array>}
 */
export function brokenBody(text) {
  const bytes = new TextEncoder().encode(text.slice(0, Math.floor(text.length / 2)));
  let sent = false;
  return new ReadableStream(
    {
      pull(controller) {
        if (sent) return controller.error(new Error('demo origin: body failed mid-way (fail: "midstream")'));
        sent = true;
        controller.enqueue(bytes);
      },
    },
    { highWaterMark: 0 },
  );
}
