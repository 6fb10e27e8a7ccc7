/**
 * Browser helpers: Debian's Chromium through playwright-core (never a downloaded browser), one
 * context per user, screenshots into e2e/screenshots/, and small waits that retry.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const SCREENSHOTS = fileURLToPath(new URL('../screenshots/', import.meta.url));
export const DESKTOP = { width: 1280, height: 800 } as const;
export const PHONE = { width: 390, height: 844 } as const;

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * A fresh context (one per user: its own cookies) on the dashboard, at laptop size, in a fixed
 * time zone and locale so screenshots are comparable between runs.
 */
export async function newUserContext(browser: Browser, baseURL: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL, viewport: DESKTOP, locale: 'en-US', timezoneId: 'Europe/Berlin' });
  context.setDefaultTimeout(15_000);
  // wrangler pages dev serves the dashboard through Node; on 2 busy cores a page's load event has
  // been seen to take over 30 s once in several runs (step l's /members), so navigations get 60 s.
  context.setDefaultNavigationTimeout(60_000);
  const page = await context.newPage();
  return { context, page };
}

/**
 * Save a screenshot of the page as it is now (full page), as e2e/screenshots/<name>.png.
 * With `phone`, also one at 390×844 as <name>-phone.png; the viewport is restored afterwards.
 */
export async function screenshot(page: Page, name: string, { phone = false }: { phone?: boolean } = {}) {
  await mkdir(SCREENSHOTS, { recursive: true });
  await settle(page);
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true, animations: 'disabled' });
  if (phone) {
    const before = page.viewportSize() ?? DESKTOP;
    await page.setViewportSize(PHONE);
    await settle(page);
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-phone.png`), fullPage: true, animations: 'disabled' });
    await page.setViewportSize(before);
    await settle(page);
  }
}

/** Network quiet (charts and tables loaded) and a frame for layout; never fails the test. */
async function settle(page: Page) {
  await page.waitForLoadState('networkidle', { timeout: 5_000 }).catch(() => {});
  await page.waitForTimeout(250);
}

/**
 * Retry `check` until it returns a value that is not undefined/false, or throw the last error
 * (or `message`) after `timeoutMs`.
 */
export async function eventually<T>(
  check: () => Promise<T | undefined | false>,
  { timeoutMs = 20_000, intervalMs = 500, message = 'condition not met' }: { timeoutMs?: number; intervalMs?: number; message?: string } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value as T;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const detail = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`${message} within ${timeoutMs / 1000} s${detail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Dollars to 6 decimals, as the usage table shows per-request costs: 36 µUSD → "$0.000036". */
export function usd6(micros: number): string {
  return `$${(micros / 1_000_000).toFixed(6)}`;
}

/** Dollars to the cent with thousands separators, as balances are shown: "$1,234.56". */
export function usd2(micros: number): string {
  return `$${(micros / 1_000_000).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}
