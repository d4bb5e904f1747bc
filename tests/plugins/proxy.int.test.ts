// Behind a reverse proxy: TRUST_PROXY makes X-Forwarded-For the client IP (rate limits per real
// client, IPv6 zone ids dropped), and PUBLIC_URL is the base of the links the API hands out.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/app.ts';
import { API, expectProblem } from '../helpers/http.ts';
import { bearer, createUser, login, randomEmail, randomPassword } from '../helpers/actors.ts';

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

describe('an IPv6 zone id in X-Forwarded-For (fe80::1%eth0)', () => {
  const fromZone = (address: string, path: string, payload: Record<string, string>, requestId: string) =>
    ctx.app.inject({
      method: 'POST',
      url: `${API}/user/${path}/`,
      headers: { 'x-forwarded-for': address, 'x-request-id': requestId },
      payload,
    });

  it('is dropped: a wrong password still counts toward the lockout and is audited with the address', async () => {
    const user = await createUser(ctx.db);
    const requestId = `zone-login-${randomUUID()}`;
    const response = await fromZone('fe80::1%eth0', 'login', { email: user.email, password: randomPassword() }, requestId);
    expectProblem(response, 401, 'invalid_credentials');
    expect((await ctx.db.user.findUniqueOrThrow({ where: { id: user.id } })).failedLoginCount).toBe(1);
    expect(await ctx.db.auditEvent.findFirstOrThrow({ where: { requestId } })).toMatchObject({ action: 'login.failure', ip: 'fe80::1' });
  });

  it('is dropped on the reset-code check too: a wrong code answers otp_invalid and counts', async () => {
    const user = await createUser(ctx.db);
    const code = await ctx.db.otpCode.create({
      data: { userId: user.id, purpose: 'password_reset', codeHash: 'f'.repeat(64), expiresAt: new Date(Date.now() + 600_000) },
    });
    const requestId = `zone-reset-${randomUUID()}`;
    const response = await fromZone('fe80::1%eth0', 'forget-password/confirm', { email: user.email, otp: '000000', newPassword: randomPassword() }, requestId);
    expectProblem(response, 400, 'otp_invalid');
    expect((await ctx.db.otpCode.findUniqueOrThrow({ where: { id: code.id } })).attempts).toBe(1);
    expect(await ctx.db.auditEvent.findFirstOrThrow({ where: { requestId } })).toMatchObject({ action: 'otp.failure', ip: 'fe80::1' });
  });

  it('does not give each zone a rate-limit counter of its own', async () => {
    const statuses = [];
    for (let i = 0; i < 11; i += 1) {
      statuses.push((await fromZone(`fe80::2%zone${i}`, 'login', { email: randomEmail('zone'), password: randomPassword() }, `zone-limit-${i}`)).statusCode);
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses[10]).toBe(429);
  });
});
