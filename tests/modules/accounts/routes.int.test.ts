// The success path of every one of the 16 `user/` routes, once with and once without the
// trailing slash (both are served directly, no redirect).
import { describe, expect, it } from 'vitest';
import { bearer, createUser, login, randomEmail, randomPassword } from '../../helpers/actors.ts';
import { get, mailMark, patch, post, SECOND } from '../../helpers/accounts.ts';
import { useTestApp } from '../../helpers/app.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const USER_KEYS = ['createdAt', 'email', 'firstName', 'id', 'isActive', 'lastName', 'phone', 'role', 'twoStepLogin'];

const t = useTestApp();

// Every test makes its own users, so they run concurrently; the 61 s clock moves of the resend
// tests cannot hurt the others (nothing else here lives less than 5 minutes).
describe.concurrent.each([
  { variant: 'with trailing slash', noSlash: false },
  { variant: 'without trailing slash', noSlash: true },
])('user/ routes $variant', ({ noSlash }) => {
  const o = { noSlash };

  it('register → 201 {id, email, isActive:false, detail}, mails a code; activate → 200 and a patient profile exists', async () => {
    const email = randomEmail('reg');
    const mark = mailMark(t.mail);
    const registered = await post(t.app, 'register', { email, password: randomPassword(), firstName: 'Ada', lastName: 'Lovelace', phone: '+15551234567' }, o);
    expect(registered.statusCode).toBe(201);
    const body = registered.json();
    expect(Object.keys(body).sort()).toEqual(['detail', 'email', 'id', 'isActive']);
    expect(body).toMatchObject({ email, isActive: false });
    expect(body.id).toMatch(UUID);
    expect(typeof body.detail).toBe('string');

    // The registration job creates the account, then mails its code.
    const otp = await mark.nextOtp(email, 'activation');
    const row = await t.db.user.findUniqueOrThrow({ where: { id: body.id }, include: { patient: true } });
    expect(row).toMatchObject({ email, isActive: false, role: 'patient', firstName: 'Ada', lastName: 'Lovelace', phone: '+15551234567' });
    expect(row.patient).toBeNull();

    const activated = await post(t.app, 'account/activate', { email, otp }, o);
    expect(activated.statusCode).toBe(200);
    expect(Object.keys(activated.json())).toEqual(['detail']);
    const after = await t.db.user.findUniqueOrThrow({ where: { id: body.id }, include: { patient: true } });
    expect(after.isActive).toBe(true);
    expect(after.patient).not.toBeNull();
  });

  it('account/activate/otp/resend → 202 {detail} and a new code is mailed after the cooldown', async () => {
    const email = randomEmail('resend');
    const mark = mailMark(t.mail);
    expect((await post(t.app, 'register', { email, password: randomPassword() }, o)).statusCode).toBe(201);
    await mark.next(email, 'activation');
    t.clock.advance(61 * SECOND);
    const again = mailMark(t.mail);
    const resent = await post(t.app, 'account/activate/otp/resend', { email }, o);
    expect(resent.statusCode).toBe(202);
    expect(Object.keys(resent.json())).toEqual(['detail']);
    const otp = await again.nextOtp(email, 'activation');
    expect((await post(t.app, 'account/activate', { email, otp }, o)).statusCode).toBe(200);
  });

  it('login → 200 {access, refresh, user}', async () => {
    const user = await createUser(t.db);
    const response = await post(t.app, 'login', { email: user.email, password: user.password }, o);
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(Object.keys(body).sort()).toEqual(['access', 'refresh', 'user']);
    expect(body.access.split('.')).toHaveLength(3);
    expect(typeof body.refresh).toBe('string');
    expect(Object.keys(body.user).sort()).toEqual(USER_KEYS);
    expect(body.user).toMatchObject({ id: user.id, email: user.email, role: 'patient', isActive: true, twoStepLogin: false });
  });

  it('two-step login → 202 {otpRequired:true, method:"email", detail}; login/otp/resend → 202; login/otp/verify → 200 with tokens', async () => {
    const user = await createUser(t.db, { twoStepLogin: true });
    const mark = mailMark(t.mail);
    const first = await post(t.app, 'login', { email: user.email, password: user.password }, o);
    expect(first.statusCode).toBe(202);
    expect(first.json()).toEqual({ otpRequired: true, method: 'email', detail: expect.any(String) });
    await mark.next(user.email, 'login');

    t.clock.advance(61 * SECOND);
    const again = mailMark(t.mail);
    const resent = await post(t.app, 'login/otp/resend', { email: user.email }, o);
    expect(resent.statusCode).toBe(202);
    expect(Object.keys(resent.json())).toEqual(['detail']);
    const otp = await again.nextOtp(user.email, 'login');

    const verified = await post(t.app, 'login/otp/verify', { email: user.email, otp }, o);
    expect(verified.statusCode).toBe(200);
    const body = verified.json();
    expect(Object.keys(body).sort()).toEqual(['access', 'refresh', 'user']);
    expect(body.user).toMatchObject({ id: user.id, twoStepLogin: true });
    expect((await get(t.app, 'me', { headers: bearer(body) })).statusCode).toBe(200);
  });

  it('token/refresh → 200 {access, refresh} with a new refresh token', async () => {
    const user = await createUser(t.db);
    const tokens = await login(t.app, user);
    const response = await post(t.app, 'token/refresh', { refresh: tokens.refresh }, o);
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(Object.keys(body).sort()).toEqual(['access', 'refresh']);
    expect(body.refresh).not.toBe(tokens.refresh);
    expect(body.access).not.toBe(tokens.access);
    expect((await get(t.app, 'me', { headers: bearer(body) })).statusCode).toBe(200);
  });

  it('token/verify → 200 {valid:true, exp} with exp in epoch seconds', async () => {
    const user = await createUser(t.db);
    const before = Math.floor(t.clock.now().getTime() / 1000);
    const tokens = await login(t.app, user);
    const response = await post(t.app, 'token/verify', { token: tokens.access }, o);
    const after = Math.ceil(t.clock.now().getTime() / 1000);
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(Object.keys(body).sort()).toEqual(['exp', 'valid']);
    expect(body.valid).toBe(true);
    expect(Number.isInteger(body.exp)).toBe(true);
    // The default access lifetime is 5 minutes from issue: exp is the token's own `exp` claim.
    const claims = JSON.parse(Buffer.from(tokens.access.split('.')[1]!, 'base64url').toString('utf8')) as { iat: number; exp: number };
    expect(body.exp).toBe(claims.exp);
    expect(claims.exp - claims.iat).toBe(5 * 60);
    expect(body.exp).toBeGreaterThanOrEqual(before + 5 * 60);
    expect(body.exp).toBeLessThanOrEqual(after + 5 * 60);
  });

  it('logout → 204 with an empty body', async () => {
    const user = await createUser(t.db);
    const tokens = await login(t.app, user);
    const response = await post(t.app, 'logout', { refresh: tokens.refresh }, o);
    expect(response.statusCode).toBe(204);
    expect(response.body).toBe('');
  });

  it('change-password → 200 {detail}; the new password logs in', async () => {
    const user = await createUser(t.db);
    const tokens = await login(t.app, user);
    const newPassword = randomPassword();
    const response = await post(t.app, 'change-password', { oldPassword: user.password, newPassword }, { ...o, headers: bearer(tokens) });
    expect(response.statusCode).toBe(200);
    expect(Object.keys(response.json())).toEqual(['detail']);
    await login(t.app, { email: user.email, password: newPassword });
  });

  it.each(['forget-password', 'forget-password/otp/send', 'forget-password/otp/resend'])(
    '%s → 202 {detail} and mails a reset code; forget-password/confirm → 200',
    async (path) => {
      const user = await createUser(t.db);
      const mark = mailMark(t.mail);
      const response = await post(t.app, path, { email: user.email }, o);
      expect(response.statusCode).toBe(202);
      expect(Object.keys(response.json())).toEqual(['detail']);
      const otp = await mark.nextOtp(user.email, 'reset');
      const newPassword = randomPassword();
      const confirmed = await post(t.app, 'forget-password/confirm', { email: user.email, otp, newPassword }, o);
      expect(confirmed.statusCode).toBe(200);
      expect(Object.keys(confirmed.json())).toEqual(['detail']);
      await login(t.app, { email: user.email, password: newPassword });
    },
  );

  it('list → 200 page for an admin', async () => {
    const admin = await createUser(t.db, { role: 'admin' });
    const tokens = await login(t.app, admin);
    const response = await get(t.app, `list?search=${encodeURIComponent(admin.email)}`, { ...o, headers: bearer(tokens) });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toEqual({ count: 1, next: null, previous: null, results: [expect.objectContaining({ id: admin.id, role: 'admin' })] });
    expect(Object.keys(body.results[0]).sort()).toEqual(USER_KEYS);
  });

  it('me GET → 200 the caller; PATCH → 200 the updated account', async () => {
    const user = await createUser(t.db);
    const tokens = await login(t.app, user);
    const me = await get(t.app, 'me', { ...o, headers: bearer(tokens) });
    expect(me.statusCode).toBe(200);
    expect(Object.keys(me.json()).sort()).toEqual(USER_KEYS);
    expect(me.json()).toMatchObject({ id: user.id, email: user.email });
    expect(me.json().createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);

    const updated = await patch(t.app, 'me', { firstName: 'Grace', lastName: 'Hopper', phone: '+441234567890', twoStepLogin: true }, { ...o, headers: bearer(tokens) });
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).toMatchObject({ id: user.id, firstName: 'Grace', lastName: 'Hopper', phone: '+441234567890', twoStepLogin: true });
    const again = await get(t.app, 'me', { ...o, headers: bearer(tokens) });
    expect(again.json()).toMatchObject({ firstName: 'Grace', lastName: 'Hopper', phone: '+441234567890', twoStepLogin: true });
  });
});

it('trailing slash variants are served directly, never redirected', async () => {
  const user = await createUser(t.db);
  const tokens = await login(t.app, user);
  for (const noSlash of [false, true]) {
    const response = await get(t.app, 'me', { noSlash, headers: bearer(tokens) });
    expect(response.statusCode).toBe(200);
    expect(response.headers.location).toBeUndefined();
  }
});
