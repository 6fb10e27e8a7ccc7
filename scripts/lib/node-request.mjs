/**
 * Turns a node:http request into a web `Request` (headers kept as sent, body buffered), for the
 * local Node servers that run web-standard handlers (demo origin, fake payment providers).
 * @param {import('node:http').IncomingMessage} req
 * @param {AbortSignal} [signal] aborts the web request (e.g. when the client goes away)
 * @returns {Promise<Request>}
 */
export async function toWebRequest(req, signal) {
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  return new Request(`http://${req.headers.host ?? 'localhost'}${req.url}`, {
    method: req.method,
    headers,
    body: hasBody ? Buffer.concat(chunks) : undefined,
    signal,
  });
}
