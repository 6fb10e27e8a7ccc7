// @ts-check
/** Web-standard HTTP plumbing shared by the fake providers: a tiny router, bodies, responses. */

/**
 * @template H
 * @typedef {{ handler: H, params: Record<string, string> }} RouteMatch
 */

/**
 * A router over `[method, '/path/:param', handler]` entries; the first match wins.
 * @template H
 * @param {ReadonlyArray<readonly [string, string, H]>} routes
 * @returns {(method: string, pathname: string) => RouteMatch<H> | null}
 */
export function createRouter(routes) {
  const compiled = routes.map(([method, pattern, handler]) => {
    /** @type {string[]} */
    const names = [];
    const source = pattern
      .split('/')
      .map((part) => {
        if (!part.startsWith(':')) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        names.push(part.slice(1));
        return '([^/]+)';
      })
      .join('/');
    return { method, handler, names, regex: new RegExp(`^${source}/?$`) };
  });
  return (method, pathname) => {
    for (const route of compiled) {
      if (route.method !== method) continue;
      const match = route.regex.exec(pathname);
      if (!match) continue;
      try {
        const params = Object.fromEntries(route.names.map((name, i) => [name, decodeURIComponent(match[i + 1])]));
        return { handler: route.handler, params };
      } catch {
        return null; // a malformed %-escape names nothing we hold
      }
    }
    return null;
  };
}

/**
 * A JSON response.
 * @param {number} status
 * @param {unknown} body
 * @param {Record<string, string>} [headers]
 */
export function json(status, body, headers = {}) {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

/**
 * An HTML response.
 * @param {number} status
 * @param {string} markup
 */
export function html(status, markup) {
  return new Response(markup, { status, headers: { 'content-type': 'text/html; charset=utf-8' } });
}

/**
 * A 303 See Other, which makes a browser follow a form POST with a GET.
 * @param {string} location
 */
export function seeOther(location) {
  return new Response(null, { status: 303, headers: { location } });
}

/**
 * Whether the caller is a browser (a page's form post) rather than a script: browsers ask for
 * text/html; fetch, curl and SDKs don't.
 * @param {Request} request
 */
export function wantsHtml(request) {
  return (request.headers.get('accept') ?? '').includes('text/html');
}

/**
 * The fields of a control request: a JSON object, a urlencoded form, or nothing (→ `{}`).
 * A body that starts with `{` is read as JSON whatever its content-type says (so
 * `curl -d '{"amount":500}'`, which claims to send a form, works); anything else as a form.
 * Returns null for a body that starts with `{` but is not a JSON object.
 * @param {Request} request
 * @returns {Promise<Record<string, unknown> | null>}
 */
export async function readFields(request) {
  const text = (await request.text()).trim();
  if (text === '') return {};
  if (!text.startsWith('{')) return Object.fromEntries(new URLSearchParams(text));
  try {
    const value = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}

/**
 * A boolean field from JSON (`true`) or a form (`1`, `true`, `on`).
 * @param {unknown} value
 */
export function isTrue(value) {
  return value === true || value === 1 || (typeof value === 'string' && /^(1|true|on|yes)$/i.test(value));
}
