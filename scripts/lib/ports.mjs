/** Local TCP port checks for `npm start`. */
import net from 'node:net';

/**
 * Whether `host:port` can be bound right now.
 * @param {number} port
 * @param {string} [host]
 * @returns {Promise<boolean>}
 */
export function isPortFree(port, host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (error) => {
      if (/** @type {NodeJS.ErrnoException} */ (error).code === 'EADDRINUSE') resolve(false);
      else reject(error);
    });
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * `count` distinct ports the OS reports free now (held open together so they differ; they may be
 * taken again before use, which is acceptable for dev tooling such as inspector ports).
 * @param {number} count
 * @param {string} [host]
 * @returns {Promise<number[]>}
 */
export async function freePorts(count, host = '127.0.0.1') {
  const servers = Array.from({ length: count }, () => net.createServer());
  try {
    return await Promise.all(
      servers.map(
        (server) =>
          new Promise((resolve, reject) => {
            server.once('error', reject);
            server.listen({ port: 0, host }, () => resolve(/** @type {net.AddressInfo} */ (server.address()).port));
          }),
      ),
    );
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(() => resolve(undefined)))));
  }
}

/** What each port is for, in the words of the "port in use" message. */
export const PORT_USERS = {
  gateway: 'the gateway (wrangler dev)',
  dashboard: 'the dashboard (wrangler pages dev)',
  origin: 'the demo origin (fake GPU server)',
  stripe: 'the fake Stripe',
  btcpay: 'the fake BTCPay Server',
  inbox: 'the local webhook inbox',
};

/** A port the stack needs is taken. */
export class PortInUseError extends Error {
  /**
   * @param {number} port
   * @param {string} host
   * @param {string} what
   */
  constructor(port, host, what) {
    super(`Port ${port} on ${host} is already in use; the stack needs it for ${what}.`);
    this.name = 'PortInUseError';
    this.port = port;
    this.host = host;
    this.what = what;
  }
}
