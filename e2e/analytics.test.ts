/**
 * Cost analytics in the dashboard (docs/analytics.md), in a real browser on the global setup's
 * stack: a new user, credited by the admin API, calls the gateway through the OpenAI SDK with
 * feature tags (x-gateway-tags) and an end user (`user`); once the outbox flush has written the
 * events, the Usage page shows the features by cost and the spend by end user, the tag filter
 * refuses a malformed tag in plain words and narrows every figure and the request list to one
 * feature; the Overview shows month over month; the Usage archives page explains the retention
 * and is empty; the admin's platform analytics shows cost per request and histogram latencies.
 * A step whose prerequisite failed is skipped rather than failed again.
 */
import { readFile } from 'node:fs/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, launchBrowser, newUserContext, screenshot } from './lib/browser';
import { gateway } from './lib/gateway';
import { parseCsv } from './lib/tables';
import { api, makeUser, me, signIn, signUp, verifyByOutbox } from './lib/users';

const stack = inject('stack');
const { chat } = gateway(stack.gatewayUrl);

let browser: Browser;
const contexts: BrowserContext[] = [];
const done = new Set<string>();
function needs(ctx: { skip: (note?: string) => void }, ...steps: string[]) {
  const missing = steps.filter((step) => !done.has(step));
  if (missing.length > 0) ctx.skip(`needs ${missing.join(', ')}`);
}

const dana = makeUser('Dana', 'dana@e2e.test');
let page: Page;

/** Three requests for feature=rag on behalf of customer-1, one for feature=chat on behalf of nobody. */
const RAG_REQUESTS = 3;

async function newUser() {
  const { context, page } = await newUserContext(browser, stack.dashboardUrl);
  contexts.push(context);
  return page;
}

/** The body rows of the table named `name` (its title). */
function tableRows(name: string) {
  return page.getByRole('table', { name, exact: true }).locator('tbody tr');
}

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await browser?.close();
});

describe.sequential('cost analytics in the dashboard', () => {
  it('a: a new user with credit calls the gateway with feature tags and an end user; the events arrive', async () => {
    page = await newUser();
    await signUp(page, dana);
    await verifyByOutbox(page, dana.email);
    const accountId = (await me(page)).account.id;
    const credit = await fetch(`${stack.gatewayUrl}/api/admin/accounts/${encodeURIComponent(accountId)}/adjustments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ amountMicros: 5_000_000, reason: 'e2e analytics credit', idempotencyKey: `e2e-analytics:${accountId}` }),
    });
    expect(credit.status, await credit.text()).toBe(201);
    const created = await api(page, 'POST', '/api/account/keys', { body: { name: 'e2e analytics key' } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const secret = created.body.secret as string;

    for (let i = 0; i < RAG_REQUESTS; i++) await chat(secret, `Find the manual, part ${i}`, { tags: 'feature=rag', user: 'customer-1' });
    await chat(secret, 'Say hello', { tags: 'feature=chat' });

    // The account object's outbox reaches D1 (and the rollups) asynchronously: poll.
    await eventually(async () => (await api(page, 'GET', '/api/account/usage?limit=10')).body.data.length === RAG_REQUESTS + 1, {
      message: 'the four requests never reached /api/account/usage',
    });
    done.add('usage');
  });

  it('b: the Usage page shows the features by cost, the spend by end user, and tags in the request list', async (ctx) => {
    needs(ctx, 'usage');
    await page.goto('/usage');
    await page.getByRole('heading', { name: 'Usage' }).waitFor();
    await tableRows('Features by cost').first().waitFor();
    // Ranked by cost: three rag requests cost more than one chat request.
    await expect(page.locator('td[data-testid="feature-tag"]').allInnerTexts()).resolves.toEqual(['feature=rag', 'feature=chat']);
    const rag = tableRows('Features by cost').filter({ hasText: 'feature=rag' });
    await expect(rag.locator('td[data-label="Requests"]').innerText()).resolves.toBe(String(RAG_REQUESTS));
    const customer = tableRows('Spend by end user').filter({ hasText: 'customer-1' });
    await expect(customer.locator('td[data-label="Requests"]').innerText()).resolves.toBe(String(RAG_REQUESTS));
    await expect(tableRows('Spend by end user').count()).resolves.toBe(1);
    const perRequest = tableRows('Cost per request by model').filter({ hasText: 'demo-llm' }).locator('td[data-label="Per request"]');
    await expect(perRequest.innerText()).resolves.toMatch(/^\$0\.\d{6}$/);

    // The request list shows each request's end user and tags.
    await expect.poll(() => tableRows('Requests').count()).toBe(RAG_REQUESTS + 1);
    await expect(tableRows('Requests').filter({ hasText: 'customer-1' }).filter({ hasText: 'feature=rag' }).count()).resolves.toBe(RAG_REQUESTS);

    // The features table downloads as CSV, built from its rows.
    const card = page.locator('section.card').filter({ has: page.getByRole('table', { name: 'Features by cost', exact: true }) });
    const [download] = await Promise.all([page.waitForEvent('download'), card.getByRole('button', { name: 'Download CSV' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^features-by-cost-\d{4}-\d{2}-\d{2}\.csv$/);
    const [head, ...rows] = parseCsv((await readFile(await download.path(), 'utf8')).replace(/^\uFEFF/, ''));
    expect(head).toEqual(['tag', 'name', 'value', 'requests', 'input_tokens', 'output_tokens', 'cost_usd']);
    expect(rows.map((r) => [r[0], r[3]])).toEqual([
      ['feature=rag', String(RAG_REQUESTS)],
      ['feature=chat', '1'],
    ]);
    expect(rows[0][6]).toMatch(/^\d+\.\d{6}$/);
    await screenshot(page, 'usage-analytics', { phone: true });
    done.add('usage page');
  });

  it('c: the tag filter refuses a malformed tag in plain words, then shows only the requests carrying feature=rag', async (ctx) => {
    needs(ctx, 'usage page');
    const field = page.getByLabel('Feature tag', { exact: true });
    await field.fill('feature');
    await page.getByRole('button', { name: 'Apply', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'Write the tag as name=value, e.g. feature=rag.' }).waitFor();
    await expect(field.getAttribute('aria-invalid')).resolves.toBe('true');
    expect(new URL(page.url()).searchParams.get('tag')).toBeNull();

    await field.fill(' feature = rag ');
    await field.press('Enter');
    await page.waitForURL((url) => url.searchParams.get('tag') === 'feature=rag');
    // The field shows the tag as applied, spaces dropped.
    await expect.poll(() => field.inputValue()).toBe('feature=rag');
    // Both the analytics and the request list follow the filter.
    await expect.poll(() => tableRows('Requests').count()).toBe(RAG_REQUESTS);
    await expect.poll(() => page.locator('td[data-testid="request-tags"]').allInnerTexts()).toEqual(Array(RAG_REQUESTS).fill('feature=rag'));
    const requestsStat = page.getByRole('region', { name: 'Totals' }).locator('.stat').filter({ hasText: 'Requests' }).locator('.stat-value');
    await expect.poll(() => requestsStat.innerText()).toBe(String(RAG_REQUESTS));
    await expect.poll(() => page.locator('td[data-testid="feature-tag"]').allInnerTexts()).toEqual(['feature=rag']);
    await page.getByText('End users are not counted per feature tag: clear the tag filter to see them.').waitFor();
    await screenshot(page, 'usage-tag-filter');

    await page.getByRole('button', { name: 'Clear the tag filter' }).click();
    await expect.poll(() => tableRows('Requests').count()).toBe(RAG_REQUESTS + 1);
    await expect.poll(() => field.inputValue()).toBe('');
  });

  it('d: the Overview compares this month with last month; the Usage archives page explains the retention and is empty', async (ctx) => {
    needs(ctx, 'usage');
    await page.goto('/');
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    const month = page.getByTestId('month-over-month');
    await month.getByRole('heading', { name: 'Spend this month vs last month' }).waitFor();
    await month
      .getByText(`${RAG_REQUESTS + 1} requests`)
      .first()
      .waitFor();
    await page.getByRole('heading', { name: 'Daily cost by project' }).waitFor();
    await screenshot(page, 'overview-month', { phone: true });

    await page.getByRole('link', { name: 'Usage archives' }).click();
    await page.getByRole('heading', { name: 'Usage archives' }).waitFor();
    const { retentionDays } = (await api(page, 'GET', '/api/account/usage-archives')).body as { retentionDays: number };
    await page.getByText(`Raw events are kept ${retentionDays} days, then archived here.`, { exact: false }).waitFor();
    await page.getByText('Nothing is archived yet: no usage event is older than the retention window.').waitFor();
    await screenshot(page, 'usage-archives', { phone: true });
  });

  it('e: the platform analytics shows cost per request, month over month and latency labelled as histogram percentiles', async (ctx) => {
    needs(ctx, 'usage');
    const admin = await newUser();
    await signIn(admin, stack.admin);
    await admin.goto('/admin/analytics');
    await admin.getByRole('heading', { name: 'Platform analytics' }).waitFor();
    const byModel = admin.getByRole('table', { name: 'By model', exact: true });
    for (const header of ['Cost per request', 'p50/p95 (histogram)']) {
      await byModel.getByRole('columnheader', { name: header }).waitFor();
    }
    const perRequest = byModel.getByRole('row').filter({ hasText: 'demo-llm' }).locator('td[data-label="Per request"]');
    await expect(perRequest.innerText()).resolves.toMatch(/^\$\d+\.\d{6}$/);
    await admin.getByTestId('month-over-month').getByRole('heading', { name: 'Revenue this month vs last month' }).waitFor();
  });
});
