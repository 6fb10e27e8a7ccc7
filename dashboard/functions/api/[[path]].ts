/**
 * Forwards every /api/* request, unchanged, to the gateway worker through the GATEWAY service
 * binding. The browser stays on the dashboard's origin, so cookies remain first-party; no
 * business logic lives here.
 */
interface Env {
  GATEWAY?: Fetcher;
}

export const onRequest: PagesFunction<Env> = async function forwardToGateway({ request, env }) {
  if (!env.GATEWAY) {
    return gatewayUnavailable('The dashboard is not connected to the gateway (GATEWAY binding missing).');
  }
  let response: Response;
  try {
    response = await env.GATEWAY.fetch(request);
  } catch (error) {
    // The reason goes to the logs only; the client gets the closed-vocabulary error.
    console.error('dashboard: forwarding to the gateway failed', error);
    return gatewayUnavailable('The gateway could not be reached.');
  }
  // Under `wrangler pages dev`, a binding whose worker is not running answers 503 text/plain
  // ('Worker "gpu-gateway" not found...') instead of throwing. The gateway's own /api/* errors
  // are always JSON, so a non-JSON 503 did not come from it.
  if (response.status === 503 && !response.headers.get('content-type')?.includes('application/json')) {
    console.error('dashboard: gateway binding answered 503:', await response.text());
    return gatewayUnavailable('The gateway is not running.');
  }
  return response;
};

function gatewayUnavailable(message: string): Response {
  return Response.json({ error: { code: 'service_unavailable', message, requestId: null } }, { status: 503 });
}
