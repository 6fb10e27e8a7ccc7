/**
 * @module routes/api/admin-services
 * `/api/admin/services`: the catalog. A price change never edits a price row: it adds version
 * N+1 and points the service at it, so every charge's price version stays explainable.
 */
import { asc, eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { database } from '../../db/client';
import { servicePrices, services } from '../../db/schema';
import type { AppEnv } from '../../env';
import { ApiError } from '../../errors';
import { newId } from '../../lib/ids';
import { ORIGIN_FLAVOURS } from '../../origins/registry';
import { invalidateCatalog, toCatalogService } from '../../services/catalog';
import { CreateServiceInput, UpdateServiceInput } from './schemas';
import { jsonBody } from './validate';

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

export const adminServiceRoutes = new Hono<AppEnv>()
  .get('/', async (c) => {
    const db = database(c.env.DB);
    const rows = await db.select().from(services).innerJoin(servicePrices, eq(servicePrices.serviceId, services.id)).where(eq(servicePrices.version, services.priceVersion)).orderBy(asc(services.name));
    return c.json({ services: rows.map((r) => toCatalogService(r.services, r.service_prices)) });
  })
  .post('/', async (c) => {
    const input = await jsonBody(c, CreateServiceInput);
    checkFlavour(input.originFlavour);
    const db = database(c.env.DB);
    const exists = await db.select({ id: services.id }).from(services).where(eq(services.name, input.name));
    if (exists.length) throw new ApiError({ code: 'conflict', message: `A service named '${input.name}' exists (${exists[0].id}).` });
    const now = Date.now();
    const id = newId('svc');
    await db.batch([
      db.insert(services).values({
        id, name: input.name, endpoints: JSON.stringify([...new Set(input.endpoints)]), originBaseUrl: input.originBaseUrl,
        originFlavour: input.originFlavour ?? 'openai', originModel: input.originModel ?? null, originCredentialSecret: input.originCredentialSecret ?? null,
        maxOutputTokens: input.maxOutputTokens, extraFields: input.extraFields ? JSON.stringify(input.extraFields) : null, defaultRequestsPerMinute: input.defaultRequestsPerMinute ?? null,
        defaultTokensPerMinute: input.defaultTokensPerMinute ?? null, defaultMaxConcurrent: input.defaultMaxConcurrent ?? null,
        priceVersion: 1, status: 'active', createdAt: now, updatedAt: now,
      }),
      db.insert(servicePrices).values({ serviceId: id, version: 1, ...input.prices, requestMicros: input.prices.requestMicros ?? 0, createdAt: now }),
    ]);
    invalidateCatalog();
    return c.json({ service: await load(db, id) }, 201);
  })
  .get('/:id', async (c) => c.json({ service: await load(database(c.env.DB), c.req.param('id')) }))
  .patch('/:id', async (c) => {
    const input = await jsonBody(c, UpdateServiceInput);
    checkFlavour(input.originFlavour);
    const db = database(c.env.DB);
    const current = await load(db, c.req.param('id'));
    const now = Date.now();
    const { prices, endpoints, extraFields, ...fields } = input;
    const priceVersion = prices ? current.priceVersion + 1 : current.priceVersion;
    const update = db.update(services).set({
      ...fields, ...(endpoints ? { endpoints: JSON.stringify([...new Set(endpoints)]) } : {}),
      ...(extraFields ? { extraFields: JSON.stringify(extraFields) } : {}), priceVersion, updatedAt: now,
    }).where(eq(services.id, current.id));
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
    return c.json({ service: await load(db, current.id) });
  });
