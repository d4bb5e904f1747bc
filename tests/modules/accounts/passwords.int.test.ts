// Password change and reset: answers, the policy on new passwords, enumeration safety of the
// reset routes, notifications and audit rows.
import argon2 from 'argon2';
import { describe, expect, it } from 'vitest';
import { bearer, createUser, login, randomEmail, randomPassword } from '../../helpers/actors.ts';
import { mailMark, mailsTo, post, SECOND, wrongCode } from '../../helpers/accounts.ts';
import { useTestApp } from '../../helpers/app.ts';
import { expectFieldError, expectProblem, requestId } from '../../helpers/http.ts';
import { drainJobs } from '../../helpers/wait.ts';

const t = useTestApp();

const FORGET_ROUTES = ['forget-password', 'forget-password/otp/send', 'forget-password/otp/resend'];

// The first two blocks leave the clock alone and make their own accounts: they run concurrently.
describe.concurrent('change-password', () => {
  it('changes the password: the old one stops working, the new one logs in; audited and mailed', async () => {
    const user = await createUser(t.db);
    const tokens = await login(t.app, user);
    const newPassword = randomPassword();
    const rid = requestId();
    const mark = mailMark(t.mail);
    const response = await post(t.app, 'change-password', { oldPassword: user.password, newPassword }, { headers: { ...bearer(tokens), 'x-request-id': rid } });
    expect(response.statusCode).toBe(200);
    expectProblem(await post(t.app, 'login', { email: user.email, password: user.password }), 401, 'invalid_credentials');
    await login(t.app, { email: user.email, password: newPassword });

    const event = await t.db.auditEvent.findFirst({ where: { action: 'password.change', requestId: rid } });
    expect(event).toMatchObject({ actorId: user.id, outcome: 'success', ip: '127.0.0.1' });
    await mark.next(user.email, 'changed');
  });

  it('a wrong oldPassword → 400 invalid_credentials and the password is unchanged', async () => {
    const user = await createUser(t.db);
    const tokens = await login(t.app, user);
    const newPassword = randomPassword();
    expectProblem(await post(t.app, 'change-password', { oldPassword: randomPassword(), newPassword }, { headers: bearer(tokens) }), 400, 'invalid_credentials');
    expectProblem(await post(t.app, 'login', { email: user.email, password: newPassword }), 401, 'invalid_credentials');
    await login(t.app, user);
  });

  it.each([
    ['7 characters', () => 'aB3$xY7'],
    ['a common password', () => 'password123'],
  ])('a new password of %s → 400 validation_failed on `newPassword`', async (_name, make) => {
    const user = await createUser(t.db);
    const tokens = await login(t.app, user);
    expectFieldError(await post(t.app, 'change-password', { oldPassword: user.password, newPassword: make() }, { headers: bearer(tokens) }), 'newPassword');
    await login(t.app, user);
  });

  it('a new password equal to the email → 400 on `newPassword`', async () => {
    const user = await createUser(t.db);
    const tokens = await login(t.app, user);
    expectFieldError(await post(t.app, 'change-password', { oldPassword: user.password, newPassword: user.email }, { headers: bearer(tokens) }), 'newPassword');
  });

  it('extra fields → 400 naming them', async () => {
    const user = await createUser(t.db);
    const tokens = await login(t.app, user);
    expectFieldError(
      await post(t.app, 'change-password', { oldPassword: user.password, newPassword: randomPassword(), userId: user.id }, { headers: bearer(tokens) }),
      'userId',
    );
  });
});

describe.concurrent('forget-password (enumeration safety)', () => {
  it.each(FORGET_ROUTES)('%s answers an unknown email exactly like a known one, and mails only the known one', async (path) => {
    const user = await createUser(t.db);
    const ghost = randomEmail('ghost');
    const known = await post(t.app, path, { email: user.email });
    const unknown = await post(t.app, path, { email: ghost });
    expect(known.statusCode).toBe(202);
    expect(unknown.statusCode).toBe(202);
    expect(unknown.body).toBe(known.body);
    expect(unknown.headers['content-type']).toBe(known.headers['content-type']);
    await drainJobs(t);
    expect(mailsTo(t.mail, user.email, 'reset')).toHaveLength(1);
    expect(mailsTo(t.mail, ghost)).toHaveLength(0);
  });

  it('an account that is not activated gets the same 202 and no reset code', async () => {
    const email = randomEmail('inactive');
    expect((await post(t.app, 'register', { email, password: randomPassword() })).statusCode).toBe(201);
    const known = await post(t.app, 'forget-password', { email: (await createUser(t.db)).email });
    const inactive = await post(t.app, 'forget-password', { email });
    expect(inactive.statusCode).toBe(202);
    expect(inactive.body).toBe(known.body);
    await drainJobs(t);
    expect(mailsTo(t.mail, email, 'reset')).toHaveLength(0);
  });

  it('confirm for an unknown email → 400 otp_invalid, like a wrong code', async () => {
    const user = await createUser(t.db);
    const mark = mailMark(t.mail);
    expect((await post(t.app, 'forget-password', { email: user.email })).statusCode).toBe(202);
    const otp = await mark.nextOtp(user.email, 'reset');
    const wrong = await post(t.app, 'forget-password/confirm', { email: user.email, otp: wrongCode(otp), newPassword: randomPassword() });
    const unknown = await post(t.app, 'forget-password/confirm', { email: randomEmail('ghost'), otp, newPassword: randomPassword() });
    expectProblem(wrong, 400, 'otp_invalid');
    expect(unknown.json()).toEqual(wrong.json());
  });
});

// The cooldown tests need the clock to themselves: one at a time.
describe('forget-password codes', () => {
  it('send and resend share the cooldown: a second request within 60 s sends nothing', async () => {
    const user = await createUser(t.db);
    const mark = mailMark(t.mail);
    for (const path of FORGET_ROUTES) expect((await post(t.app, path, { email: user.email })).statusCode).toBe(202);
    await mark.next(user.email, 'reset');
    await drainJobs(t);
    expect(mailsTo(t.mail, user.email, 'reset')).toHaveLength(1);
    expect(await t.db.otpCode.count({ where: { userId: user.id, purpose: 'password_reset' } })).toBe(1);
  });

  it('a resend after 60 s replaces the code: the old one → otp_invalid, the new one works', async () => {
    const user = await createUser(t.db);
    const mark = mailMark(t.mail);
    expect((await post(t.app, 'forget-password', { email: user.email })).statusCode).toBe(202);
    const old = await mark.nextOtp(user.email, 'reset');
    t.clock.advance(61 * SECOND);
    const again = mailMark(t.mail);
    expect((await post(t.app, 'forget-password/otp/resend', { email: user.email })).statusCode).toBe(202);
    const fresh = await again.nextOtp(user.email, 'reset');
    const newPassword = randomPassword();
    if (fresh !== old) {
      expectProblem(await post(t.app, 'forget-password/confirm', { email: user.email, otp: old, newPassword }), 400, 'otp_invalid');
    }
    expect((await post(t.app, 'forget-password/confirm', { email: user.email, otp: fresh, newPassword })).statusCode).toBe(200);
    await login(t.app, { email: user.email, password: newPassword });
  });

  it('confirm: the new password must meet the policy (400 on `newPassword`) and the code is not spent by that', async () => {
    const user = await createUser(t.db);
    const mark = mailMark(t.mail);
    expect((await post(t.app, 'forget-password', { email: user.email })).statusCode).toBe(202);
    const otp = await mark.nextOtp(user.email, 'reset');
    expectFieldError(await post(t.app, 'forget-password/confirm', { email: user.email, otp, newPassword: 'short1!' }), 'newPassword');
    expectFieldError(await post(t.app, 'forget-password/confirm', { email: user.email, otp, newPassword: 'password123' }), 'newPassword');
    expectFieldError(await post(t.app, 'forget-password/confirm', { email: user.email, otp, newPassword: user.email }), 'newPassword');
    const rid = requestId();
    const newPassword = randomPassword();
    const confirmed = await post(t.app, 'forget-password/confirm', { email: user.email, otp, newPassword }, { headers: { 'x-request-id': rid } });
    expect(confirmed.statusCode).toBe(200);
    const event = await t.db.auditEvent.findFirst({ where: { action: 'password.reset', requestId: rid } });
    expect(event).toMatchObject({ actorId: user.id, outcome: 'success', ip: '127.0.0.1' });
    expectProblem(await post(t.app, 'login', { email: user.email, password: user.password }), 401, 'invalid_credentials');
    await login(t.app, { email: user.email, password: newPassword });
  });

  it('wrong reset codes are audited as otp.failure', async () => {
    const user = await createUser(t.db);
    const mark = mailMark(t.mail);
    expect((await post(t.app, 'forget-password', { email: user.email })).statusCode).toBe(202);
    const otp = await mark.nextOtp(user.email, 'reset');
    const rid = requestId();
    expectProblem(
      await post(t.app, 'forget-password/confirm', { email: user.email, otp: wrongCode(otp), newPassword: randomPassword() }, { headers: { 'x-request-id': rid } }),
      400,
      'otp_invalid',
    );
    const event = await t.db.auditEvent.findFirst({ where: { action: 'otp.failure', requestId: rid } });
    expect(event).toMatchObject({ actorId: user.id, ip: '127.0.0.1' });
  });
});

describe('stored hashes', () => {
  it('a hash made with older argon2 parameters is upgraded at the next successful login', async () => {
    const user = await createUser(t.db);
    const weakHash = await argon2.hash(user.password, { type: argon2.argon2id, memoryCost: 4096, timeCost: 1, parallelism: 1 });
    await t.db.user.update({ where: { id: user.id }, data: { passwordHash: weakHash } });

    await login(t.app, user);
    const { passwordHash } = await t.db.user.findUniqueOrThrow({ where: { id: user.id } });
    expect(passwordHash).not.toBe(weakHash);
    expect(passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,/);
    await login(t.app, user);
  });
});
