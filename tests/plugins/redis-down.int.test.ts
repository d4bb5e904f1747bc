// With REDIS_URL set but Redis unreachable, rate-limited routes still answer, the limits fall
// back to this instance's memory instead of switching off, and cached reads come from the database.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cacheReads } from '../../src/lib/cache.ts';
import { buildTestApp, type TestApp } from '../helpers/app.ts';
import { createUser, randomEmail } from '../helpers/actors.ts';

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

it('still limits while Redis is down: the 6th registration from one IP within a minute → 429', async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 6; i++) {
    const response = await ctx.app.inject({
      method: 'POST',
      url: '/v1/api/user/register/',
      remoteAddress: '10.99.0.7',
      payload: { email: randomEmail('flood'), password: `Pw-${crypto.randomUUID()}` },
    });
    statuses.push(response.statusCode);
  }
  expect(statuses).toEqual([201, 201, 201, 201, 201, 429]);
});

it('answers cached public reads from the database while Redis is down, identical reads made together too', async () => {
  const bypassed = async () => (await cacheReads.get()).values.find((value) => value.labels.outcome === 'bypass')?.value ?? 0;
  const before = await bypassed();
  const started = Date.now();
  // Made together: their cache lookups share one Redis call, and its failure reaches each of them.
  const answers = await Promise.all(Array.from({ length: 5 }, () => ctx.app.inject({ method: 'GET', url: '/v1/api/doctor/list/' })));
  expect(answers.map((answer) => answer.statusCode)).toEqual([200, 200, 200, 200, 200]);
  expect(answers.map((answer) => answer.json<{ count: number }>().count)).toEqual(Array(5).fill(answers[0]!.json<{ count: number }>().count));
  expect(Date.now() - started).toBeLessThan(5_000);
  expect(await bypassed()).toBe(before + 5); // each read tried the cache and went to the database
});
