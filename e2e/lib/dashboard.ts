/**
 * What the tests do in the dashboard's own pages that several steps share: dialogs, the key list,
 * creating a key through the form.
 */
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { screenshot } from './browser';

/** The <dialog> (or role=dialog) on screen. */
export function dialog(page: Page) {
  return page.getByRole('dialog').or(page.getByRole('alertdialog')).first();
}

/** Open "Create key", check every limit the gateway knows has a field, fill some, create. */
export async function createKeyInUi(page: Page, name: string, { shot }: { shot?: string } = {}) {
  await page.goto('/keys');
  await page.getByRole('heading', { name: 'API keys' }).waitFor();
  await page.getByRole('button', { name: 'Create key' }).click();
  await dialog(page).getByLabel('Name', { exact: true }).fill(name);
  // Every limit of POST /api/account/keys (KeyLimitsInput) has a labelled field: allowedServices,
  // expiresAt, requestsPerMinute, maxConcurrent, tokensPerMinute ("*" and per model),
  // spendLimitMicros, periodSpendLimitMicros, period.
  const limitFields = [
    'Allowed models',
    'Expires',
    'Requests per minute',
    'Max concurrent requests',
    'Tokens per minute',
    'Tokens per minute by model',
    'Lifetime spend limit (USD)',
    'Period spend limit (USD)',
    'Period',
  ];
  const form = dialog(page);
  const missing: string[] = [];
  for (const label of limitFields) {
    if ((await form.getByLabel(label, { exact: true }).count()) === 0) missing.push(label);
  }
  expect(missing, 'limit fields missing from the create-key form').toEqual([]);
  await form.getByLabel('Requests per minute', { exact: true }).fill('120');
  await form.getByLabel('Max concurrent requests', { exact: true }).fill('4');
  await form.getByLabel('Lifetime spend limit (USD)', { exact: true }).fill('20');
  await form.getByLabel('Period spend limit (USD)', { exact: true }).fill('10');
  await form.getByRole('button', { name: 'Create', exact: true }).click();
  const secretBox = page.getByTestId('new-key-secret');
  await secretBox.waitFor();
  const secret = ((await secretBox.inputValue().catch(() => null)) ?? (await secretBox.innerText())).trim();
  expect(secret).toMatch(/^sk-gw-\S+$/);
  await expect(page.getByRole('button', { name: 'Copy' }).first().isVisible()).resolves.toBe(true);
  if (shot) await screenshot(page, shot, { phone: true });
  // Close the once-only secret view.
  const close = page.getByRole('button', { name: /^(done|close|ok|i('ve| have) (saved|copied|stored) it)/i }).first();
  if ((await close.count()) > 0) await close.click();
  else await page.keyboard.press('Escape');
  await secretBox.waitFor({ state: 'hidden' });
  return secret;
}

/** The row (or card) of the key list that shows `name`. */
export function keyRow(page: Page, name: string) {
  return page.getByRole('row').or(page.getByRole('listitem')).filter({ hasText: name }).first();
}
