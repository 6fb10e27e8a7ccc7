// @ts-check
/**
 * About 60 days of demo history for the demo organisation (issue 13 item 7), through the gateway's
 * own APIs: two more keys (a support bot in Production, a nightly batch in Research) so traffic
 * spreads over several keys, members and projects; the organisation's monthly budget sized so the
 * history's month-to-date spend fills about 80 % of it at a pace that breaches before the month
 * ends; then POST /api/admin/demo/{id}/history, which generates the events inside the gateway,
 * writes them through the rollup triggers and debits the journal for them (worker/durable-objects/
 * account/history.ts). Idempotent: the gateway imports an organisation's history once; a second
 * run changes nothing. The route exists only with DEMO_HISTORY=1 (npm start's .dev.vars): without
 * it the seed skips the history and returns null.
 */
import { field } from './demo-users.mjs';

/** The extra keys the history spreads traffic over; created once (by name). */
export const HISTORY_KEYS = Object.freeze([
  { name: 'Support bot', project: 'production' },
  { name: 'Nightly batch', project: 'research' },
]);
/** The demo's models: chat for every feature, embeddings for part of the RAG traffic. */
const MODELS = ['demo-llm', 'demo-embed'];
const CENT = 10_000;

/**
 * @param {import('./gateway-api.mjs').GatewayClient} api the admin client (ADMIN_TOKEN)
 * @param {{ request: (method: string, path: string, body?: unknown) => Promise<{ status: number, body: unknown }> }} owner
 * @param {{ accountId: string, projects: { production: string, research: string }, organizationBudgetId: string, now?: number }} options
 * @returns {Promise<import('./seed.d.mts').DemoHistory | null>}
 */
export async function seedHistory(api, owner, { accountId, projects, organizationBudgetId, now = Date.now() }) {
  const path = `/api/admin/demo/${encodeURIComponent(accountId)}/history`;
  const first = await api.request('POST', path, { body: { models: MODELS, dryRun: true }, expect: [200, 404] });
  if (first.status === 404) return null;
  let history = /** @type {import('./seed.d.mts').DemoHistory} */ (field(first.body, 'history'));
  if (!history.alreadyImported) {
    const { body: listed } = await owner.request('GET', '/api/account/keys');
    const keys = /** @type {Array<{ name: string, status: string }>} */ (field(listed, 'keys'));
    for (const spec of HISTORY_KEYS) {
      if (!keys.some((k) => k.name === spec.name && k.status === 'active')) {
        await owner.request('POST', '/api/account/keys', { name: spec.name, projectId: spec.project === 'research' ? projects.research : projects.production });
      }
    }
    // The plan depends on the keys: ask again with the new ones in place.
    const { body: planned } = await api.request('POST', path, { body: { models: MODELS, dryRun: true } });
    history = /** @type {import('./seed.d.mts').DemoHistory} */ (field(planned, 'history'));
    const amountMicros = budgetNearThreshold(history, now);
    // Sized before the import, so the import's charge raises the 50 % and 80 % alerts as real traffic would.
    if (amountMicros !== null) await owner.request('PATCH', `/api/account/budgets/${organizationBudgetId}`, { amountMicros });
    const { body } = await api.request('POST', path, { body: { models: MODELS } });
    history = /** @type {import('./seed.d.mts').DemoHistory} */ (field(body, 'history'));
  }
  return history;
}

/**
 * A monthly budget the month-to-date spend fills to about 80 %, and which the month's pace (spend
 * so far ÷ the part of the month gone) overruns by about 15 % by the month's end; never under 95 %
 * full, so it does not block the demo. Null on a month's first day (nothing spent yet).
 * Rounded down to a cent, so a threshold the spend reaches exactly is reached.
 * @param {{ monthToDateMicros: number, monthStart: number, monthEnd: number }} history
 * @param {number} now
 */
export function budgetNearThreshold({ monthToDateMicros: spent, monthStart, monthEnd }, now) {
  if (spent <= 0) return null;
  const elapsed = Math.min(1, Math.max(1e-6, (now - monthStart) / (monthEnd - monthStart)));
  const atPace = spent / elapsed / 1.15;
  const amount = Math.max(spent / 0.95, Math.min(spent / 0.8, atPace));
  return Math.max(CENT, Math.floor(amount / CENT) * CENT);
}
