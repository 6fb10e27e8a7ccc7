/**
 * @module services/catalog
 * The service catalog (public model name → origin, prices, limits), read from D1 and cached
 * in the isolate for `CATALOG_TTL_MS`. Admin writes invalidate this isolate's copy at once;
 * other isolates pick a change up within the TTL. The price a request pays is locked into
 * its reservation at admission, so a change never alters a request in flight.
 */
import { eq } from 'drizzle-orm';
import { database } from '../db/client';
import { servicePrices, services } from '../db/schema';
import type { Price } from '../lib/money';
import type { ExtraFields } from '../origins/fields';

export type Endpoint = 'chat' | 'completions' | 'embeddings';
export const ENDPOINTS: readonly Endpoint[] = ['chat', 'completions', 'embeddings'];

export interface CatalogService {
  id: string;
  name: string;
  endpoints: Endpoint[];
  originBaseUrl: string;
  originFlavour: string;
  originModel: string;
  originCredentialSecret: string | null;
  maxOutputTokens: number;
  /** Vendor request fields this service's origin accepts, with their token meaning (origins/fields.ts). */
  extraFields: ExtraFields;
  /** Whether the request's feature tags go to the origin (`x-gateway-tags`, percent-encoded values). */
  forwardTags: boolean;
  defaults: { requestsPerMinute: number | null; tokensPerMinute: number | null; maxConcurrent: number | null };
  price: Price;
  priceVersion: number;
  status: 'active' | 'disabled';
  createdAt: number;
  updatedAt: number;
}

export const CATALOG_TTL_MS = 10_000;

/** Isolate cache of the whole catalog (documented module state: shared by every request). */
let cached: { at: number; byName: Promise<Map<string, CatalogService>> } | undefined;

async function load(d1: D1Database): Promise<Map<string, CatalogService>> {
  const rows = await database(d1)
    .select()
    .from(services)
    .innerJoin(servicePrices, eq(servicePrices.serviceId, services.id))
    .where(eq(servicePrices.version, services.priceVersion));
  const byName = new Map<string, CatalogService>();
  for (const { services: s, service_prices: p } of rows) byName.set(s.name, toCatalogService(s, p));
  return byName;
}

/** Builds the catalog view of a service row and its current price row. */
export function toCatalogService(s: typeof services.$inferSelect, p: typeof servicePrices.$inferSelect): CatalogService {
  return {
    id: s.id,
    name: s.name,
    endpoints: JSON.parse(s.endpoints) as Endpoint[],
    originBaseUrl: s.originBaseUrl,
    originFlavour: s.originFlavour,
    originModel: s.originModel ?? s.name,
    originCredentialSecret: s.originCredentialSecret,
    maxOutputTokens: s.maxOutputTokens,
    extraFields: s.extraFields ? (JSON.parse(s.extraFields) as ExtraFields) : {},
    forwardTags: s.forwardTags === true,
    defaults: { requestsPerMinute: s.defaultRequestsPerMinute, tokensPerMinute: s.defaultTokensPerMinute, maxConcurrent: s.defaultMaxConcurrent },
    price: { inputMicrosPer1M: p.inputMicrosPer1M, outputMicrosPer1M: p.outputMicrosPer1M, requestMicros: p.requestMicros },
    priceVersion: s.priceVersion,
    status: s.status,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
  };
}

/** The catalog keyed by public model name, from the isolate cache when fresh. */
export function getCatalog(d1: D1Database, now = Date.now()): Promise<Map<string, CatalogService>> {
  if (!cached || now - cached.at > CATALOG_TTL_MS) {
    const byName = load(d1);
    cached = { at: now, byName };
    // A failed load must not stay cached.
    byName.catch(() => {
      if (cached?.byName === byName) cached = undefined;
    });
  }
  return cached.byName;
}

/** Drops this isolate's copy (after an admin write). */
export function invalidateCatalog(): void {
  cached = undefined;
}
