// Rate limits of the public forms: 5 a minute per client IP on contact-us and on report-bug (each its own count), then 429 with Retry-After.
// Random IPs keep the tests' counters apart.
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../../helpers/app.ts';
import { API, expectProblem, randomIp } from '../../helpers/http.ts';
import { multipart, PNG } from '../../helpers/upload-fixtures.ts';

const t = useTestApp({ env: { RATE_LIMIT_ENABLED: 'true' } });

const contact = (ip: string) =>
  t.app.inject({
    method: 'POST',
    url: `${API}/public-portal/contact-us/`,
    remoteAddress: ip,
    payload: { name: 'Rae', email: 'rae@example.com', subject: 'Hi', message: 'Hello' },
  });
const bug = (ip: string) => t.app.inject({ method: 'POST', url: `${API}/public-portal/report-bug/`, remoteAddress: ip, payload: { title: 'T', description: 'D' } });

function expectRateLimited(response: Awaited<ReturnType<typeof contact>>) {
  expectProblem(response, 429, 'rate_limited');
  const retryAfter = Number(response.headers['retry-after']);
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
}

describe('public-portal forms', () => {
  it('the 6th contact-us from one IP within a minute is 429 with Retry-After; another IP and report-bug are not affected', async () => {
    const ip = randomIp();
    for (let i = 0; i < 5; i++) expect((await contact(ip)).statusCode).toBe(201);
    expectRateLimited(await contact(ip));
    expect(await t.db.contactMessage.count()).toBeGreaterThanOrEqual(5);
    expect((await contact(randomIp())).statusCode).toBe(201);
    expect((await bug(ip)).statusCode).toBe(201);
  });

  it('the 6th report-bug from one IP is 429, multipart included', async () => {
    const ip = randomIp();
    for (let i = 0; i < 4; i++) expect((await bug(ip)).statusCode).toBe(201);
    const form = multipart({ title: 'Shot', description: 'With a screenshot' }, { field: 'screenshot', filename: 's.png', contentType: 'image/png', bytes: PNG });
    const upload = () => t.app.inject({ method: 'POST', url: `${API}/public-portal/report-bug/`, remoteAddress: ip, headers: form.headers, payload: form.payload });
    expect((await upload()).statusCode).toBe(201);
    expectRateLimited(await upload());
    expectRateLimited(await bug(ip));
  });

  it('requests refused as invalid (400, checked before the limit) do not use it up', async () => {
    const ip = randomIp();
    for (let i = 0; i < 6; i++) {
      const bad = await t.app.inject({ method: 'POST', url: `${API}/public-portal/contact-us/`, remoteAddress: ip, payload: { name: 'x\u0000' } });
      expectProblem(bad, 400, 'validation_failed');
    }
    expect((await contact(ip)).statusCode).toBe(201);
  });
});
