import path from 'node:path';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';

const migrations = await readD1Migrations(path.join(import.meta.dirname, 'migrations'));

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        bindings: {
          TEST_MIGRATIONS: migrations,
          ADMIN_TOKEN: 'test-admin-token-0123456789abcdef',
          ORIGIN_TEST_KEY: 'origin-secret-test',
          ORIGIN_TIMEOUT_MS: '2000',
          CLIENT_STALL_MS: '800',
          REQUEST_LIFETIME_MS: '4000',
          LEDGER_OPS: process.env.LEDGER_OPS ?? '1000',
          STRIPE_SECRET_KEY: 'sk_test_gateway',
          STRIPE_WEBHOOK_SECRET: 'whsec_test_gateway_secret',
          STRIPE_API_BASE: 'http://stripe.test',
          BTCPAY_URL: 'http://btcpay.test',
          BTCPAY_API_KEY: 'btcpay-test-key',
          BTCPAY_STORE_ID: 'store_test',
          BTCPAY_WEBHOOK_SECRET: 'btcpay-test-webhook-secret',
          BETTER_AUTH_SECRET: 'test-better-auth-secret-0123456789abcdef0123',
          MAIL_MODE: 'outbox',
          LOCAL_DEV: '1',
          DEMO_HISTORY: '', // npm start's .dev.vars sets it; the tests turn it on per request (demo-history.test.ts)
          ADMIN_EMAILS: 'admin@example.test, Root@Example.test,seed-admin@example.test',
          DASHBOARD_URL: 'http://dashboard.test',
        },
      },
    }),
  ],
  test: {
    include: ['worker/**/*.test.ts', 'test/**/*.test.ts', 'dashboard/src/**/*.test.ts', 'shared/**/*.test.ts'],
    setupFiles: ['./test/apply-migrations.ts'],
    testTimeout: 30_000,
  },
});
