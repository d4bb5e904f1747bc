// Cross-cutting HTTP behaviour: headers, CORS, request ids, trailing slashes, body limits, and
// the security headers on every answer, those given before routing included.
import { connect } from 'node:net';
import fastifyHelmet from '@fastify/helmet';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECURITY_HEADERS } from '../../src/plugins/security.ts';
import { buildTestApp, type TestApp } from '../helpers/app.ts';
import { API, expectProblem } from '../helpers/http.ts';
import { fileBody, bigPng } from '../helpers/upload-fixtures.ts';

let ctx: TestApp;
beforeAll(async () => {
  ctx = await buildTestApp({ env: { CORS_ORIGINS: 'https://app.example' } });
});
afterAll(() => ctx.close());

describe('HTTP conventions', () => {
  it('sends nosniff and no X-Powered-By on every response, errors included', async () => {
    for (const url of ['/health/live', '/nowhere', '/v1/api/user/me']) {
      const response = await ctx.app.inject({ url });
      expect(response.headers['x-content-type-options'], url).toBe('nosniff');
      expect(response.headers['x-powered-by'], url).toBeUndefined();
    }
  });

  it("sends helmet's header set, computed once, on every response: success, 401, 404", async () => {
    // What @fastify/helmet sends with its defaults and a same-site CORP (the plugin we replaced:
    // it rebuilt these headers on every request). A helmet upgrade that adds a header fails here.
    const reference = Fastify();
    await reference.register(fastifyHelmet, { crossOriginResourcePolicy: { policy: 'same-site' } });
    reference.get('/', async () => ({}));
    const helmetHeaders = (await reference.inject({ url: '/' })).headers;
    await reference.close();
    const helmetNames = Object.keys(helmetHeaders).filter((name) => !['content-type', 'content-length', 'date', 'connection'].includes(name));
    expect(Object.keys(SECURITY_HEADERS).sort()).toEqual(helmetNames.sort());
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
      if (name !== 'content-security-policy') expect(value, name).toBe(helmetHeaders[name]);
    }
    for (const url of ['/health/live', '/nowhere', '/v1/api/user/me']) {
      const response = await ctx.app.inject({ url });
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(response.headers[name], `${url} ${name}`).toBe(value);
    }
  });

  it('sends a CSP under which a JSON answer can load, run or frame nothing; Swagger UI keeps its own', async () => {
    // helmet's default CSP allows scripts and styles from 'self' (and inline styles): meant for
    // HTML pages. The API answers JSON, so every fetch falls back to default-src 'none'.
    const api = await ctx.app.inject({ url: '/health/live' });
    expect(api.headers['content-security-policy']).toBe("default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
    const redirect = await ctx.app.inject({ url: '/docs' });
    const docs = redirect.statusCode === 302 ? await ctx.app.inject({ url: redirect.headers.location as string }) : redirect;
    expect(docs.headers['content-type']).toMatch(/text\/html/);
    expect(docs.headers['content-security-policy']).toMatch(/script-src 'self'/);
    expect(docs.headers['x-content-type-options']).toBe('nosniff');
  });

  it('allows only the configured CORS origins', async () => {
    const preflight = (origin: string) =>
      ctx.app.inject({
        method: 'OPTIONS',
        url: '/v1/api/user/login/',
        headers: { origin, 'access-control-request-method': 'POST' },
      });
    expect((await preflight('https://app.example')).headers['access-control-allow-origin']).toBe('https://app.example');
    expect((await preflight('https://evil.example')).headers['access-control-allow-origin']).toBeUndefined();
  });

  it('lets an allowed origin use every method and request header the API reads, and read the headers it sets', async () => {
    for (const method of ['PATCH', 'PUT', 'DELETE', 'POST']) {
      const preflight = await ctx.app.inject({
        method: 'OPTIONS',
        url: '/v1/api/user/me/',
        headers: { origin: 'https://app.example', 'access-control-request-method': method, 'access-control-request-headers': 'authorization,content-type,idempotency-key,if-none-match' },
      });
      expect(preflight.statusCode, method).toBe(204);
      const list = (name: string) => String(preflight.headers[name]).split(',').map((item) => item.trim());
      expect(list('access-control-allow-methods'), method).toEqual(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);
      expect(list('access-control-allow-headers'), method).toEqual(['Authorization', 'Content-Type', 'Idempotency-Key', 'If-None-Match', 'X-Request-Id']);
      expect(preflight.headers['access-control-max-age'], method).toBe('600');
    }
    const answer = await ctx.app.inject({ url: '/v1/api/user/me/', headers: { origin: 'https://app.example' } });
    expect(answer.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(String(answer.headers['access-control-expose-headers']).split(',').map((item) => item.trim())).toEqual(['ETag', 'Location', 'Retry-After', 'X-Request-Id']);
    expect(answer.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('echoes a safe request id and replaces an unsafe one', async () => {
    const kept = await ctx.app.inject({ url: '/health/live', headers: { 'x-request-id': 'abc-123' } });
    expect(kept.headers['x-request-id']).toBe('abc-123');
    const replaced = await ctx.app.inject({ url: '/health/live', headers: { 'x-request-id': 'bad id <script>' + 'x'.repeat(80) } });
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves routes with and without the trailing slash', async () => {
    for (const url of ['/v1/api/user/me', '/v1/api/user/me/']) {
      const response = await ctx.app.inject({ url });
      expect(response.statusCode, url).toBe(401);
    }
  });

  it('answers 400, 404, 413 and 415 as problem+json on real routes', async () => {
    const cases = [
      { payload: '{"email":', headers: { 'content-type': 'application/json' }, status: 400 },
      { payload: JSON.stringify({ email: 'a@b.co', password: 'x'.repeat(1_100_000) }), headers: { 'content-type': 'application/json' }, status: 413 },
      { payload: 'email=a@b.co', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 415 },
      { payload: JSON.stringify({ email: 'a@b.co', password: 'x' }), headers: { 'content-type': 'text/plain' }, status: 415 },
    ];
    for (const { payload, headers, status } of cases) {
      const response = await ctx.app.inject({ method: 'POST', url: '/v1/api/user/login/', payload, headers });
      expect(response.statusCode).toBe(status);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    const missing = await ctx.app.inject({ url: '/v1/api/nothing-here/' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('not_found');
  });
});

describe('embedded mode (npm start with no DATABASE_URL)', () => {
  let embedded: TestApp;
  beforeAll(async () => {
    embedded = await buildTestApp({ embedded: true });
  });
  afterAll(() => embedded.close());

  it('admits any local origin for CORS, so a Vite app on :5173 works with no setting, and nothing else', async () => {
    const preflight = (origin: string) =>
      embedded.app.inject({ method: 'OPTIONS', url: '/v1/api/user/login/', headers: { origin, 'access-control-request-method': 'POST' } });
    for (const origin of ['http://localhost:5173', 'http://127.0.0.1:3001', 'http://localhost']) {
      expect((await preflight(origin)).headers['access-control-allow-origin'], origin).toBe(origin);
    }
    for (const origin of ['https://evil.example', 'http://localhost.evil.example', 'http://127.0.0.1.evil.example:80']) {
      expect((await preflight(origin)).headers['access-control-allow-origin'], origin).toBeUndefined();
    }
    const patch = await embedded.app.inject({
      method: 'OPTIONS',
      url: '/v1/api/user/me/',
      headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'PATCH', 'access-control-request-headers': 'authorization,content-type' },
    });
    expect(patch.headers['access-control-allow-methods']).toContain('PATCH');
  });

  it('keeps CORS off outside embedded mode when CORS_ORIGINS is empty', async () => {
    const plain = await buildTestApp({ databaseUrl: embedded.config.database.url });
    try {
      const response = await plain.app.inject({
        method: 'OPTIONS',
        url: '/v1/api/user/login/',
        headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST' },
      });
      expect(response.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await plain.app.close();
      await plain.db.$disconnect();
    }
  });
});

/** One raw HTTP exchange on a new connection: the status line's code, the headers, the body. */
function rawExchange(port: number, request: string | Buffer): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (chunk) => received.push(chunk));
    // The server may answer and close before the whole request is written.
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' || error.code === 'EPIPE' ? undefined : reject(error)));
    socket.on('close', () => {
      const text = Buffer.concat(received).toString('latin1');
      const [head = '', body = ''] = text.split('\r\n\r\n', 2);
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body });
    });
    socket.end(request);
  });
}

describe('security headers on every answer', () => {
  let port: number;
  beforeAll(async () => {
    await ctx.app.listen({ port: 0, host: '127.0.0.1' });
    port = (ctx.app.server.address() as { port: number }).port;
  });

  const expectSecured = (response: { status: number; headers: Record<string, string> }, label: string) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(response.headers[name], `${label}: ${name}`).toBe(value);
    expect(response.headers['content-type'], label).toMatch(/^application\/problem\+json/);
  };

  it('answers problem+json with the security headers before routing: a malformed URL, a path segment over the router limit', async () => {
    const badUrl = await ctx.app.inject({ url: `${API}/doctor/%zz/` });
    expectProblem(badUrl, 400, 'validation_failed');
    expectSecured({ status: badUrl.statusCode, headers: badUrl.headers as Record<string, string> }, 'bad URL');
    const longParam = await ctx.app.inject({ url: `${API}/doctor/${'a'.repeat(101)}/` });
    expectProblem(longParam, 404, 'not_found');
    expectSecured({ status: longParam.statusCode, headers: longParam.headers as Record<string, string> }, 'long parameter');
  });

  it('answers what the HTTP parser refuses (not HTTP, a bad Content-Length, oversized headers) as problem+json with the headers', async () => {
    const cases = [
      { label: 'not HTTP', request: 'HELLO THERE\r\n\r\n', status: 400 },
      { label: 'bad Content-Length', request: 'POST /v1/api/user/login/ HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n{}', status: 400 },
      { label: 'headers too large', request: `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, status: 431 },
    ];
    for (const { label, request, status } of cases) {
      const response = await rawExchange(port, request);
      expect(response.status, label).toBe(status);
      expectSecured(response, label);
      expect(JSON.parse(response.body), label).toMatchObject({ status });
    }
  });

  it('sends them with 413s for bodies over the cap: announced, chunked, and a multipart upload', async () => {
    const json = Buffer.from(JSON.stringify({ email: 'a@b.co', password: 'x'.repeat(1_100_000) }));
    const upload = fileBody(bigPng(6 * 1024 * 1024));
    const requests = [
      { label: 'Content-Length', head: `POST /v1/api/user/login/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${json.length}\r\n\r\n`, body: json },
      { label: 'chunked', head: 'POST /v1/api/user/login/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n', body: Buffer.concat([Buffer.from(`${json.length.toString(16)}\r\n`), json, Buffer.from('\r\n0\r\n\r\n')]) },
      {
        label: 'multipart',
        head: `POST /v1/api/public-portal/report-bug/ HTTP/1.1\r\nHost: x\r\nContent-Type: ${upload.headers['content-type']}\r\nContent-Length: ${upload.payload.length}\r\n\r\n`,
        body: upload.payload,
      },
    ];
    for (const { label, head, body } of requests) {
      const response = await rawExchange(port, Buffer.concat([Buffer.from(head), body]));
      expect(response.status, label).toBe(label === 'multipart' ? 400 : 413);
      expectSecured(response, label);
    }
  });

  it('sends them with the 503 of an overloaded instance, whose check runs before every other hook', async () => {
    const overloaded = await buildTestApp({ env: { OVERLOAD_MAX_HEAP_USED_MB: '1' }, databaseUrl: ctx.config.database.url });
    try {
      await expect.poll(async () => (await overloaded.app.inject({ url: '/health/live' })).statusCode, { timeout: 5000, interval: 100 }).toBe(503);
      const response = await overloaded.app.inject({ url: '/health/live' });
      expectSecured({ status: response.statusCode, headers: response.headers as Record<string, string> }, 'overloaded');
    } finally {
      await overloaded.app.close();
      await overloaded.db.$disconnect();
    }
  });
});
