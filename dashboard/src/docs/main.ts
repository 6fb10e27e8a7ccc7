/**
 * @module docs/main
 * The API reference at /docs: Swagger UI, bundled rather than loaded from a CDN, rendering the
 * gateway's /api/openapi.json. The page is on the dashboard's origin, so "Try it out" sends the
 * session cookie like the dashboard does; unsafe methods also need the session's CSRF token.
 */
// The self-contained bundle on its own: the package's index also pulls in the standalone preset
// (its top bar, unused here) and a Node-only path helper.
import SwaggerUIBundle, { type SwaggerRequest } from 'swagger-ui-dist/swagger-ui-es-bundle.js';
import 'swagger-ui-dist/swagger-ui.css';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

// The CSRF token of the signed-in session, read from /api/me on the first unsafe request. Only a
// token is kept: signed out, the next unsafe request asks again (the user may sign in meanwhile).
let csrfToken: Promise<string | null> | undefined;

async function readCsrfToken(): Promise<string | null> {
  try {
    const response = await fetch('/api/me', { credentials: 'same-origin', headers: { accept: 'application/json' } });
    if (!response.ok) return null;
    return ((await response.json()) as { csrfToken?: string }).csrfToken ?? null;
  } catch {
    return null; // the request goes without it and the gateway's answer says why
  }
}

/** Sends the session cookie, and the CSRF token on unsafe methods when signed in. */
async function withSession(request: SwaggerRequest): Promise<SwaggerRequest> {
  request.credentials = 'same-origin';
  if (SAFE.has((request.method ?? 'GET').toUpperCase())) return request;
  csrfToken ??= readCsrfToken();
  const token = await csrfToken;
  if (token) request.headers['x-csrf-token'] = token;
  else csrfToken = undefined;
  return request;
}

SwaggerUIBundle({
  url: '/api/openapi.json',
  domNode: document.getElementById('swagger-ui')!,
  deepLinking: true,
  tryItOutEnabled: false,
  validatorUrl: null, // the default badge is an image from validator.swagger.io
  requestInterceptor: withSession,
});
