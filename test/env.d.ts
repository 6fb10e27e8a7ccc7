declare namespace Cloudflare {
  interface Env {
    TEST_MIGRATIONS: import('cloudflare:test').D1Migration[];
    ADMIN_TOKEN?: string;
    ORIGIN_TEST_KEY: string;
  }
}
