// Swagger UI in a real browser (Debian's chromium through playwright-core): /docs loads with
// no Content-Security-Policy error in the console, authorizes with a bearer token, and
// "Try it out" on user/me answers 200.
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/app.ts';
import { describeWithChromium, launchChromium } from '../helpers/browser.ts';
import { createUser, login } from '../helpers/factories.ts';

describeWithChromium('Swagger UI in headless Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  let baseUrl: string;

  beforeAll(async () => {
    t = await buildTestApp();
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    baseUrl = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('authorizes with a token and runs "Try it out" on user/me with 200, with no CSP error in the console', { timeout: 60_000 }, async () => {
    const user = await createUser(t.db);
    const tokens = await login(t.app, user);
    const page = await browser.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(`page error: ${error.message}`));

    const response = await page.goto(`${baseUrl}/docs`, { waitUntil: 'networkidle' });
    expect(response?.status()).toBe(200);
    // Strict: no 'unsafe-inline' anywhere, styles from here or by hash only.
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).toMatch(/style-src 'self' 'sha256-[^']+';/);
    expect(csp).toMatch(/script-src 'self'/);
    expect(csp).not.toContain('unsafe-inline');
    const meOperation = page.locator('#operations-accounts-getMe');
    await meOperation.waitFor({ timeout: 20_000 });

    // Authorize: the bearerAuth scheme takes the access token.
    await page.locator('.auth-wrapper button.authorize').click();
    await page.locator('.modal-ux input[type="text"]').first().fill(tokens.access);
    await page.locator('.modal-ux .auth-btn-wrapper button.authorize').click();
    await page.locator('.modal-ux button.btn-done').click();

    // Try it out on GET user/me.
    await meOperation.locator('.opblock-summary').first().click();
    await meOperation.locator('button.try-out__btn').click();
    const apiCall = page.waitForResponse((answer) => answer.url().includes('/v1/api/user/me'));
    await meOperation.locator('button.execute').click();
    const answer = await apiCall;
    expect(answer.status()).toBe(200);
    expect(answer.request().headers().authorization).toBe(`Bearer ${tokens.access}`);
    // Rendering the answer can take seconds on a loaded machine (expect.poll's default is 1 s).
    await expect
      .poll(() => meOperation.locator('.live-responses-table tr.response .response-col_status').first().textContent(), { timeout: 15_000 })
      .toContain('200');
    expect(await meOperation.locator('.live-responses-table tr.response .response-col_description').first().textContent()).toContain(user.email);

    expect(consoleErrors.filter((text) => /Content Security Policy|Refused to/i.test(text))).toEqual([]);
    expect(consoleErrors).toEqual([]);
    await page.close();
  });
});
