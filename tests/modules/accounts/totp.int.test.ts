// Authenticator apps (TOTP): enrolment with the current password, confirmation with a first code
// and 10 recovery codes, the two-step login they answer (each code once, each recovery code
// once, wrong codes toward the lockout), removal, the secret sealed at rest, and
// MFA_REQUIRED_ROLES forcing a second step on the listed roles.
import * as OTPAuth from 'otpauth';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.ts';
import { bearer, createPatient, createUser, login, randomPassword, type TestUser } from '../../helpers/actors.ts';
import { mailMark, mailsTo, patch, post, SECOND } from '../../helpers/accounts.ts';
import { useTestApp, type TestApp } from '../../helpers/app.ts';
import { expectProblem, request } from '../../helpers/http.ts';
import { drainJobs } from '../../helpers/wait.ts';

const t = useTestApp();

/** The app's code for `secret` at the test clock's now. */
const codeAt = (app: TestApp, secret: string) =>
  OTPAuth.TOTP.generate({ secret: OTPAuth.Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30, timestamp: app.clock.now().getTime() });

/** The next 30 s step's code: a code is accepted once, so each use moves the clock on. */
function nextCode(app: TestApp, secret: string): string {
  app.clock.advance(30 * SECOND);
  return codeAt(app, secret);
}

const mfa = (app: TestApp, method: 'POST' | 'DELETE', path: string, user: { access: string }, body: unknown) =>
  request(app.app, method, `user/me/mfa/totp/${path}`, body, { headers: bearer(user) });

/** Sets up and confirms an authenticator app for the user; answers its secret and recovery codes. */
async function withTotp(app: TestApp, user: TestUser) {
  const tokens = await login(app.app, user);
  const enrolled = await mfa(app, 'POST', '', tokens, { currentPassword: user.password });
  expect(enrolled.statusCode).toBe(200);
  const { secret } = enrolled.json<{ secret: string }>();
  const confirmed = await mfa(app, 'POST', 'confirm', tokens, { code: codeAt(app, secret) });
  expect(confirmed.statusCode).toBe(200);
  return { tokens, secret, recoveryCodes: confirmed.json<{ recoveryCodes: string[] }>().recoveryCodes };
}

const passwordStep = (app: TestApp, user: TestUser) => post(app.app, 'login', { email: user.email, password: user.password });
const secondStep = (app: TestApp, user: TestUser, otp: string) => post(app.app, 'login/otp/verify', { email: user.email, otp });

// These move the clock (each accepted code needs a later 30 s step): one at a time.
describe('authenticator app', () => {
  it('enrolment needs the current password, answers an otpauth secret and seals it at rest; login is unchanged until confirmed', async () => {
    const user = await createUser(t.db);
    const tokens = await login(t.app, user);
    expectProblem(await mfa(t, 'POST', '', tokens, { currentPassword: randomPassword() }), 400, 'invalid_credentials');
    expect((await t.db.user.findUniqueOrThrow({ where: { id: user.id } })).failedLoginCount).toBe(1);

    const enrolled = await mfa(t, 'POST', '', tokens, { currentPassword: user.password });
    expect(enrolled.statusCode).toBe(200);
    const { secret, otpauthUrl } = enrolled.json<{ secret: string; otpauthUrl: string }>();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const parsed = OTPAuth.URI.parse(otpauthUrl) as OTPAuth.TOTP;
    expect(parsed).toBeInstanceOf(OTPAuth.TOTP);
    expect(parsed).toMatchObject({ algorithm: 'SHA1', digits: 6, period: 30, label: user.email });
    expect(parsed.secret.base32).toBe(secret);

    const row = await t.db.totpFactor.findUniqueOrThrow({ where: { userId: user.id } });
    expect(row.confirmedAt).toBeNull();
    expect(row.secretEncrypted).not.toContain(secret);
    expect((await passwordStep(t, user)).statusCode).toBe(200);
  });

  it('confirmation refuses a wrong code (counted), then answers 10 recovery codes stored only as hashes', async () => {
    const user = await createUser(t.db);
    const tokens = await login(t.app, user);
    expectProblem(await mfa(t, 'POST', 'confirm', tokens, { code: '123456' }), 409, 'conflict');
    const { secret } = (await mfa(t, 'POST', '', tokens, { currentPassword: user.password })).json<{ secret: string }>();
    const right = codeAt(t, secret);
    const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, '0');
    expectProblem(await mfa(t, 'POST', 'confirm', tokens, { code: wrong }), 400, 'otp_invalid');
    expect((await t.db.user.findUniqueOrThrow({ where: { id: user.id } })).failedLoginCount).toBe(1);

    const mark = mailMark(t.mail);
    const confirmed = await mfa(t, 'POST', 'confirm', tokens, { code: right });
    expect(confirmed.statusCode).toBe(200);
    const { recoveryCodes } = confirmed.json<{ recoveryCodes: string[] }>();
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    const stored = await t.db.recoveryCode.findMany({ where: { userId: user.id } });
    expect(stored).toHaveLength(10);
    const dump = JSON.stringify(stored);
    for (const code of recoveryCodes) expect(dump).not.toContain(code);
    expect((await mark.next(user.email, 'twoStep')).text).toContain('authenticator app');
    expect(await t.db.auditEvent.count({ where: { actorId: user.id, action: 'two_step.change' } })).toBe(1);
    // A second enrolment is refused while the app is set up.
    expectProblem(await mfa(t, 'POST', '', tokens, { currentPassword: user.password }), 409, 'conflict');
  });

  it('login asks for the app (nothing mailed); each code works once; outside a password step even a right code is refused', async () => {
    const user = await createUser(t.db);
    const { secret } = await withTotp(t, user);
    const code = nextCode(t, secret);
    expectProblem(await secondStep(t, user, code), 400, 'otp_invalid');

    const first = await passwordStep(t, user);
    expect(first.statusCode).toBe(202);
    expect(first.json()).toEqual({ otpRequired: true, method: 'totp', detail: expect.any(String) });
    const session = await secondStep(t, user, code);
    expect(session.statusCode).toBe(200);
    expect(session.json().user.email).toBe(user.email);

    // The same code in its own window again: refused, and counted as a failed login.
    expect((await passwordStep(t, user)).statusCode).toBe(202);
    expectProblem(await secondStep(t, user, code), 400, 'otp_invalid');
    expect((await t.db.user.findUniqueOrThrow({ where: { id: user.id } })).failedLoginCount).toBe(1);
    expect((await secondStep(t, user, nextCode(t, secret))).statusCode).toBe(200);

    await drainJobs(t);
    expect(mailsTo(t.mail, user.email, 'login')).toHaveLength(0);
    expect((await post(t.app, 'login/otp/resend', { email: user.email })).statusCode).toBe(202);
    await drainJobs(t);
    expect(mailsTo(t.mail, user.email, 'login')).toHaveLength(0);
  });

  it('a recovery code answers the second step once', async () => {
    const user = await createUser(t.db);
    const { recoveryCodes } = await withTotp(t, user);
    const [code] = recoveryCodes;
    expect((await passwordStep(t, user)).statusCode).toBe(202);
    expect((await secondStep(t, user, code!.toUpperCase())).statusCode).toBe(200);
    expect((await passwordStep(t, user)).statusCode).toBe(202);
    expectProblem(await secondStep(t, user, code!), 400, 'otp_invalid');
    expect((await secondStep(t, user, recoveryCodes[1]!)).statusCode).toBe(200);
    expect(await t.db.recoveryCode.count({ where: { userId: user.id, usedAt: { not: null } } })).toBe(2);
  });

  it('wrong codes count toward the lockout and the fifth burns the challenge', async () => {
    const user = await createUser(t.db);
    const { secret } = await withTotp(t, user);
    expect((await passwordStep(t, user)).statusCode).toBe(202);
    const right = nextCode(t, secret);
    const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, '0');
    const answers = [];
    for (let i = 0; i < 5; i += 1) answers.push((await secondStep(t, user, wrong)).json().code);
    expect(answers).toEqual(['otp_invalid', 'otp_invalid', 'otp_invalid', 'otp_invalid', 'otp_attempts_exceeded']);
    expectProblem(await secondStep(t, user, right), 400, 'otp_attempts_exceeded');
    expect((await t.db.user.findUniqueOrThrow({ where: { id: user.id } })).failedLoginCount).toBe(6);
    // A new password step opens a new challenge.
    expect((await passwordStep(t, user)).statusCode).toBe(202);
    expect((await secondStep(t, user, right)).statusCode).toBe(200);
  });

  it('removal needs the password and a code (or a recovery code); afterwards the password alone signs in', async () => {
    const user = await createUser(t.db);
    const { tokens, secret, recoveryCodes } = await withTotp(t, user);
    expectProblem(await mfa(t, 'DELETE', '', tokens, { currentPassword: randomPassword(), code: nextCode(t, secret) }), 400, 'invalid_credentials');
    expectProblem(await mfa(t, 'DELETE', '', tokens, { currentPassword: user.password, code: 'zzzzz-zzzzz' }), 400, 'otp_invalid');
    expect((await t.db.user.findUniqueOrThrow({ where: { id: user.id } })).failedLoginCount).toBe(2);
    expectProblem(await mfa(t, 'DELETE', '', tokens, { currentPassword: user.password }), 400, 'validation_failed');

    expect((await mfa(t, 'DELETE', '', tokens, { currentPassword: user.password, code: recoveryCodes[0] })).statusCode).toBe(204);
    expect(await t.db.totpFactor.count({ where: { userId: user.id } })).toBe(0);
    expect(await t.db.recoveryCode.count({ where: { userId: user.id } })).toBe(0);
    expect((await passwordStep(t, user)).statusCode).toBe(200);
    expectProblem(await mfa(t, 'DELETE', '', tokens, { currentPassword: user.password, code: nextCode(t, secret) }), 404, 'not_found');
  });

  it('erasing the account removes its authenticator app and recovery codes', async () => {
    const { user } = await createPatient(t.db);
    const { tokens } = await withTotp(t, user);
    expect((await request(t.app, 'DELETE', 'patient/patients/me', undefined, { headers: bearer(tokens) })).statusCode).toBe(204);
    expect(await t.db.totpFactor.count({ where: { userId: user.id } })).toBe(0);
    expect(await t.db.recoveryCode.count({ where: { userId: user.id } })).toBe(0);
  });

  it('one user’s codes do nothing for another', async () => {
    const owner = await createUser(t.db);
    const other = await createUser(t.db);
    const { secret, recoveryCodes } = await withTotp(t, owner);
    await withTotp(t, other);
    expect((await passwordStep(t, other)).statusCode).toBe(202);
    expectProblem(await secondStep(t, other, nextCode(t, secret)), 400, 'otp_invalid');
    expectProblem(await secondStep(t, other, recoveryCodes[0]!), 400, 'otp_invalid');
  });
});

describe('MFA_REQUIRED_ROLES', () => {
  const strict = useTestApp({ env: { MFA_REQUIRED_ROLES: 'admin,doctor' } });

  it('a listed role gets an e-mailed second step it cannot turn off; an app replaces it; other roles sign in with a password', async () => {
    const doctor = await createUser(strict.db, { role: 'doctor' });
    const mark = mailMark(strict.mail);
    const first = await passwordStep(strict, doctor);
    expect(first.statusCode).toBe(202);
    expect(first.json().method).toBe('email');
    const session = await secondStep(strict, doctor, await mark.nextOtp(doctor.email, 'login'));
    expect(session.statusCode).toBe(200);
    expect(session.json().user.twoStepLogin).toBe(true);

    const access = { access: session.json<{ access: string }>().access };
    expectProblem(await patch(strict.app, 'me', { twoStepLogin: false, currentPassword: doctor.password }, { headers: bearer(access) }), 422, 'policy_violation');

    const enrolled = await mfa(strict, 'POST', '', access, { currentPassword: doctor.password });
    const { secret } = enrolled.json<{ secret: string }>();
    expect((await mfa(strict, 'POST', 'confirm', access, { code: codeAt(strict, secret) })).statusCode).toBe(200);
    const withApp = await passwordStep(strict, doctor);
    expect(withApp.json()).toMatchObject({ otpRequired: true, method: 'totp' });
    expect((await secondStep(strict, doctor, nextCode(strict, secret))).statusCode).toBe(200);

    const patient = await createUser(strict.db);
    expect((await passwordStep(strict, patient)).statusCode).toBe(200);
  });

  it('an unknown role stops start-up naming the variable', () => {
    const env = { SECRET_KEY: 'x'.repeat(32), DATABASE_URL: 'postgresql://localhost/clinic', MFA_REQUIRED_ROLES: 'admin,nurse' };
    expect(() => loadConfig(env)).toThrow(/MFA_REQUIRED_ROLES/);
    expect(loadConfig({ ...env, MFA_REQUIRED_ROLES: ' admin , doctor ' }).mfaRequiredRoles).toEqual(['admin', 'doctor']);
    expect(loadConfig({ ...env, MFA_REQUIRED_ROLES: undefined }).mfaRequiredRoles).toEqual([]);
  });
});
