/**
 * Swagger UI in a real browser: Debian's Chromium, headless, driven by playwright-core. A person's
 * path through the docs: Authorize with a token, then try GET /plans and see 200 in the page.
 * Chromium must be installed (`apt-get install -y chromium`; .ci/run does it): when it is missing
 * this test fails, it is never skipped. CHROMIUM_PATH overrides /usr/bin/chromium.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Browser, Page, chromium } from 'playwright-core';
import { TestApp, bootApp } from '../support/app';
import { tenantAdmin } from '../support/tokens';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.join(__dirname, '..', '..', 'artifacts');
const SCREENSHOT = path.join(ARTIFACTS, 'swagger-ui.png');
// Flags for a machine without outside network: no background connections, no update checks.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

describe('Swagger UI in Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) {
      throw new Error(`Chromium not found at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (.ci/run does), or set CHROMIUM_PATH`);
    }
    t = await bootApp();
    // launch() gives the browser a new, empty profile (--user-data-dir in a temp folder) each run.
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(15_000);
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('authorizes with a bearer token, tries GET /plans and shows 200', async () => {
    const token = tenantAdmin('t1');
    await page.goto(`${t.baseUrl}/api/docs`);
    await page.locator('.swagger-ui .information-container .title').filter({ hasText: 'Billing Service' }).waitFor();

    // Authorize: paste the token in the bearer field, authorize, close the dialog.
    await page.locator('.scheme-container button.authorize').click();
    const dialog = page.locator('.modal-ux');
    await dialog.locator('input[type="text"]').fill(token);
    // (Swagger UI labels these buttons for screen readers: "Apply credentials", "Remove authorization".)
    await dialog.locator('button.modal-btn.authorize', { hasText: 'Authorize' }).click();
    await dialog.locator('button.modal-btn', { hasText: 'Logout' }).waitFor(); // shown once authorized
    await dialog.locator('button.modal-btn.btn-done', { hasText: 'Close' }).click();
    await dialog.waitFor({ state: 'detached' });

    // GET /plans: expand, Try it out, Execute.
    const op = page.locator('.opblock.opblock-get').filter({ has: page.locator('[data-path="/api/v1/billing/plans"]') });
    await op.locator('.opblock-summary').first().click();
    await op.getByRole('button', { name: 'Try it out' }).click();
    await op.getByRole('button', { name: 'Execute' }).click();

    const status = op.locator('.live-responses-table .response .response-col_status').first();
    await status.waitFor();
    await status.scrollIntoViewIfNeeded();
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await op.screenshot({ path: SCREENSHOT });

    expect((await status.innerText()).trim()).toBe('200');
    // The request really carried the token (the curl shown by the UI) and the body is the catalog.
    await expect(op.locator('.curl-command').innerText()).resolves.toContain(`Bearer ${token}`);
    await expect(op.locator('.live-responses-table .response-col_description .microlight').first().innerText()).resolves.toContain('team-monthly');
  });
});
