// GET /metrics: Prometheus text with route templates (never raw URLs), in-flight requests, the
// database pool, job queues, mail and login counters, process and GC metrics; METRICS_TOKEN;
// never rate limited. And overload: 503 problem+json with Retry-After, /health/live included.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerMatches } from '../../src/lib/metrics.ts';
import { buildTestApp, type TestApp } from '../helpers/app.ts';
import { createUser, randomEmail } from '../helpers/actors.ts';
import { API, expectProblem } from '../helpers/http.ts';
import { registerAndActivate } from '../helpers/accounts.ts';
import { waitUntil } from '../helpers/wait.ts';

/** The value of one series, e.g. `sample(text, 'clinic_logins_total{result="failed"}')`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((entry) => entry.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function scrape(t: TestApp, headers: Record<string, string> = {}): Promise<string> {
  const response = await t.app.inject({ url: '/metrics', headers });
  expect(response.statusCode, response.body).toBe(200);
  expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.body;
}

describe('GET /metrics', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(() => t.close());

  it('labels request durations by method, route template and status, never by raw URL', async () => {
    const id = randomUUID();
    const email = randomEmail('metrics');
    expect((await t.app.inject({ url: `${API}/media/${id}` })).statusCode).toBe(404);
    await t.app.inject({ method: 'POST', url: `${API}/user/login/`, payload: { email, password: 'Wrong-password-1' } });
    await t.app.inject({ url: `/no/such/${id}` });
    const text = await scrape(t);
    expect(text).toContain('http_request_duration_seconds_count{method="GET",route="/v1/api/media/:id",status_code="404"} 1');
    expect(text).toMatch(/http_request_duration_seconds_bucket\{le="0\.005",method="POST",route="\/v1\/api\/user\/login\/?",status_code="401"\}/);
    expect(text).toContain('route="unmatched",status_code="404"');
    expect(text).not.toContain(id);
    expect(text).not.toContain(email);
    // This scrape itself is in flight while it renders.
    expect(sample(text, 'http_requests_in_flight')).toBe(1);
  });

  it('reports the database pool, job queues per state, and process and GC metrics', async () => {
    const text = await scrape(t);
    expect(sample(text, 'clinic_db_pool_connections{state="max"}')).toBe(t.config.database.poolSize);
    expect(sample(text, 'clinic_db_pool_connections{state="total"}')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'clinic_db_pool_connections{state="waiting"}')).toBe(0);
    for (const queue of ['mail', 'appointments.reminder']) {
      expect(sample(text, `clinic_job_queue_depth{queue="${queue}"}`), queue).toBeGreaterThanOrEqual(0);
      expect(sample(text, `clinic_jobs_failed{queue="${queue}"}`), queue).toBe(0);
    }
    expect(sample(text, 'clinic_job_metrics_up')).toBe(1);
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds']) {
      expect(sample(text, name), name).toBeGreaterThanOrEqual(0);
    }
    expect(text).toContain('# TYPE nodejs_gc_duration_seconds histogram');
  });

  it('counts queued and failed jobs per queue from pg-boss at scrape time', async () => {
    const before = await scrape(t);
    const depth = sample(before, 'clinic_job_queue_depth{queue="mail"}')!;
    // A mail job due in an hour waits in the queue; a failed one is retained as failed.
    await t.db.$executeRaw`
      INSERT INTO pgboss.job (name, data, start_after, state)
      VALUES ('mail', '{}'::jsonb, now() + interval '1 hour', 'created'),
             ('mail', '{}'::jsonb, now(), 'failed')`;
    const after = await scrape(t);
    expect(sample(after, 'clinic_job_queue_depth{queue="mail"}')).toBe(depth + 1);
    expect(sample(after, 'clinic_jobs_failed{queue="mail"}')).toBe(1);
    expect(sample(after, 'clinic_jobs{queue="mail",state="failed"}')).toBe(1);
    await t.db.$executeRaw`DELETE FROM pgboss.job WHERE name = 'mail' AND data = '{}'::jsonb`;
  });

  it('counts mail sent and logins succeeded and failed', async () => {
    const before = await scrape(t);
    const count = (text: string, series: string) => sample(text, series) ?? 0;
    const user = await registerAndActivate(t);
    await t.mail.waitFor((message) => message.to === user.email);
    const ok = await t.app.inject({ method: 'POST', url: `${API}/user/login/`, payload: { email: user.email, password: user.password } });
    expect(ok.statusCode).toBe(200);
    const wrong = await t.app.inject({ method: 'POST', url: `${API}/user/login/`, payload: { email: user.email, password: `${user.password}x` } });
    expect(wrong.statusCode).toBe(401);
    const after = await scrape(t);
    expect(count(after, 'clinic_logins_total{result="succeeded"}') - count(before, 'clinic_logins_total{result="succeeded"}')).toBe(1);
    expect(count(after, 'clinic_logins_total{result="failed"}') - count(before, 'clinic_logins_total{result="failed"}')).toBe(1);
    expect(count(after, 'clinic_mail_deliveries_total{result="sent"}') - count(before, 'clinic_mail_deliveries_total{result="sent"}')).toBeGreaterThanOrEqual(1);
    expect(after).toContain('clinic_mail_deliveries_total{result="failed"}');
  });

  it('is documented as a public operations route with text/plain', async () => {
    const document = (await t.app.inject({ url: '/docs/json' })).json<{
      paths: Record<string, { get?: { tags?: string[]; security?: unknown[]; responses: Record<string, { content?: Record<string, unknown> }> } }>;
    }>();
    const operation = document.paths['/metrics']?.get;
    expect(operation?.tags).toEqual(['operations']);
    expect(operation?.security).toEqual([]);
    expect(Object.keys(operation?.responses['200']?.content ?? {})).toEqual(['text/plain']);
    // Every operation documents the 503 of overload and outages.
    const missing = Object.entries(document.paths).flatMap(([route, item]) =>
      Object.entries(item as Record<string, { responses: Record<string, unknown> }>)
        .filter(([, op]) => !op.responses['503'])
        .map(([method]) => `${method.toUpperCase()} ${route}`),
    );
    expect(missing).toEqual([]);
  });
});

describe('GET /metrics with METRICS_TOKEN', () => {
  const token = `metrics-${randomUUID()}`;
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ env: { METRICS_TOKEN: token, RATE_LIMIT_ENABLED: 'true' } });
  });
  afterAll(() => t.close());

  it('answers 401 problem+json without the right bearer token, 200 with it', async () => {
    for (const authorization of [undefined, `Bearer ${token}x`, `Bearer ${token.slice(0, -1)}`, 'Bearer x', token, `Basic ${token}`]) {
      const response = await t.app.inject({ url: '/metrics', headers: authorization === undefined ? {} : { authorization } });
      expectProblem(response, 401, 'unauthorized');
      expect(response.body).not.toContain('http_request');
    }
    expect(await scrape(t, { authorization: `Bearer ${token}` })).toContain('http_request_duration_seconds');
    expect(await scrape(t, { authorization: `bearer  ${token}` })).toContain('http_requests_in_flight');
  });

  it('is never rate limited', async () => {
    const statuses = new Set<number>();
    for (let i = 0; i < 310; i += 1) {
      statuses.add((await t.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${token}` } })).statusCode);
    }
    expect([...statuses]).toEqual([200]);
  });

  it('compares tokens of any length', () => {
    expect(bearerMatches(`Bearer ${token}`, token)).toBe(true);
    expect(bearerMatches(`Bearer ${'a'.repeat(5000)}`, token)).toBe(false);
    expect(bearerMatches('Bearer ', '')).toBe(false);
    expect(bearerMatches(undefined, token)).toBe(false);
  });
});

describe('overload', () => {
  it('answers 503 problem+json with Retry-After past the heap limit, on /health/live too; /metrics still answers', async () => {
    // 1 MiB: any running process is past it from the first sample on.
    const t = await buildTestApp({ env: { OVERLOAD_MAX_HEAP_USED_MB: '1' } });
    try {
      // The first sample of the heap (about a second after the start) trips it.
      await waitUntil('the overload check tripped', async () => (await t.app.inject({ url: '/health/live' })).statusCode === 503);
      for (const url of ['/health/live', '/health/ready', `${API}/user/me/`]) {
        const response = await t.app.inject({ url });
        const problem = expectProblem(response, 503, 'service_unavailable');
        expect(problem.detail, url).toMatch(/overloaded/);
        expect(response.headers['retry-after'], url).toBe('10');
      }
      const user = await createUser(t.db);
      const refused = await t.app.inject({ method: 'POST', url: `${API}/user/login/`, payload: { email: user.email, password: user.password } });
      expect(refused.statusCode).toBe(503);
      expect((await t.app.inject({ url: '/metrics' })).statusCode).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('answers 503 after the event loop was blocked past its delay limit, then recovers', async () => {
    const t = await buildTestApp({ env: { OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '50' } });
    try {
      let response = await t.app.inject({ url: '/health/live' });
      expect(response.statusCode).toBe(200);
      // Block the loop in chunks until a sample (one a second, at a phase set by the app's
      // start-up) has seen it: a fixed span could end just before the sample that would see it.
      const until = Date.now() + 5000;
      while (response.statusCode === 200 && Date.now() < until) {
        const stop = Date.now() + 300;
        while (Date.now() < stop) {
          // busy
        }
        await new Promise((resolve) => setImmediate(resolve));
        response = await t.app.inject({ url: '/health/live' });
      }
      expectProblem(response, 503, 'service_unavailable');
      expect(response.headers['retry-after']).toBe('10');
      await expect.poll(async () => (await t.app.inject({ url: '/health/live' })).statusCode, { timeout: 5000, interval: 200 }).toBe(200);
    } finally {
      await t.close();
    }
  });
});

describe('server timeouts', () => {
  it('are set from the configuration', async () => {
    const t = await buildTestApp({ env: { HTTP_REQUEST_TIMEOUT: '20s', HTTP_CONNECTION_TIMEOUT: '45s', HTTP_KEEP_ALIVE_TIMEOUT: '61s' } });
    try {
      expect(t.app.initialConfig).toMatchObject({ requestTimeout: 20_000, connectionTimeout: 45_000, keepAliveTimeout: 61_000 });
      expect(t.app.server.requestTimeout).toBe(20_000);
      expect(t.app.server.keepAliveTimeout).toBe(61_000);
      expect(t.app.server.timeout).toBe(45_000);
    } finally {
      await t.close();
    }
  });
});
