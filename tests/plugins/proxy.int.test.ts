// Behind a reverse proxy: TRUST_PROXY makes X-Forwarded-For the client IP (rate limits per real
// client), and PUBLIC_URL is the base of the links the API hands out.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/app.ts';
import { API, bearer, createUser, login, randomEmail, randomPassword } from '../helpers/factories.ts';

let ctx: TestApp;
beforeAll(async () => {
  ctx = await buildTestApp({
    env: { RATE_LIMIT_ENABLED: 'true', TRUST_PROXY: '1', PUBLIC_URL: 'https://api.clinic.example' },
  });
});
afterAll(() => ctx.close());

const loginFrom = (ip: string) =>
  ctx.app.inject({
    method: 'POST',
    url: `${API}/user/login/`,
    headers: { 'x-forwarded-for': ip },
    payload: { email: randomEmail('proxy'), password: randomPassword() },
  });

it('limits each forwarded client on its own', async () => {
  const statuses = [];
  for (let i = 0; i < 11; i += 1) statuses.push((await loginFrom('203.0.113.7')).statusCode);
  expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
  expect(statuses[10]).toBe(429);
  expect((await loginFrom('203.0.113.8')).statusCode).toBe(401);
});

it('builds page links on PUBLIC_URL', async () => {
  const admin = await createUser(ctx.db, { role: 'admin' });
  await createUser(ctx.db);
  const tokens = await login(ctx.app, admin);
  const response = await ctx.app.inject({
    url: `${API}/user/list/?pageSize=1&isActive=true`,
    headers: { ...bearer(tokens), 'x-forwarded-for': '198.51.100.1' },
  });
  expect(response.statusCode).toBe(200);
  const next = new URL(response.json<{ next: string }>().next);
  expect(next.origin).toBe('https://api.clinic.example');
  expect(next.pathname).toBe('/v1/api/user/list/');
  expect(Object.fromEntries(next.searchParams)).toEqual({ pageSize: '1', isActive: 'true', page: '2' });
});
