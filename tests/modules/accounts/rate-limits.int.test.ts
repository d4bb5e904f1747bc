// Rate limits on the auth routes: per client IP and per target email, 429 problem+json with
// Retry-After, in memory and shared across instances through Redis.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, randomEmail, randomPassword } from '../../helpers/actors.ts';
import { post } from '../../helpers/accounts.ts';
import { buildTestApp, useTestApp, type TestApp } from '../../helpers/app.ts';
import { expectProblem, randomIp } from '../../helpers/http.ts';
import { describeWithRedis, TEST_REDIS_URL } from '../../helpers/redis.ts';

function expectRateLimited(response: Awaited<ReturnType<typeof post>>) {
  expectProblem(response, 429, 'rate_limited');
  const retryAfter = Number(response.headers['retry-after']);
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
}

// Random IPs and emails keep every test's counters apart: the tests of a block run concurrently.
describe.concurrent('in memory', () => {
  const t = useTestApp({ env: { RATE_LIMIT_ENABLED: 'true' } });

  it('the 11th login from one IP within a minute → 429 rate_limited with Retry-After; another IP is not affected', async () => {
    const ip = randomIp();
    const first = await Promise.all(
      Array.from({ length: 10 }, () => post(t.app, 'login', { email: randomEmail('rl'), password: randomPassword() }, { ip })),
    );
    for (const response of first) expectProblem(response, 401, 'invalid_credentials');
    const user = await createUser(t.db);
    // Even the right password is refused past the limit.
    expectRateLimited(await post(t.app, 'login', { email: user.email, password: user.password }, { ip }));
    expect((await post(t.app, 'login', { email: user.email, password: user.password }, { ip: randomIp() })).statusCode).toBe(200);
  });

  it('login is limited per email too: 11 tries on one email from 11 IPs → the 11th is 429', async () => {
    const user = await createUser(t.db);
    const first = await Promise.all(
      Array.from({ length: 10 }, () => post(t.app, 'login', { email: user.email, password: randomPassword() }, { ip: randomIp() })),
    );
    for (const response of first) expect(response.statusCode).toBe(401);
    expectRateLimited(await post(t.app, 'login', { email: user.email, password: user.password }, { ip: randomIp() }));
  });

  it('6 forget-password requests for one email (from different IPs) → the 6th is 429', async () => {
    const email = randomEmail('fp');
    for (let i = 0; i < 5; i++) {
      expect((await post(t.app, 'forget-password', { email }, { ip: randomIp() })).statusCode).toBe(202);
    }
    expectRateLimited(await post(t.app, 'forget-password', { email }, { ip: randomIp() }));
    // Another email is not affected.
    expect((await post(t.app, 'forget-password', { email: randomEmail('fp') }, { ip: randomIp() })).statusCode).toBe(202);
  });

  it('forget-password, forget-password/otp/send and forget-password/otp/resend share one per-email count', async () => {
    const email = randomEmail('fp');
    const paths = ['forget-password', 'forget-password/otp/send', 'forget-password/otp/resend'];
    for (let i = 0; i < 5; i++) {
      expect((await post(t.app, paths[i % 3]!, { email }, { ip: randomIp() })).statusCode).toBe(202);
    }
    for (const path of paths) expectRateLimited(await post(t.app, path, { email }, { ip: randomIp() }));
  });

  it('register is limited to 5 a minute per IP', async () => {
    const ip = randomIp();
    for (let i = 0; i < 5; i++) {
      expect((await post(t.app, 'register', { email: randomEmail('rl'), password: randomPassword() }, { ip })).statusCode).toBe(201);
    }
    expectRateLimited(await post(t.app, 'register', { email: randomEmail('rl'), password: randomPassword() }, { ip }));
  });

  it('login/otp/verify is limited to 10 a minute per IP', async () => {
    const ip = randomIp();
    for (let i = 0; i < 10; i++) {
      expect((await post(t.app, 'login/otp/verify', { email: randomEmail('rl'), otp: '123456' }, { ip })).statusCode).toBe(400);
    }
    expectRateLimited(await post(t.app, 'login/otp/verify', { email: randomEmail('rl'), otp: '123456' }, { ip }));
  });
});

describeWithRedis('shared through Redis', () => {
  const env = { RATE_LIMIT_ENABLED: 'true', REDIS_URL: TEST_REDIS_URL };
  const a = useTestApp({ env });
  // A second instance on the same database: what two machines behind one load balancer are.
  let b: TestApp;
  let redis: Redis;

  beforeAll(async () => {
    b = await buildTestApp({ env, databaseUrl: a.config.database.url });
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  });

  afterAll(async () => {
    await b?.close();
    redis?.disconnect();
  });

  it('two instances share one per-email count', async () => {
    // A random email and random IPs keep these counters apart from every other run.
    const email = randomEmail('redis');
    for (let i = 0; i < 3; i++) expect((await post(a.app, 'forget-password', { email }, { ip: randomIp() })).statusCode).toBe(202);
    for (let i = 0; i < 2; i++) expect((await post(b.app, 'forget-password', { email }, { ip: randomIp() })).statusCode).toBe(202);
    expectRateLimited(await post(b.app, 'forget-password', { email }, { ip: randomIp() }));
    expectRateLimited(await post(a.app, 'forget-password', { email }, { ip: randomIp() }));
    // The send/resend aliases count against the same limit.
    expectRateLimited(await post(a.app, 'forget-password/otp/send', { email }, { ip: randomIp() }));

    const keys = await redis.keys(`clinic-rl:*${email}*`);
    expect(keys.length).toBeGreaterThan(0);
    await redis.del(...keys);
  });

  it('two instances share one per-IP count', async () => {
    const ip = randomIp();
    const first = await Promise.all(
      Array.from({ length: 10 }, (_, i) => post((i % 2 === 0 ? a : b).app, 'login', { email: randomEmail('redis'), password: randomPassword() }, { ip })),
    );
    for (const response of first) expect(response.statusCode).toBe(401);
    expectRateLimited(await post(a.app, 'login', { email: randomEmail('redis'), password: randomPassword() }, { ip }));
    expectRateLimited(await post(b.app, 'login', { email: randomEmail('redis'), password: randomPassword() }, { ip }));
    const keys = await redis.keys(`clinic-rl:*${ip}*`);
    if (keys.length > 0) await redis.del(...keys);
  });
}, { concurrent: true });
