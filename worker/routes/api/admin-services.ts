/**
 * @module routes/api/admin-services
 * `/api/admin/services`: the catalog. A price change never edits a price row: it adds version
 * N+1 and points the service at it, so every charge's price version stays explainable.
 */
import { asc, eq } from 'drizzle-orm';
import { database } from '../../db/client';
import { servicePrices, services } from '../../db/schema';
import { ApiError } from '../../errors';
import { newId } from '../../lib/ids';
import { EXTRA_FIELD_MEANINGS } from '../../origins/fields';
import { ORIGIN_FLAVOURS } from '../../origins/registry';
import { invalidateCatalog, toCatalogService } from '../../services/catalog';
import { apiRouter, defineRoute, IdParam, json, jsonBody, z } from './contract';
import { CreateServiceInput, UpdateServiceInput } from './schemas';

function checkFlavour(flavour: string | undefined): void {
  if (flavour !== undefined && !ORIGIN_FLAVOURS.includes(flavour)) {
    throw new ApiError({ code: 'invalid_request', param: 'originFlavour', message: `originFlavour: one of ${ORIGIN_FLAVOURS.join(', ')}.` });
  }
}

async function load(db: ReturnType<typeof database>, id: string) {
  const rows = await db.select().from(services).innerJoin(servicePrices, eq(servicePrices.serviceId, services.id)).where(eq(services.id, id));
  const current = rows.find((r) => r.service_prices.version === r.services.priceVersion);
  if (!current) throw new ApiError({ code: 'not_found', message: `No service '${id}'.` });
  return {
    ...toCatalogService(current.services, current.service_prices),
    priceHistory: rows.map((r) => r.service_prices).sort((a, b) => a.version - b.version),
  };
}

const int = z.number().int();
const nullableInt = int.nullable();
const Price = z.object({
  inputMicrosPer1M: int.describe('µUSD per 1M input tokens.'),
  outputMicrosPer1M: int.describe('µUSD per 1M output tokens.'),
  requestMicros: int.describe('µUSD per request.'),
});
/** A service with its current price (toCatalogService). */
const ServiceView = z
  .object({
    id: z.string(),
    name: z.string().describe('Public model name.'),
    endpoints: z.array(z.enum(['chat', 'completions', 'embeddings'])),
    originBaseUrl: z.string(),
    originFlavour: z.string(),
    originModel: z.string().describe('Model name sent to the origin.'),
    originCredentialSecret: z.string().nullable().describe('Name of the worker secret holding the origin bearer token.'),
    maxOutputTokens: int,
    extraFields: z.record(z.string(), z.enum(EXTRA_FIELD_MEANINGS)).describe('Vendor request fields forwarded to the origin, with their meaning.'),
    forwardTags: z.boolean().describe("Whether the request's feature tags are sent to the origin (x-gateway-tags)."),
    defaults: z.object({ requestsPerMinute: nullableInt, tokensPerMinute: nullableInt, maxConcurrent: nullableInt }).describe('Limits of keys that set none.'),
    price: Price,
    priceVersion: int,
    status: z.enum(['active', 'disabled']),
    createdAt: int.describe('Epoch ms.'),
    updatedAt: int.describe('Epoch ms.'),
  })
  .openapi('Service');
/** A service_prices row: one version of a service's price. */
const PriceVersion = Price.extend({ serviceId: z.string(), version: int, createdAt: int.describe('Epoch ms.') });
const OneService = z.object({ service: ServiceView.extend({ priceHistory: z.array(PriceVersion).describe('Every price version, oldest first.') }) });

const TAGS = ['Admin: services'];
const list = defineRoute('admin', {
  method: 'get',
  path: '/',
  summary: 'List services with current prices',
  tags: TAGS,
  responses: { 200: json(z.object({ services: z.array(ServiceView) }), 'Every service, by name') },
});
const create = defineRoute('admin', {
  method: 'post',
  path: '/',
  summary: 'Create a service (price version 1)',
  tags: TAGS,
  request: { body: jsonBody(CreateServiceInput) },
  responses: { 201: json(OneService, 'The new service') },
});
const get = defineRoute('admin', {
  method: 'get',
  path: '/{id}',
  summary: 'One service with its price history',
  tags: TAGS,
  request: { params: IdParam },
  responses: { 200: json(OneService, 'The service') },
});
const edit = defineRoute('admin', {
  method: 'patch',
  path: '/{id}',
  summary: 'Edit a service; new prices add a price version',
  tags: TAGS,
  request: { params: IdParam, body: jsonBody(UpdateServiceInput) },
  responses: { 200: json(OneService, 'The edited service') },
});

export const adminServiceRoutes = apiRouter()
  .openapi(list, async (c) => {
    const db = database(c.env.DB);
    const rows = await db
      .select()
      .from(services)
      .innerJoin(servicePrices, eq(servicePrices.serviceId, services.id))
      .where(eq(servicePrices.version, services.priceVersion))
      .orderBy(asc(services.name));
    return c.json({ services: rows.map((r) => toCatalogService(r.services, r.service_prices)) }, 200);
  })
  .openapi(create, async (c) => {
    const input = c.req.valid('json');
    checkFlavour(input.originFlavour);
    const db = database(c.env.DB);
    const exists = await db.select({ id: services.id }).from(services).where(eq(services.name, input.name));
    if (exists.length) throw new ApiError({ code: 'conflict', message: `A service named '${input.name}' exists (${exists[0].id}).` });
    const now = Date.now();
    const id = newId('svc');
    await db.batch([
      db.insert(services).values({
        id,
        name: input.name,
        endpoints: JSON.stringify([...new Set(input.endpoints)]),
        originBaseUrl: input.originBaseUrl,
        originFlavour: input.originFlavour ?? 'openai',
        originModel: input.originModel ?? null,
        originCredentialSecret: input.originCredentialSecret ?? null,
        maxOutputTokens: input.maxOutputTokens,
        extraFields: input.extraFields ? JSON.stringify(input.extraFields) : null,
        forwardTags: input.forwardTags ?? false,
        defaultRequestsPerMinute: input.defaultRequestsPerMinute ?? null,
        defaultTokensPerMinute: input.defaultTokensPerMinute ?? null,
        defaultMaxConcurrent: input.defaultMaxConcurrent ?? null,
        priceVersion: 1,
        status: 'active',
        createdAt: now,
        updatedAt: now,
      }),
      db.insert(servicePrices).values({ serviceId: id, version: 1, ...input.prices, requestMicros: input.prices.requestMicros ?? 0, createdAt: now }),
    ]);
    invalidateCatalog();
    return c.json({ service: await load(db, id) }, 201);
  })
  .openapi(get, async (c) => c.json({ service: await load(database(c.env.DB), c.req.valid('param').id) }, 200))
  .openapi(edit, async (c) => {
    const input = c.req.valid('json');
    checkFlavour(input.originFlavour);
    const db = database(c.env.DB);
    const current = await load(db, c.req.valid('param').id);
    const now = Date.now();
    const { prices, endpoints, extraFields, ...fields } = input;
    const priceVersion = prices ? current.priceVersion + 1 : current.priceVersion;
    const update = db
      .update(services)
      .set({
        ...fields,
        ...(endpoints ? { endpoints: JSON.stringify([...new Set(endpoints)]) } : {}),
        ...(extraFields ? { extraFields: JSON.stringify(extraFields) } : {}),
        priceVersion,
        updatedAt: now,
      })
      .where(eq(services.id, current.id));
    if (prices) {
      try {
        await db.batch([
          db.insert(servicePrices).values({ serviceId: current.id, version: priceVersion, ...current.price, ...prices, createdAt: now }),
          update,
        ]);
      } catch (error) {
        // Another price change took version N+1 first.
        throw new ApiError({ code: 'conflict', message: 'The price changed concurrently; read the service again and retry.', internal: error });
      }
    } else {
      await update;
    }
    invalidateCatalog();
    return c.json({ service: await load(db, current.id) }, 200);
  });
