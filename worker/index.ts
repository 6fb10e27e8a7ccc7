/**
 * @module index
 * Worker entry: the Hono app and the Durable Object classes.
 */
import { createApp } from './app';
import type { Env } from './env';

export { AccountObject } from './durable-objects/account';

const app = createApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
