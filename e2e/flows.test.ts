/**
 * The dashboard end to end in a real browser (issue 5, item 6), one user story in order:
 * sign up → verify by the mail outbox → top up by the fake card flow → create a key → call the
 * gateway with it through the OpenAI SDK → see the request and its cost on the usage page →
 * revoke the key → the next call is refused; the admin changes a price → the next request is
 * charged at the new price version; a second user can neither see nor touch the first user's
 * keys; the admin sorts the accounts table and downloads it as CSV in that order; the user adds a
 * webhook channel to the local inbox and a daily budget on a key, hits it (402 budget_exceeded in
 * the SDK) and sees the alert on the Budgets page, in the inbox (signed) and in the channel's
 * delivery log; the API reference renders at /docs, offline, and its "Try it out" works signed
 * in; the owner creates a project and invites a developer into it by e-mail, who signs up, accepts
 * from the mail, switches organisation, creates a key in the project, and is refused with 402 by
 * the project budget the owner sets, whose alert the owner sees. Each step asserts
 * what the user sees; screenshots of the main pages go to e2e/screenshots/. A step whose
 * prerequisite failed is skipped rather than failed again.
 */
import { readFile } from 'node:fs/promises';
import { AuthenticationError } from 'openai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, launchBrowser, newUserContext, screenshot, usd2, usd6 } from './lib/browser';
import { createKeyInUi, dialog, keyRow } from './lib/dashboard';
import { gateway, MODEL } from './lib/gateway';
import { dollars, expectOrdered, parseCsv } from './lib/tables';
import { api, makeUser, me, openMail, signIn, signUp, verifyByOutbox, type User } from './lib/users';

const stack = inject('stack');
const { chat, chatUntilRefused } = gateway(stack.gatewayUrl);

let browser: Browser;
const contexts: BrowserContext[] = [];

/** What later steps need from earlier ones; a missing entry skips the dependent step. */
const done = new Set<string>();
function needs(ctx: { skip: (note?: string) => void }, ...steps: string[]) {
  const missing = steps.filter((step) => !done.has(step));
  if (missing.length > 0) ctx.skip(`needs ${missing.join(', ')}`);
}

const alice: User = makeUser('Alice', 'alice@e2e.test');
const bob: User = makeUser('Bob', 'bob@e2e.test');
const carol: User = makeUser('Carol', 'carol@e2e.test');
let alicePage: Page;
let adminPage: Page;
let firstKey: { name: string; secret: string };
let secondKey: { name: string; secret: string; id: string };

async function newUser() {
  const { context, page } = await newUserContext(browser, stack.dashboardUrl);
  contexts.push(context);
  return page;
}

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await browser?.close();
});

describe.sequential('the dashboard, end to end', () => {
  it('a: signs up, verifies the address through /dev/mail and is signed in', async () => {
    alicePage = await newUser();
    await signUp(alicePage, alice, { shot: 'signup' });
    await verifyByOutbox(alicePage, alice.email, { shot: 'mail-outbox' });
    await alicePage
      .getByRole('link', { name: /overview|dashboard|continue/i })
      .first()
      .click();
    await alicePage.getByRole('heading', { name: 'Overview' }).waitFor();
    const session = await me(alicePage);
    expect(session.user.email).toBe(alice.email);
    expect(session.user.emailVerified).toBe(true);
    expect(session.account.id).toMatch(/\S/);
    done.add('alice');
  });

  it('b: tops up $25 by the fake card flow and sees the credit', async (ctx) => {
    needs(ctx, 'alice');
    const page = alicePage;
    const before = (await api(page, 'GET', '/api/account')).body.account.balanceMicros as number;
    await page.goto('/billing');
    await page.getByRole('heading', { name: 'Billing' }).waitFor();
    await screenshot(page, 'billing-empty');
    await page.getByLabel('Amount (USD)').first().fill('25');
    await page.getByRole('button', { name: 'Pay by card' }).click();
    await page.waitForURL((url) => url.href.startsWith(`${stack.stripeUrl}/checkout/`));
    await page.getByText('$25.00').first().waitFor();
    await screenshot(page, 'stripe-checkout');
    await page.getByRole('button', { name: 'Pay $25.00' }).click();
    // The fake answers the form post with a redirect: to the merchant, or to its "Paid" page.
    await page.waitForURL((url) => url.href.startsWith(stack.dashboardUrl) || /paid/i.test(url.href), { timeout: 15_000 }).catch(() => {});
    if (!page.url().startsWith(stack.dashboardUrl)) {
      await page.getByText('Paid. Thank you!').waitFor();
      await page.getByRole('link', { name: 'Return to the merchant' }).click();
    }
    await page.waitForURL((url) => url.href.startsWith(`${stack.dashboardUrl}/billing`));
    const after = before + 25_000_000;
    // The signed webhook may land a moment after the redirect: reload until the balance shows it.
    const balance = page.getByRole('region', { name: 'Balance' }).or(page.locator('main')).first();
    await eventually(
      async () => {
        if ((await balance.getByText(usd2(after)).count()) > 0) return true;
        await page.reload();
        await page.getByRole('heading', { name: 'Billing' }).waitFor();
        return false;
      },
      { message: `the billing page never showed the balance ${usd2(after)}` },
    );
    expect((await api(page, 'GET', '/api/account')).body.account.balanceMicros).toBe(after);
    // The top-up is in the transaction history too (written from the journal, maybe a moment later).
    await eventually(
      async () => {
        const rows = page
          .getByRole('row')
          .filter({ hasText: /top-?up/i })
          .filter({ hasText: '$25.00' })
          .filter({ hasText: usd2(after) });
        if ((await rows.count()) > 0) return true;
        await page.reload();
        await page.getByRole('heading', { name: 'Billing' }).waitFor();
        return false;
      },
      { message: `the transactions table never showed the $25.00 top-up with the balance ${usd2(after)} after it` },
    );
    await screenshot(page, 'billing', { phone: true });
    await page.goto('/');
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.getByText(usd2(after)).first().waitFor();
    done.add('credit');
  });

  it('c: creates a key with every limit field and reads its secret once', async (ctx) => {
    needs(ctx, 'alice');
    const name = 'e2e first key';
    const secret = await createKeyInUi(alicePage, name, { shot: 'keys-new-secret' });
    firstKey = { name, secret };
    const row = keyRow(alicePage, name);
    await row.waitFor();
    // The list shows the prefix and the last four characters, never the whole secret.
    await expect(row.innerText()).resolves.toContain(secret.slice(-4));
    await expect(alicePage.getByText(secret).count()).resolves.toBe(0);
    // The limits typed into the form are the key's limits.
    const keys = (await api(alicePage, 'GET', '/api/account/keys')).body.keys as Array<{ name: string; limits: Record<string, unknown> }>;
    expect(keys.find((k) => k.name === name)?.limits).toMatchObject({
      requestsPerMinute: 120,
      maxConcurrent: 4,
      spendLimitMicros: 20_000_000,
      periodSpendLimitMicros: 10_000_000,
    });
    await screenshot(alicePage, 'keys', { phone: true });
    done.add('key');
  });

  let firstCall: Awaited<ReturnType<typeof chat>>;
  it('d: calls the gateway with the key through the OpenAI SDK', async (ctx) => {
    needs(ctx, 'key', 'credit');
    firstCall = await chat(firstKey.secret);
    expect(firstCall.requestId).toMatch(/\S/);
    expect(firstCall.costMicros).toBeGreaterThan(0);
    expect(firstCall.priceVersion).toBeGreaterThanOrEqual(1);
    done.add('call');
  });

  it('e: sees that request and its cost on the usage page', async (ctx) => {
    needs(ctx, 'call');
    const page = alicePage;
    await page.goto('/usage');
    await page.getByRole('heading', { name: 'Usage' }).waitFor();
    for (const label of ['From', 'To', 'Key', 'Model']) await page.getByLabel(label, { exact: true }).first().waitFor();
    const row = await eventually(
      async () => {
        const rows = page
          .getByRole('row')
          .filter({ hasText: usd6(firstCall.costMicros) })
          .filter({ hasText: firstKey.name });
        if ((await rows.count()) > 0) return rows.first();
        await page.reload();
        await page.getByRole('heading', { name: 'Usage' }).waitFor();
        return undefined;
      },
      { message: `no usage row with the cost ${usd6(firstCall.costMicros)}` },
    );
    await expect(row.innerText()).resolves.toContain(MODEL);
    await expect(row.innerText()).resolves.toContain(`v${firstCall.priceVersion}`);
    await screenshot(page, 'usage', { phone: true });
    await page.goto('/');
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await screenshot(page, 'overview', { phone: true });
    await page.goto('/settings');
    await page.getByRole('heading', { name: 'Settings' }).waitFor();
    await page.getByLabel('Name', { exact: true }).first().waitFor();
    await screenshot(page, 'settings', { phone: true });
  });

  it('f: revokes the key after confirming; the next SDK call gets 401', async (ctx) => {
    needs(ctx, 'call');
    const page = alicePage;
    await page.goto('/keys');
    await page.getByRole('heading', { name: 'API keys' }).waitFor();
    await keyRow(page, firstKey.name).getByRole('button', { name: 'Revoke' }).click();
    const confirm = dialog(page);
    await confirm.waitFor();
    await screenshot(page, 'keys-revoke-confirm');
    await confirm.getByRole('button', { name: 'Revoke key' }).click();
    await confirm.waitFor({ state: 'hidden' });
    await keyRow(page, firstKey.name)
      .getByText(/revoked/i)
      .first()
      .waitFor();
    const refused = await chat(firstKey.secret).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(AuthenticationError);
    expect((refused as AuthenticationError).status).toBe(401);
  });

  it('g: the admin changes a price; the next request is charged at the new price version', async (ctx) => {
    needs(ctx, 'alice', 'credit');
    // The demo admin, seeded as npm start seeds it (its address is in ADMIN_EMAILS).
    adminPage = await newUser();
    await signIn(adminPage, stack.admin, { shot: 'login' });
    expect((await me(adminPage)).user.role).toBe('admin');
    done.add('admin');
    await adminPage
      .getByRole('link', { name: /services/i })
      .first()
      .waitFor();

    // Alice needs a working key for the rest (the first one is revoked).
    const name = 'e2e second key';
    const secret = await createKeyInUi(alicePage, name);
    const keys = (await api(alicePage, 'GET', '/api/account/keys')).body.keys as Array<{ id: string; name: string }>;
    secondKey = { name, secret, id: keys.find((k) => k.name === name)!.id };
    done.add('second key');
    const beforeChange = await chat(secret);

    const page = adminPage;
    await page.goto('/admin/services');
    await page.getByRole('heading', { name: 'Services' }).waitFor();
    await page.getByText(MODEL).first().waitFor();
    await screenshot(page, 'admin-services', { phone: true });
    const card = page
      .locator('tr, li, article, section, div')
      .filter({ hasText: MODEL })
      .filter({ has: page.getByRole('button', { name: 'Edit prices' }) })
      .last();
    await card.getByRole('button', { name: 'Edit prices' }).click();
    await page.getByLabel('Input price (µUSD per 1M tokens)').fill('1000000');
    await page.getByLabel('Output price (µUSD per 1M tokens)').fill('2000000');
    await page.getByLabel('Per-request price (µUSD)').fill('0');
    await screenshot(page, 'admin-services-edit-prices');
    const priceDialog = dialog(page);
    await priceDialog.getByRole('button', { name: 'Save new price version' }).click();
    await priceDialog.waitFor({ state: 'hidden' });
    // The service's row now shows the new version.
    const newVersion = beforeChange.priceVersion + 1;
    await card
      .getByText(new RegExp(`^\\s*v${newVersion}\\s*$`))
      .first()
      .waitFor();

    // At 1 and 2 USD per 1M tokens a request costs exactly 1 µUSD per input and 2 per output token.
    const afterChange = await chat(secret);
    expect(afterChange.priceVersion).toBe(newVersion);
    expect(afterChange.costMicros).toBe(afterChange.promptTokens + 2 * afterChange.completionTokens);

    await alicePage.goto('/usage');
    await alicePage.getByRole('heading', { name: 'Usage' }).waitFor();
    await eventually(
      async () => {
        const rows = alicePage
          .getByRole('row')
          .filter({ hasText: usd6(afterChange.costMicros) })
          .filter({ hasText: `v${newVersion}` });
        if ((await rows.count()) > 0) return true;
        await alicePage.reload();
        await alicePage.getByRole('heading', { name: 'Usage' }).waitFor();
        return false;
      },
      { message: `no usage row with the new cost ${usd6(afterChange.costMicros)} and price version ${newVersion}` },
    );

    for (const [path, shot] of [
      ['/admin/analytics', 'admin-analytics'],
      ['/admin/accounts', 'admin-accounts'],
    ] as const) {
      await page.goto(path);
      await page.getByRole('heading').first().waitFor();
      await screenshot(page, shot, { phone: shot === 'admin-analytics' });
    }
  });

  it("h: a second user can neither see nor touch the first user's keys", async (ctx) => {
    needs(ctx, 'second key');
    const page = await newUser();
    await signUp(page, bob);
    await verifyByOutbox(page, bob.email);
    await page.goto('/keys');
    await page.getByRole('heading', { name: 'API keys' }).waitFor();
    await page.waitForLoadState('networkidle').catch(() => {});
    for (const key of [firstKey, secondKey]) {
      await expect(page.getByText(key.name).count()).resolves.toBe(0);
      await expect(page.getByText(key.secret.slice(-4)).count()).resolves.toBe(0);
    }
    const bobsKeys = (await api(page, 'GET', '/api/account/keys')).body.keys as Array<{ id: string }>;
    expect(bobsKeys.map((k) => k.id)).not.toContain(secondKey.id);

    const csrf = (await me(page)).csrfToken;
    const edit = await api(page, 'PATCH', `/api/account/keys/${secondKey.id}`, { body: { name: 'taken over' }, csrf });
    expect(edit.status, JSON.stringify(edit.body)).toBe(404);
    const revoke = await api(page, 'POST', `/api/account/keys/${secondKey.id}/revoke`, { csrf });
    expect(revoke.status, JSON.stringify(revoke.body)).toBe(404);
    const withoutCsrf = await api(page, 'POST', `/api/account/keys/${secondKey.id}/revoke`, { csrf: false });
    expect(withoutCsrf.status).toBe(403);

    // Alice's key is untouched and still works.
    const call = await chat(secondKey.secret);
    expect(call.costMicros).toBeGreaterThan(0);
    await alicePage.goto('/keys');
    await keyRow(alicePage, secondKey.name).waitFor();
    await expect(alicePage.getByText('taken over').count()).resolves.toBe(0);
  });

  it('i: the admin sorts the accounts by balance and downloads them as CSV in that order', async (ctx) => {
    needs(ctx, 'admin', 'credit');
    const page = adminPage;
    await page.goto('/admin/accounts');
    await page.getByRole('heading', { name: 'Accounts' }).waitFor();
    await page.getByRole('row').filter({ hasText: alice.email }).waitFor();
    const header = page.getByRole('columnheader', { name: 'Balance', exact: true });
    const balances = async () => (await page.locator('td[data-label="Balance"]').allInnerTexts()).map(dollars);

    await header.getByRole('button').click();
    await expect(header.getAttribute('aria-sort')).resolves.toBe('ascending');
    expectOrdered(await balances(), 1);
    await header.getByRole('button').click();
    await expect(header.getAttribute('aria-sort')).resolves.toBe('descending');
    const shown = await balances();
    expectOrdered(shown, -1);

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^accounts-\d{4}-\d{2}-\d{2}\.csv$/);
    const [head, ...rows] = parseCsv((await readFile(await download.path(), 'utf8')).replace(/^\uFEFF/, ''));
    expect(head).toEqual(['account', 'account_id', 'owner_email', 'balance_usd', 'status', 'created_at']);
    // The file holds the rows as the table shows them, in the same order.
    const ids = await page.locator('td[data-label="Account"] code').allInnerTexts();
    expect(rows.map((r) => r[1])).toEqual(ids);
    const aliceAt = rows.findIndex((r) => r[2] === alice.email);
    expect(aliceAt, `no CSV row for ${alice.email}`).toBeGreaterThanOrEqual(0);
    expect(rows[aliceAt][3]).toMatch(/^-?\d+\.\d{6}$/);
    expect(Math.abs(Number(rows[aliceAt][3]) - (shown[aliceAt] ?? NaN))).toBeLessThan(0.005);

    // A third click goes back to the server's order.
    await header.getByRole('button').click();
    await expect(header.getAttribute('aria-sort')).resolves.toBeNull();
  });

  it('j: sends alerts to a webhook, sets a budget on a key, hits it, sees the 402 in the SDK and the alert in the dashboard and the inbox', async (ctx) => {
    needs(ctx, 'alice', 'credit', 'second key');
    const page = alicePage;
    // Where alerts go: a webhook to the local inbox, its signing secret shown once.
    await page.goto('/notifications');
    await page.getByRole('heading', { name: 'Notifications' }).waitFor();
    await page.getByRole('button', { name: 'Add channel' }).first().click();
    const channelForm = dialog(page);
    await channelForm.getByLabel('Kind').selectOption('webhook');
    await channelForm.getByLabel('Name').fill('Alice inbox');
    await channelForm.getByLabel('URL').fill(`${stack.inboxUrl}/hooks/alice`);
    await channelForm.getByRole('button', { name: 'Add channel' }).click();
    const secret = (await page.getByTestId('channel-secret').innerText()).trim();
    expect(secret).toMatch(/^whsec_/);
    await screenshot(page, 'notification-secret');
    await dialog(page).getByRole('button', { name: 'Done' }).click();
    await fetch(`${stack.inboxUrl}/__inbox/secrets/alice`, { method: 'PUT', body: JSON.stringify({ secret }) });

    // A daily budget of $0.001 on the key: a few requests of the demo model fill it.
    await page.goto('/budgets');
    await page.getByRole('heading', { name: 'Budgets' }).waitFor();
    await page.getByRole('button', { name: 'New budget' }).first().click();
    const form = dialog(page);
    await form.getByLabel('Name').fill('e2e key cap');
    await form.getByLabel('Applies to').selectOption('key');
    await form.getByLabel('Key').selectOption(secondKey.id);
    await form.getByLabel('Amount (USD)').fill('0.001');
    await form.getByLabel('Window').selectOption('day');
    await form.getByLabel('Alert thresholds (%)').fill('50');
    await form.getByRole('button', { name: 'Add budget' }).click();
    await form.waitFor({ state: 'hidden' });
    await page.getByText('e2e key cap').first().waitFor();

    // The SDK gets OpenAI's 402 shape once the budget cannot afford the next request.
    const refused = await chatUntilRefused(secondKey.secret);
    expect(refused?.status).toBe(402);
    expect(refused?.code).toBe('budget_exceeded');
    expect(refused?.message).toContain('e2e key cap');

    // The dashboard shows the budget spent and the alert; the inbox got it, signed.
    // The alert is raised at settlement and reaches D1 with the object's next flush (about a second).
    await eventually(async () => (await api(page, 'GET', '/api/account/alerts')).body.alerts.length > 0, { message: 'no alert recorded' });
    await eventually(
      async () => {
        await page.reload();
        await page.getByRole('heading', { name: 'Budgets' }).waitFor();
        const alertRows = page.locator('table tr').filter({ hasText: 'e2e key cap' }).filter({ hasText: '50%' });
        // The alerts load after the heading: give them a moment before reloading again.
        await alertRows
          .first()
          .waitFor({ timeout: 3_000 })
          .catch(() => {});
        return (await alertRows.count()) > 0;
      },
      { message: 'no 50 % alert for the budget on the Budgets page' },
    );
    await screenshot(page, 'budgets', { phone: true });
    await eventually(
      async () => {
        const inbox = (await (await fetch(`${stack.inboxUrl}/__inbox`)).json()) as {
          deliveries: Array<{ name: string; signature: string; headers: Record<string, string>; body: string }>;
        };
        const mine = inbox.deliveries.filter((d) => d.name === 'alice' && d.headers['x-gateway-event-type'] === 'budget.threshold');
        if (mine.length === 0) return false;
        expect(mine.length).toBe(1);
        expect(mine[0].signature).toBe('valid');
        expect(JSON.parse(mine[0].body).data).toMatchObject({ budgetName: 'e2e key cap', percent: 50 });
        return true;
      },
      { message: 'the inbox got no signed budget alert' },
    );
    // The channel's delivery log shows it delivered.
    await page.goto('/notifications');
    await page.getByRole('button', { name: 'Deliveries' }).first().click();
    await dialog(page).getByText('Delivered').first().waitFor();
    await screenshot(page, 'notification-deliveries');
  });

  it('k: the API reference renders at /docs, offline, and "Try it out" sends the session\'s CSRF token', async () => {
    const redirect = await fetch(`${stack.gatewayUrl}/api/docs`, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe(`${stack.dashboardUrl}/docs`);

    const page = await newUser();
    const errors: string[] = [];
    const elsewhere: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('request', (request) => {
      if (!request.url().startsWith(`${stack.dashboardUrl}/`)) elsewhere.push(request.url());
    });
    // The gateway's /api/docs sends the browser to the page.
    await page.goto(`${stack.gatewayUrl}/api/docs`);
    expect(page.url()).toBe(`${stack.dashboardUrl}/docs`);
    await page.getByRole('heading', { name: /GPU gateway management API/ }).waitFor();
    await page.locator('[data-path="/api/account/keys"]').first().waitFor();
    await screenshot(page, 'api-reference');
    expect(errors, 'console errors on /docs').toEqual([]);
    expect(elsewhere, 'requests that did not go to the dashboard').toEqual([`${stack.gatewayUrl}/api/docs`]);

    // Signed in, the nav links to it, and an unsafe request carries the CSRF token: an unknown key
    // is 404, where a request without the token would be 403 csrf_failed.
    await signIn(page, stack.admin);
    await page.getByRole('link', { name: 'API reference' }).click();
    await page.waitForURL(`${stack.dashboardUrl}/docs`);
    const revoke = page.locator('.opblock-post').filter({ has: page.locator('[data-path="/api/account/keys/{id}/revoke"]') });
    await revoke.locator('.opblock-summary').first().click();
    await revoke.getByRole('button', { name: 'Try it out' }).click();
    await revoke.locator('tr[data-param-name="id"] input').fill('key_e2e_unknown');
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url() === `${stack.dashboardUrl}/api/account/keys/key_e2e_unknown/revoke`),
      revoke.getByRole('button', { name: 'Execute' }).click(),
    ]);
    expect(response.request().headers()['x-csrf-token']).toBe((await me(page)).csrfToken);
    expect(response.status(), await response.text()).toBe(404);
    await revoke.locator('.live-responses-table .response-col_status').getByText('404').waitFor();
  });

  it('l: the owner invites a developer into a new project; they accept, make a key there; a project budget refuses it with 402 and the owner sees the alert', async (ctx) => {
    needs(ctx, 'alice', 'credit');
    const owner = alicePage;
    const org = (await me(owner)).organization;
    expect(org.role).toBe('owner');
    const projectName = 'e2e team project';

    // The owner creates the project, limited to the demo model.
    await owner.goto('/projects');
    await owner.getByRole('heading', { name: 'Projects' }).waitFor();
    await owner.getByRole('button', { name: 'New project' }).click();
    const projectForm = dialog(owner);
    await projectForm.getByLabel('Name', { exact: true }).fill(projectName);
    await projectForm.getByLabel('Allowed models', { exact: true }).fill(MODEL);
    await projectForm.getByRole('button', { name: 'Create project' }).click();
    await projectForm.waitFor({ state: 'hidden' });
    await owner.getByRole('row').filter({ hasText: projectName }).filter({ hasText: MODEL }).waitFor();
    await screenshot(owner, 'projects');
    const projects = (await api(owner, 'GET', '/api/account/projects', { organization: org.id })).body.projects as Array<{ id: string; name: string }>;
    const projectId = projects.find((p) => p.name === projectName)?.id as string;
    expect(projectId).toMatch(/\S/);

    // ...and invites Carol into it as a developer.
    await owner.goto('/members');
    await owner.getByRole('heading', { name: 'Members' }).waitFor();
    await owner.getByRole('button', { name: 'Invite member' }).click();
    const invite = dialog(owner);
    await invite.getByLabel('Email', { exact: true }).fill(carol.email);
    await invite.getByLabel('Role', { exact: true }).selectOption('developer');
    await invite.getByRole('group', { name: 'Projects' }).getByLabel(projectName).check();
    await screenshot(owner, 'members-invite');
    await invite.getByRole('button', { name: 'Send invitation' }).click();
    await invite.waitFor({ state: 'hidden' });
    await owner.getByRole('row').filter({ hasText: carol.email }).filter({ hasText: 'pending' }).waitFor();

    // Carol opens the invitation from her mail, has no account yet, signs up from there and
    // verifies her address; the verification brings her back to the invitation.
    const page = await newUser();
    const mail = await openMail(page, carol.email, /join/i);
    const link = mail.locator('a[href*="/invite?token="]').first();
    await link.waitFor();
    const invitation = new URL((await link.getAttribute('href')) as string);
    await link.click();
    await page.waitForURL(/\/invite\?token=/);
    await page.getByRole('link', { name: 'Create an account' }).click();
    await signUp(page, carol, { open: false });
    await verifyByOutbox(page, carol.email);
    await page.getByRole('link', { name: 'Continue' }).click();
    await page.waitForURL((url) => url.pathname === '/invite' && url.search === invitation.search);
    await screenshot(page, 'invitation', { phone: true });
    await page.getByRole('button', { name: 'Accept invitation' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();

    // The dashboard now acts on the owner's organisation, as a developer; the switcher goes back and forth.
    const switcher = page.getByLabel('Organisation', { exact: true });
    await expect(switcher.inputValue()).resolves.toBe(org.id);
    await page.getByTestId('org-role').filter({ hasText: 'Your role: Developer' }).waitFor();
    const personal = (await me(page)).organizations.find((o) => o.personal);
    expect(personal?.role).toBe('owner');
    await switcher.selectOption(personal?.id as string);
    await page.getByTestId('org-role').filter({ hasText: 'Your role: Owner' }).waitFor();
    await switcher.selectOption(org.id);
    await page.getByTestId('org-role').filter({ hasText: 'Your role: Developer' }).waitFor();

    // The owner sees her as a developer in the project, and the invitation accepted.
    await owner.goto('/members');
    const carolRow = owner.getByRole('row').filter({ hasText: carol.email }).filter({ hasText: projectName });
    await expect.poll(() => carolRow.getByRole('combobox').inputValue()).toBe('developer');
    await owner.getByRole('row').filter({ hasText: carol.email }).filter({ hasText: 'accepted' }).waitFor();
    await screenshot(owner, 'members', { phone: true });

    // Carol creates a key in the project from the UI: it is her only project, so it is the default.
    await page.goto('/keys');
    await page.getByRole('heading', { name: 'API keys' }).waitFor();
    await page.getByRole('button', { name: 'Create key' }).click();
    const keyForm = dialog(page);
    await keyForm.getByLabel('Name', { exact: true }).fill('e2e carol key');
    // Preselected once the projects have loaded.
    await expect.poll(() => keyForm.getByLabel('Project', { exact: true }).inputValue()).toBe(projectId);
    await keyForm.getByRole('button', { name: 'Create', exact: true }).click();
    const secret = (await page.getByTestId('new-key-secret').innerText()).trim();
    expect(secret).toMatch(/^sk-gw-\S+$/);
    await page.getByRole('button', { name: 'Done' }).click();
    await keyRow(page, 'e2e carol key').getByText(projectName).waitFor();
    await screenshot(page, 'keys-developer');
    const carolKeys = (await api(page, 'GET', '/api/account/keys', { organization: org.id })).body.keys as Array<{ name: string; projectId: string }>;
    expect(carolKeys.map((k) => [k.name, k.projectId])).toEqual([['e2e carol key', projectId]]);

    // The owner caps the project at $0.001 a day.
    await owner.goto('/budgets');
    await owner.getByRole('heading', { name: 'Budgets' }).waitFor();
    await owner.getByRole('button', { name: 'New budget' }).first().click();
    const form = dialog(owner);
    await form.getByLabel('Name').fill('e2e project cap');
    await form.getByLabel('Applies to').selectOption('project');
    await form.getByLabel('Project', { exact: true }).selectOption(projectId);
    await form.getByLabel('Amount (USD)').fill('0.001');
    await form.getByLabel('Window').selectOption('day');
    await form.getByLabel('Alert thresholds (%)').fill('50');
    await form.getByRole('button', { name: 'Add budget' }).click();
    await form.waitFor({ state: 'hidden' });
    await owner.getByTestId('budget-card').filter({ hasText: 'e2e project cap' }).getByText(`Project “${projectName}”`).waitFor();

    // Carol's key is refused once the project's budget cannot afford the next request.
    const refused = await chatUntilRefused(secret);
    expect(refused?.status).toBe(402);
    expect(refused?.code).toBe('budget_exceeded');
    expect(refused?.message).toContain('e2e project cap');

    // The owner sees the project budget's alert on the Budgets page.
    await eventually(
      async () => {
        await owner.reload();
        await owner.getByRole('heading', { name: 'Budgets' }).waitFor();
        const alertRows = owner.locator('table tr').filter({ hasText: 'e2e project cap' }).filter({ hasText: '50%' });
        // The alerts load after the heading: give them a moment before reloading again.
        await alertRows
          .first()
          .waitFor({ timeout: 3_000 })
          .catch(() => {});
        return (await alertRows.count()) > 0;
      },
      { message: 'no 50 % alert for the project budget on the Budgets page' },
    );
    await screenshot(owner, 'budgets-project', { phone: true });
  });
});
