/**
 * @module db/client
 * The drizzle client over D1, built per request (cheap: it holds no connection).
 */
import { drizzle } from 'drizzle-orm/d1';
import * as schema from './schema';

export type Database = ReturnType<typeof database>;

/** Drizzle over the `DB` binding. */
export function database(d1: D1Database) {
  return drizzle(d1, { schema });
}
