/**
 * Cost insight in the dashboard (docs/analytics.md: anomalies, forecasts), in a real browser on the
 * global setup's stack, as the demo user sees it after `npm start`: the Forecast page says how long
 * the balance lasts and flags the monthly budget the demo history is about to breach; the
 * Anomalies page lists the history's unusual day with its numbers; and a key's spend anomaly
 * pauses it live: the thresholds are lowered in the form, the OpenAI SDK's next request is refused
 * with 403 key_paused, the anomaly shows as "Key paused", and "Resume key" lets it through again.
 * A step whose prerequisite failed is skipped rather than failed again.
 */
import OpenAI from 'openai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, launchBrowser, newUserContext, screenshot } from './lib/browser';
import { gateway } from './lib/gateway';
import { api, signIn } from './lib/users';

const stack = inject('stack');
const { chat, chatUntilRefused } = gateway(stack.gatewayUrl);

let browser: Browser;
let context: BrowserContext;
let page: Page;
const done = new Set<string>();

function needs(ctx: { skip: (note?: string) => void }, ...steps: string[]) {
  const missing = steps.filter((step) => !done.has(step));
  if (missing.length > 0) ctx.skip(`needs ${missing.join(', ')}`);
}

beforeAll(async () => {
  browser = await launchBrowser();
  ({ context, page } = await newUserContext(browser, stack.dashboardUrl));
});

afterAll(async () => {
  await context?.close().catch(() => {});
  await browser?.close();
});

describe.sequential('cost insight in the dashboard', () => {
  it('a: the Forecast page says when the balance runs out and flags the budget forecast to run out', async () => {
    await signIn(page, stack.user);
    await page.getByRole('link', { name: 'Forecast', exact: true }).click();
    await expect.poll(() => page.getByText(/your balance (of .* lasts until|lasts more than a year)/).count(), { timeout: 30_000 }).toBeGreaterThan(0);
    const budgets = page.getByRole('table', { name: 'Budgets at the end of their window', exact: true });
    await budgets.waitFor();
    // The demo history fills this month's organisation budget to about 80 % at a pace that passes it (not on the 1st: nothing spent yet).
    if (new Date().getDate() > 1) expect(await budgets.getByText(/Runs out/).count()).toBeGreaterThan(0);
    await expect.poll(() => page.getByRole('heading', { name: 'How this is forecast' }).count()).toBe(1);
    await screenshot(page, 'forecast');
    done.add('signed-in');
  });

  it('b: the Anomalies page lists the demo history’s unusual day with the numbers behind it', async (ctx) => {
    needs(ctx, 'signed-in');
    await page.getByRole('link', { name: 'Anomalies', exact: true }).click();
    const detected = page.getByRole('table', { name: 'Detected', exact: true });
    await detected.waitFor();
    const unusual = detected.locator('tbody tr', { hasText: 'Unusual day' });
    await expect.poll(() => unusual.count(), { timeout: 30_000 }).toBeGreaterThan(0);
    await expect.poll(() => unusual.first().textContent()).toMatch(/usual \$[\d.]+, line \$[\d.]+/);
    await screenshot(page, 'anomalies');
  });

  it('c: lowered thresholds pause a key live: its next request gets 403 key_paused, and “Resume key” lets it through again', async (ctx) => {
    needs(ctx, 'signed-in');
    const created = await api(page, 'POST', '/api/account/keys', { body: { name: 'e2e anomaly key' } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const secret = created.body.secret as string;
    const before = await api(page, 'GET', '/api/account/anomaly-settings');
    expect(before.status).toBe(200);
    try {
      await page.getByLabel('And above (USD per 5 minutes)').fill('0.0001');
      await page.getByLabel('Pause the key until someone here resumes it').check();
      await page.getByRole('button', { name: 'Save thresholds' }).click();
      await page.getByText('Thresholds saved').waitFor();

      const refused = await chatUntilRefused(secret, 20);
      expect(refused?.status).toBe(403);
      expect(refused).toBeInstanceOf(OpenAI.PermissionDeniedError);
      expect((refused?.error as { code?: string } | undefined)?.code).toBe('key_paused');
      expect(refused?.message).toMatch(/paused: it spent .* in 5 minutes.*resume it in the dashboard under Anomalies/);

      const row = page.getByRole('table', { name: 'Detected', exact: true }).locator('tbody tr', { hasText: 'e2e anomaly key' });
      await eventually(
        async () => {
          await page.reload();
          // The list loads after the page: wait for the row a moment rather than counting at once.
          return row
            .first()
            .waitFor({ timeout: 3_000 })
            .then(
              () => true,
              () => false,
            );
        },
        { message: 'the key spend anomaly never reached the list' },
      );
      await expect.poll(() => row.first().textContent()).toContain('Key paused');
      await screenshot(page, 'anomaly-paused');
      await row.first().getByRole('button', { name: 'Resume key' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Resume key' }).click();
      await expect.poll(() => row.first().textContent(), { timeout: 30_000 }).toContain('Resolved');
      // Admitted again from the next request (the flagged window does not pause it twice).
      expect((await chat(secret)).costMicros).toBeGreaterThan(0);
    } finally {
      await api(page, 'PUT', '/api/account/anomaly-settings', { body: before.body.settings });
    }
  });
});
