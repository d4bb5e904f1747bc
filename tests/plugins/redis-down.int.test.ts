// With REDIS_URL set but Redis unreachable, rate-limited routes still answer (limits fail open,
// account lockout in the database still guards logins) instead of hanging or failing with 500.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/app.ts';
import { createUser } from '../helpers/factories.ts';

let ctx: TestApp;
beforeAll(async () => {
  // Port 1 on loopback: nothing listens there, so every connection is refused.
  ctx = await buildTestApp({ env: { RATE_LIMIT_ENABLED: 'true', REDIS_URL: 'redis://127.0.0.1:1' } });
});
afterAll(() => ctx.close());

it('serves logins and other routes while the rate-limit store is down', async () => {
  const user = await createUser(ctx.db);
  const started = Date.now();
  const login = await ctx.app.inject({ method: 'POST', url: '/v1/api/user/login/', payload: { email: user.email, password: user.password } });
  expect(login.statusCode).toBe(200);
  const verify = await ctx.app.inject({ method: 'POST', url: '/v1/api/user/token/verify/', payload: { token: 'not-a-token' } });
  expect(verify.statusCode).toBe(401);
  expect(verify.json()).toMatchObject({ code: 'token_invalid' });
  expect(Date.now() - started).toBeLessThan(5_000);
});
