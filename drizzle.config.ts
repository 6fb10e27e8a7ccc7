import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'sqlite',
  schema: ['./worker/db/schema.ts', './worker/db/rollup-schema.ts', './worker/db/insight-schema.ts'],
  out: './migrations',
});
