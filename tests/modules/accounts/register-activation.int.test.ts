// Registration and activation: enumeration safety, the password policy, strict bodies, and
// logging in before activation.
import { describe, expect, it } from 'vitest';
import { noCache } from '../../../src/lib/cache.ts';
import { hashPassword } from '../../../src/lib/password.ts';
import { createOrPromoteAdmin } from '../../../src/modules/accounts/index.ts';
import { createUser, randomEmail, randomPassword } from '../../helpers/actors.ts';
import { mailMark, mailsTo, post, registerAndActivate } from '../../helpers/accounts.ts';
import { useTestApp } from '../../helpers/app.ts';
import { expectFieldError, expectProblem } from '../../helpers/http.ts';
import { otpFrom } from '../../helpers/mail.ts';
import { drainJobs } from '../../helpers/wait.ts';

const t = useTestApp();

// No test here moves the clock and every one makes its own accounts: they run concurrently.
describe.concurrent('register', () => {
  it('stores the email lower-cased and answers it lower-cased', async () => {
    const email = randomEmail('MiXeD').replace('example.com', 'Example.COM');
    const mark = mailMark(t.mail);
    const response = await post(t.app, 'register', { email, password: randomPassword() });
    expect(response.statusCode).toBe(201);
    expect(response.json().email).toBe(email.toLowerCase());
    await mark.next(email.toLowerCase(), 'activation');
    const row = await t.db.user.findUniqueOrThrow({ where: { id: response.json().id } });
    expect(row.email).toBe(email.toLowerCase());
  });

  it('registering after the owner cannot take the account over: activation asks for the password and keeps the owner’s (issue 18 M1)', async () => {
    const email = randomEmail('takeover');
    const ownerPassword = randomPassword();
    const attackerPassword = randomPassword();
    const mark = mailMark(t.mail);
    const first = await post(t.app, 'register', { email, password: ownerPassword, firstName: 'Olivia' });
    expect(first.statusCode).toBe(201);
    const firstCode = await mark.nextOtp(email, 'activation');

    const again = mailMark(t.mail);
    const second = await post(t.app, 'register', { email, password: attackerPassword, firstName: 'Mallory' });
    expect(second.statusCode).toBe(first.statusCode);
    expect(Object.keys(second.json()).sort()).toEqual(Object.keys(first.json()).sort());
    const newestMail = await again.next(email, 'activation');
    expect(newestMail.text).toContain('registered more than once');
    const newestCode = otpFrom(newestMail);
    expect(await t.db.user.count({ where: { email } })).toBe(1);

    // The owner activates with the newest code, as anyone would: the password is asked for.
    if (firstCode !== newestCode) expectProblem(await post(t.app, 'account/activate', { email, otp: firstCode }), 400, 'otp_invalid');
    const missing = expectProblem(await post(t.app, 'account/activate', { email, otp: newestCode }), 400, 'password_required');
    expect(missing.errors?.map((error) => error.path)).toEqual(['password']);
    const wrong = expectProblem(await post(t.app, 'account/activate', { email, otp: newestCode, password: randomPassword() }), 400, 'invalid_credentials');
    expect(wrong.errors?.map((error) => error.path)).toEqual(['password']);
    expect((await t.db.user.findUniqueOrThrow({ where: { email } })).failedLoginCount).toBe(1);

    // The code survived both refusals; the owner's password picks the owner's registration.
    expect((await post(t.app, 'account/activate', { email, otp: newestCode, password: ownerPassword })).statusCode).toBe(200);
    expectProblem(await post(t.app, 'login', { email, password: attackerPassword }), 401, 'invalid_credentials');
    const login = await post(t.app, 'login', { email, password: ownerPassword });
    expect(login.statusCode).toBe(200);
    expect(login.json().user.firstName).toBe('Olivia');
    expect(await t.db.pendingRegistration.count({ where: { user: { email } } })).toBe(0);
  });

  it('create-admin over a never-activated account discards the registrations waiting for activation', async () => {
    const email = randomEmail('pending-admin');
    const mark = mailMark(t.mail);
    expect((await post(t.app, 'register', { email, password: randomPassword() })).statusCode).toBe(201);
    await mark.next(email, 'activation');
    const again = mailMark(t.mail);
    expect((await post(t.app, 'register', { email, password: randomPassword() })).statusCode).toBe(201);
    await again.next(email, 'activation');
    expect(await t.db.pendingRegistration.count({ where: { user: { email } } })).toBe(2);
    const password = randomPassword();
    expect(await createOrPromoteAdmin({ db: t.db, clock: t.clock, cache: noCache }, { email, passwordHash: await hashPassword(password), resetPassword: false })).toBe('activated');
    expect(await t.db.pendingRegistration.count({ where: { user: { email } } })).toBe(0);
    expect((await post(t.app, 'login', { email, password })).statusCode).toBe(200);
  });

  it('a single registration activates without the password, but a wrong one sent along is refused', async () => {
    const email = randomEmail('single');
    const password = randomPassword();
    const mark = mailMark(t.mail);
    expect((await post(t.app, 'register', { email, password })).statusCode).toBe(201);
    const mail = await mark.next(email, 'activation');
    expect(mail.text).not.toContain('registered more than once');
    const otp = otpFrom(mail);
    expectProblem(await post(t.app, 'account/activate', { email, otp, password: randomPassword() }), 400, 'invalid_credentials');
    expect((await post(t.app, 'account/activate', { email, otp })).statusCode).toBe(200);
    expect((await post(t.app, 'login', { email, password })).statusCode).toBe(200);
  });

  it('an email of an active account answers the same 201 shape, sends nothing, keeps the password', async () => {
    const user = await createUser(t.db);
    const response = await post(t.app, 'register', { email: user.email.toUpperCase(), password: randomPassword() });
    expect(response.statusCode).toBe(201);
    expect(Object.keys(response.json()).sort()).toEqual(['detail', 'email', 'id', 'isActive']);
    expect(response.json()).toMatchObject({ email: user.email, isActive: false });
    expect(response.json().id).not.toBe(user.id);
    await drainJobs(t);
    expect(mailsTo(t.mail, user.email)).toHaveLength(0);
    const login = await post(t.app, 'login', { email: user.email, password: user.password });
    expect(login.statusCode).toBe(200);
  });

  it('does not answer before mail could be sent: the activation mail arrives later through the queue', async () => {
    const email = randomEmail('queued');
    const mark = mailMark(t.mail);
    const response = await post(t.app, 'register', { email, password: randomPassword() });
    expect(response.statusCode).toBe(201);
    const message = await mark.next(email, 'activation');
    expect(message.text).toMatch(/\b\d{6}\b/);
    expect(message.html).toContain('<p');
  });
});

describe.concurrent('password policy', () => {
  it('7 characters → 400 validation_failed on `password`, nothing stored', async () => {
    const email = randomEmail('short');
    expectFieldError(await post(t.app, 'register', { email, password: 'aB3$xY7' }), 'password');
    expect(await t.db.user.count({ where: { email } })).toBe(0);
  });

  it('8 characters that are not common → 201', async () => {
    const email = randomEmail('eight');
    const response = await post(t.app, 'register', { email, password: 'aB3$xY7q' });
    expect(response.statusCode).toBe(201);
    await drainJobs(t);
    expect(await t.db.user.count({ where: { email } })).toBe(1);
  });

  it('the password equal to the email (any case) → 400 on `password`', async () => {
    const email = randomEmail('same');
    expectFieldError(await post(t.app, 'register', { email, password: email }), 'password');
    expectFieldError(await post(t.app, 'register', { email, password: email.toUpperCase() }), 'password');
    expect(await t.db.user.count({ where: { email } })).toBe(0);
  });

  it.each(['password123', 'qwerty123', 'Password1'])('a common password (%s) → 400 on `password`', async (password) => {
    const email = randomEmail('common');
    expectFieldError(await post(t.app, 'register', { email, password }), 'password');
    expect(await t.db.user.count({ where: { email } })).toBe(0);
  });

  it('more than 128 characters → 400 on `password`', async () => {
    expectFieldError(await post(t.app, 'register', { email: randomEmail('long'), password: 'x1Y!'.repeat(33) }), 'password');
  });
});

describe.concurrent('strict bodies (mass assignment)', () => {
  it.each([
    ['role', 'admin'],
    ['isActive', true],
    ['twoStepLogin', true],
    ['id', '00000000-0000-7000-8000-000000000000'],
    ['passwordHash', '$argon2id$v=19$m=19456,t=2,p=1$abc$def'],
  ])('register with `%s` → 400 validation_failed naming it, and no user row', async (field, value) => {
    const email = randomEmail('mass');
    const response = await post(t.app, 'register', { email, password: randomPassword(), [field]: value });
    expectFieldError(response, field);
    expect(await t.db.user.count({ where: { email } })).toBe(0);
  });

  it('a bad email or a non-E.164 phone → 400 naming the field', async () => {
    expectFieldError(await post(t.app, 'register', { email: 'not-an-email', password: randomPassword() }), 'email');
    expectFieldError(await post(t.app, 'register', { email: randomEmail(), password: randomPassword(), phone: '555-1234' }), 'phone');
  });

  it('an unknown field on the activation route → 400 naming it', async () => {
    expectFieldError(await post(t.app, 'account/activate', { email: randomEmail(), otp: '123456', isActive: true }), 'isActive');
  });

  it('an OTP that is not 6 digits → 400 validation_failed on `otp`', async () => {
    expectFieldError(await post(t.app, 'account/activate', { email: randomEmail(), otp: '12345' }), 'otp');
    expectFieldError(await post(t.app, 'account/activate', { email: randomEmail(), otp: 'abcdef' }), 'otp');
  });
});

describe.concurrent('activation', () => {
  it('login before activation: right password → 403 account_not_activated; wrong → 401 invalid_credentials', async () => {
    const email = randomEmail('inactive');
    const password = randomPassword();
    expect((await post(t.app, 'register', { email, password })).statusCode).toBe(201);
    // The account is created by the registration job, before its activation mail goes out.
    await drainJobs(t);
    expectProblem(await post(t.app, 'login', { email, password }), 403, 'account_not_activated');
    expectProblem(await post(t.app, 'login', { email, password: randomPassword() }), 401, 'invalid_credentials');
  });

  it('after activation the same credentials log in, and activating again answers otp_invalid', async () => {
    const mark = mailMark(t.mail);
    const { email, password } = await registerAndActivate(t);
    const otp = await mark.nextOtp(email, 'activation');
    const response = await post(t.app, 'login', { email, password });
    expect(response.statusCode).toBe(200);
    expect(response.json().user).toMatchObject({ email, isActive: true, role: 'patient' });
    expectProblem(await post(t.app, 'account/activate', { email, otp }), 400, 'otp_invalid');
  });

  it('activation of an unknown email → 400 otp_invalid', async () => {
    expectProblem(await post(t.app, 'account/activate', { email: randomEmail('ghost'), otp: '123456' }), 400, 'otp_invalid');
  });

  it('activate/otp/resend answers the same 202 body for unknown, inactive and active accounts', async () => {
    const inactive = randomEmail('resend');
    expect((await post(t.app, 'register', { email: inactive, password: randomPassword() })).statusCode).toBe(201);
    const active = await createUser(t.db);
    const answers = await Promise.all(
      [randomEmail('ghost'), inactive, active.email].map((email) => post(t.app, 'account/activate/otp/resend', { email })),
    );
    for (const answer of answers) expect(answer.statusCode).toBe(202);
    expect(new Set(answers.map((answer) => answer.body)).size).toBe(1);
    await drainJobs(t);
    expect(mailsTo(t.mail, active.email)).toHaveLength(0);
  });
});
