// CORS in a real browser (Debian's chromium through playwright-core): a page served from another
// local port, listed in CORS_ORIGINS, signs in and then PATCHes user/me, PUTs an avatar and
// DELETEs a review against the API on its own port, sending the headers the API reads and reading
// the ones it sets; the same page from a port that is not listed gets nothing through.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/app.ts';
import { describeWithChromium, launchChromium } from '../helpers/browser.ts';
import { loginAs } from '../helpers/actors.ts';
import { postReview, reviewerOf } from '../helpers/reviews.ts';
import { PNG } from '../helpers/upload-fixtures.ts';

/** A static page on a free loopback port: the front end, on an origin of its own. */
async function startPageServer(): Promise<{ server: Server; origin: string }> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end('<!doctype html><title>Front end</title><p>front end</p>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://localhost:${(server.address() as AddressInfo).port}` };
}

/** What the page's fetch calls saw: each status, or the browser's error for a blocked request. */
interface PageResults {
  patch?: { status: number; firstName: string; requestId: string | null };
  conditionalGet?: number;
  avatar?: { status: number; hasAvatar: boolean };
  deleteReview?: number;
  error?: string;
}

/** Runs in the page: the calls a front end makes with a bearer token. */
function frontEndCalls(input: { api: string; token: string; reviewId: string; pngBase64: string }): Promise<PageResults> {
  const results: PageResults = {};
  const auth = { authorization: `Bearer ${input.token}` };
  const run = async () => {
    const patched = await fetch(`${input.api}/v1/api/user/me/`, {
      method: 'PATCH',
      headers: { ...auth, 'content-type': 'application/json', 'idempotency-key': 'browser-1' },
      body: JSON.stringify({ firstName: 'Browser' }),
    });
    results.patch = { status: patched.status, firstName: ((await patched.json()) as { firstName: string }).firstName, requestId: patched.headers.get('x-request-id') };
    results.conditionalGet = (await fetch(`${input.api}/v1/api/user/me/`, { headers: { ...auth, 'if-none-match': '"stale"' } })).status;

    const bytes = Uint8Array.from(atob(input.pngBase64), (char) => char.charCodeAt(0));
    const form = new FormData();
    form.append('file', new Blob([bytes], { type: 'image/png' }), 'me.png');
    const avatar = await fetch(`${input.api}/v1/api/patient/patients/me/avatar/`, { method: 'PUT', headers: auth, body: form });
    results.avatar = { status: avatar.status, hasAvatar: Boolean(((await avatar.json()) as { avatarUrl?: string | null }).avatarUrl) };

    results.deleteReview = (await fetch(`${input.api}/v1/api/doctor/reviews/${input.reviewId}/`, { method: 'DELETE', headers: auth })).status;
  };
  return run().then(
    () => results,
    (error: unknown) => ({ ...results, error: String(error) }),
  );
}

describeWithChromium('CORS from a page on another port, in headless Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  let api: string;
  let allowedPage: { server: Server; origin: string };
  let otherPage: { server: Server; origin: string };

  beforeAll(async () => {
    allowedPage = await startPageServer();
    otherPage = await startPageServer();
    t = await buildTestApp({ env: { CORS_ORIGINS: allowedPage.origin } });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    api = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    for (const page of [allowedPage, otherPage]) page?.server.close();
  });

  /** A patient with a review of their own, signed in, and the page's calls run from `origin`. */
  async function callsFrom(origin: string) {
    const doctor = await loginAs(t, 'doctor');
    const patient = await reviewerOf(t, [doctor.profileId]);
    const review = await postReview(t, patient, { doctorId: doctor.profileId, rating: 5 });
    const page = await browser.newPage();
    try {
      await page.goto(origin);
      const token = patient.headers.authorization.replace('Bearer ', '');
      const results = await page.evaluate(frontEndCalls, { api, token, reviewId: review.id, pngBase64: PNG.toString('base64') });
      return { results, patient, review };
    } finally {
      await page.close();
    }
  }

  it('PATCH user/me, PUT an avatar and DELETE a review work from an origin in CORS_ORIGINS', { timeout: 60_000 }, async () => {
    const { results, patient, review } = await callsFrom(allowedPage.origin);
    expect(results).toEqual({
      patch: { status: 200, firstName: 'Browser', requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) },
      conditionalGet: 200,
      avatar: { status: 200, hasAvatar: true },
      deleteReview: 204,
    });
    expect((await t.db.user.findUniqueOrThrow({ where: { id: patient.user.id } })).firstName).toBe('Browser');
    expect(await t.db.review.count({ where: { id: review.id } })).toBe(0);
  });

  it('gets nothing through from an origin that is not listed', { timeout: 60_000 }, async () => {
    const { results, patient, review } = await callsFrom(otherPage.origin);
    expect(results.error).toMatch(/Failed to fetch/);
    expect(results.patch).toBeUndefined();
    // The preflight was refused, so the PATCH itself was never sent.
    expect((await t.db.user.findUniqueOrThrow({ where: { id: patient.user.id } })).firstName).not.toBe('Browser');
    expect(await t.db.review.count({ where: { id: review.id } })).toBe(1);
  });
});
