declare namespace Cloudflare {
  interface Env {
    TEST_MIGRATIONS: import('cloudflare:test').D1Migration[];
    ADMIN_TOKEN?: string;
    ORIGIN_TEST_KEY: string;
    STRIPE_WEBHOOK_SECRET?: string;
    BTCPAY_WEBHOOK_SECRET?: string;
    BTCPAY_STORE_ID?: string;
    BTCPAY_API_KEY?: string;
  }
}
