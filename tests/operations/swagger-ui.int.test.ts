// Swagger UI in a real browser (Debian's chromium through playwright-core): /docs loads with
// no Content-Security-Policy error in the console, authorizes with a bearer token, "Try it out"
// on user/me answers 200, and an avatar uploads through the file picker of the multipart body.
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loginAs } from '../helpers/actors.ts';
import { useTestApp } from '../helpers/app.ts';
import { describeWithChromium, launchChromium } from '../helpers/browser.ts';
import { API } from '../helpers/http.ts';
import { PNG } from '../helpers/upload-fixtures.ts';

describeWithChromium('Swagger UI in headless Chromium', () => {
  const t = useTestApp();
  let browser: Browser;
  let baseUrl: string;

  beforeAll(async () => {
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    baseUrl = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  /** /docs in a new page, authorized with `accessToken`; every console error or warning is collected. */
  async function openAuthorizedDocs(accessToken: string): Promise<{ page: Page; consoleErrors: string[] }> {
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
    // Tags start folded (plugins/openapi.ts): the UI is up once they are listed.
    await page.locator('#operations-tag-accounts').waitFor({ timeout: 45_000 });

    // Authorize: the bearerAuth scheme takes the access token.
    await page.locator('.auth-wrapper button.authorize').click();
    await page.locator('.modal-ux input[type="text"]').first().fill(accessToken);
    await page.locator('.modal-ux .auth-btn-wrapper button.authorize').click();
    await page.locator('.modal-ux button.btn-done').click();
    return { page, consoleErrors };
  }

  /** Opens the tag and the operation, presses "Try it out", lets `fill` set its inputs, executes it: the API's answer. */
  async function tryItOut(page: Page, tag: string, operationId: string, path: string, fill: () => Promise<void> = async () => {}) {
    await page.locator(`#operations-tag-${tag}`).click();
    const operation = page.locator(`#operations-${tag}-${operationId}`);
    await operation.locator('.opblock-summary').first().click();
    await operation.locator('button.try-out__btn').click();
    await fill();
    const apiCall = page.waitForResponse((answer) => answer.url().includes(path));
    await operation.locator('button.execute').click();
    const answer = await apiCall;
    // Rendering the answer can take seconds on a loaded machine (expect.poll's default is 1 s).
    await expect
      .poll(() => operation.locator('.live-responses-table tr.response .response-col_status').first().textContent(), { timeout: 30_000 })
      .toContain(String(answer.status()));
    return { operation, answer };
  }

  it('authorizes with a token and runs "Try it out" on user/me with 200, with no CSP error in the console', { timeout: 120_000 }, async () => {
    const patient = await loginAs(t, 'patient');
    const { page, consoleErrors } = await openAuthorizedDocs(patient.tokens.access);

    const { operation, answer } = await tryItOut(page, 'accounts', 'getMe', '/v1/api/user/me');
    expect(answer.status()).toBe(200);
    expect(answer.request().headers().authorization).toBe(`Bearer ${patient.tokens.access}`);
    expect(await operation.locator('.live-responses-table tr.response .response-col_description').first().textContent()).toContain(patient.user.email);

    expect(consoleErrors.filter((text) => /Content Security Policy|Refused to/i.test(text))).toEqual([]);
    expect(consoleErrors).toEqual([]);
    await page.close();
  });

  it('uploads an avatar through the file picker of "Try it out": 200, and the profile serves the new image', { timeout: 120_000 }, async () => {
    const patient = await loginAs(t, 'patient');
    const me = () => t.app.inject({ url: `${API}/patient/patients/me/`, headers: patient.headers });
    expect((await me()).json()).toMatchObject({ avatarUrl: null });
    const { page, consoleErrors } = await openAuthorizedDocs(patient.tokens.access);

    const { answer } = await tryItOut(page, 'patients', 'replaceMyPatientAvatar', '/v1/api/patient/patients/me/avatar', async () => {
      const picker = page.locator('[id$="-replaceMyPatientAvatar"] input[type="file"]');
      await picker.setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: PNG });
    });
    expect(answer.request().method()).toBe('PUT');
    expect(answer.request().headers()['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(answer.status()).toBe(200);
    const { avatarUrl } = (await answer.json()) as { avatarUrl: string };
    expect(avatarUrl).toMatch(/\/v1\/api\/media\/[0-9a-f-]{36}$/);

    // The avatar changed: the profile names the new file, which serves the bytes picked.
    expect((await me()).json()).toMatchObject({ avatarUrl });
    const image = await t.app.inject({ url: new URL(avatarUrl, baseUrl).pathname });
    expect(image.headers['content-type']).toBe('image/png');
    expect(image.rawPayload.equals(PNG)).toBe(true);

    expect(consoleErrors).toEqual([]);
    await page.close();
  });
});
