/**
 * Browser tests (issue 5): Node, not workerd. The global setup starts a whole stack (gateway,
 * dashboard, demo origin, fake Stripe and BTCPay) on its own ports with a throwaway state
 * directory; the tests drive Debian's Chromium through playwright-core. Run with `npm test`
 * (after the workers tests) or alone with `npm run test:e2e`.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    name: 'e2e',
    include: ['e2e/**/*.test.ts'],
    environment: 'node',
    globalSetup: ['e2e/global-setup.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
  },
});
