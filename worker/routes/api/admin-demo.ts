/**
 * @module routes/api/admin-demo
 * `/api/admin/demo/...`: demo data only `npm start` asks for. The route answers 404 unless this
 * deployment is local (LOCAL_DEV=1) AND demo history is switched on (DEMO_HISTORY=1, written to
 * `.dev.vars` by `npm start` only), so a production gateway has no way to invent usage or credit.
 */
import { detectDailyAnomalies } from '../../analytics/anomalies-job';
import { ApiError } from '../../errors';
import { audit, actorOf } from '../../services/audit';
import { accountObject } from '../../services/accounts';
import { getCatalog } from '../../services/catalog';
import type { AppEnv } from '../../env';
import { apiRouter, defineRoute, IdParam, json, jsonBody, z } from './contract';

const DAY_MS = 86_400_000;

const HistoryInput = z
  .object({
    days: z.number().int().min(7).max(90).default(60).describe('Local days before today to fill (today is left to real traffic).'),
    models: z.array(z.string().min(1).max(200)).min(1).max(8).describe('Public model names to use: the first chat model, and an embeddings model for RAG.'),
    dryRun: z.boolean().default(false).describe('Only report what the import would produce.'),
  })
  .strict();

const int = z.number().int();
const HistoryView = z
  .object({
    imported: z.boolean().describe('Whether this call wrote the history.'),
    alreadyImported: z.boolean().describe('The organisation had its history already; nothing was written.'),
    events: int,
    totalMicros: int.describe('What the history cost in all; credited once and debited day by day in the journal.'),
    firstDay: int.describe('Local day numbers (days since 1970-01-01) of the first and last day filled, and of the anomalous day.'),
    lastDay: int,
    spikeDay: int,
    monthToDateMicros: int.describe('What the history spent in the current local month (monthly budgets count it).'),
    monthStart: int.describe('Epoch ms.'),
    monthEnd: int.describe('Epoch ms.'),
    timezone: z.string(),
  })
  .openapi('DemoHistory');

const importHistory = defineRoute('admin', {
  method: 'post',
  path: '/{id}/history',
  summary: 'Local demo only (DEMO_HISTORY=1): seed ~60 days of usage history into an organisation, exactly once, with the journal debited',
  tags: ['Admin: demo'],
  request: { params: IdParam, body: jsonBody(HistoryInput) },
  responses: { 200: json(z.object({ history: HistoryView }), 'What was (or, with dryRun, would be) imported') },
});

/** Demo history is switched on only on a local deployment that `npm start` configured for it. */
export function demoHistoryEnabled(env: AppEnv['Bindings']): boolean {
  return env.DEMO_HISTORY === '1' && env.LOCAL_DEV === '1';
}

export const adminDemoRoutes = apiRouter().openapi(importHistory, async (c) => {
  if (!demoHistoryEnabled(c.env)) throw new ApiError({ code: 'not_found', message: 'Not found.' });
  const { id } = c.req.valid('param');
  const body = c.req.valid('json');
  const account = await c.env.DB.prepare('SELECT id FROM accounts WHERE id = ?').bind(id).first();
  if (!account) throw new ApiError({ code: 'not_found', message: `No account '${id}'.` });
  const catalog = await getCatalog(c.env.DB);
  const services = body.models.map((name) => {
    const s = catalog.get(name);
    if (s?.status !== 'active') throw new ApiError({ code: 'invalid_request', message: `No active service '${name}'.`, param: 'models' });
    const endpoint = s.endpoints.includes('chat') ? 'chat' : s.endpoints[0];
    return { id: s.id, name: s.name, endpoint, price: s.price, priceVersion: s.priceVersion };
  });
  const history = await accountObject(c.env, id).importDemoHistory({ services, days: body.days, dryRun: body.dryRun, now: Date.now() });
  if (history.imported) {
    await audit(c.env, actorOf(c), 'demo.history', id, { events: history.events, totalMicros: history.totalMicros });
    // The hourly job judges only yesterday; judge each history day as it would have then, so the demo's spike is listed.
    const recordedAt = Date.now();
    for (let day = history.firstDay + 1; day <= history.lastDay + 1; day++) {
      await detectDailyAnomalies(c.env, day * DAY_MS + 12 * 3_600_000, { recordedAt });
    }
  }
  return c.json({ history }, 200);
});
