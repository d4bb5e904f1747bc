// METRICS_PORT: GET /metrics moves to an internal port of its own (the app's HTTP, pool and queue
// metrics and the process counters), and the public port no longer serves it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/app.ts';
import { API, expectProblem } from '../helpers/http.ts';

/** The internal port the app reported when it started its metrics server (METRICS_PORT=0: any free one). */
function metricsPortOf(t: TestApp): number {
  const line = t.logs.map((text) => JSON.parse(text) as { metricsPort?: number }).find((entry) => entry.metricsPort !== undefined);
  if (!line?.metricsPort) throw new Error('the app did not report its metrics port');
  return line.metricsPort;
}

describe.each([
  { label: 'without a token', token: undefined },
  { label: 'with METRICS_TOKEN too', token: 'internal-scrape-token' },
])('METRICS_PORT $label', ({ token }) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ env: { METRICS_PORT: '0', ...(token ? { METRICS_TOKEN: token } : {}) } });
  });
  afterAll(() => t.close());

  it('serves /metrics on the internal port with the app’s own series, and not on the public one', async () => {
    expect((await t.app.inject({ url: `${API}/user/me/` })).statusCode).toBe(401);
    expectProblem(await t.app.inject({ url: '/metrics' }), 404, 'not_found');

    const internal = `http://127.0.0.1:${metricsPortOf(t)}/metrics`;
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    const response = await fetch(internal, { headers });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).toContain('http_request_duration_seconds_count{method="GET",route="/v1/api/user/me",status_code="401"}');
    expect(text).toContain('clinic_db_pool_connections{state="max"}');
    expect(text).toContain('clinic_mail_deliveries_total{result="sent"}');
    if (token) expect((await fetch(internal)).status).toBe(401);
  });

  it('leaves /metrics out of the OpenAPI document of the public port', async () => {
    const document = (await t.app.inject({ url: '/docs/json' })).json<{ paths: Record<string, unknown> }>();
    expect(Object.keys(document.paths)).not.toContain('/metrics');
  });
});
