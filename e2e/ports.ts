/**
 * The browser tests' own stack: other ports than `npm start` (8787, 8788, 9100, 12111, 23000, 9200),
 * so both can run at once.
 */
export const E2E_PORTS = { gateway: 18787, dashboard: 18788, origin: 19100, stripe: 22111, btcpay: 33000, inbox: 19200 } as const;
