// Notification preferences and phone verification (API.md "Notifications"): the SMS code follows
// the rules of every code (hash at rest, 5 tries, cooldown, hourly cap) and is bound to the number
// it was sent to and to its user; SMS preferences and login codes by SMS need a verified phone,
// and a changed phone forgets the proof. SMS go out through the http provider to a local gateway.
import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAs, type Actor } from '../../helpers/actors.ts';
import { useTestApp } from '../../helpers/app.ts';
import { client, expectFieldError, expectProblem } from '../../helpers/http.ts';
import { wrongCode } from '../../helpers/accounts.ts';
import { httpSmsEnv, nextSmsTo, smsTo, startSmsGateway, type SmsGateway } from '../../helpers/sms.ts';
import { drainJobs } from '../../helpers/wait.ts';

let gateway: SmsGateway;
beforeAll(async () => {
  gateway = await startSmsGateway();
});
afterAll(async () => {
  await gateway.close();
});

// Access tokens outlive the cooldowns the test clock skips.
const t = useTestApp(() => ({ env: { ...httpSmsEnv(gateway), JWT_ACCESS_LIFETIME: '1h' } }));
const http = () => client(t.app);
const randomPhone = () => `+1555${String(randomInt(0, 10_000_000)).padStart(7, '0')}`;
const DEFAULTS = { email: true, sms: false, reminderHours: [24], loginCodeChannel: 'email' };

/** Asks for a code for `phone` as `actor` and answers the texted code. */
async function requestCode(actor: Actor, phone: string): Promise<string> {
  const seen = smsTo(gateway, phone).length;
  const response = await http().post('user/me/phone/verify', { phone }, { headers: actor.headers });
  expect(response.statusCode, response.body).toBe(202);
  const { code, body } = await nextSmsTo(gateway, phone, seen);
  expect(body).toMatch(/^Clinic phone verification code: \d{6}\. Valid for 10 minutes\. Never share it\.$/);
  return code!;
}

/** A patient whose phone is verified. */
async function withVerifiedPhone(): Promise<Actor & { phone: string }> {
  const actor = await loginAs(t, 'patient');
  const phone = randomPhone();
  const code = await requestCode(actor, phone);
  const confirmed = await http().post('user/me/phone/verify/confirm', { phone, otp: code }, { headers: actor.headers });
  expect(confirmed.statusCode, confirmed.body).toBe(200);
  return { ...actor, phone };
}

describe('notification preferences', () => {
  it('answers the defaults, and replaces them with a valid whole object', async () => {
    const patient = await loginAs(t, 'patient');
    expect((await http().get('user/me/notifications', { headers: patient.headers })).json()).toEqual(DEFAULTS);
    const put = await http().put('user/me/notifications', { email: false, sms: false, reminderHours: [48, 1, 2], loginCodeChannel: 'email' }, { headers: patient.headers });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json()).toEqual({ email: false, sms: false, reminderHours: [1, 2, 48], loginCodeChannel: 'email' });
    expect((await http().get('user/me/notifications', { headers: patient.headers })).json()).toEqual(put.json());
    // Each user has their own: another patient still has the defaults.
    const other = await loginAs(t, 'patient');
    expect((await http().get('user/me/notifications', { headers: other.headers })).json()).toEqual(DEFAULTS);
  });

  it('refuses hours outside {1,2,24,48}, missing or unknown fields, and anonymous callers', async () => {
    const patient = await loginAs(t, 'patient');
    expectFieldError(await http().put('user/me/notifications', { ...DEFAULTS, reminderHours: [3] }, { headers: patient.headers }), 'reminderHours.0');
    expectFieldError(await http().put('user/me/notifications', { ...DEFAULTS, loginCodeChannel: 'pigeon' }, { headers: patient.headers }), 'loginCodeChannel');
    expectFieldError(await http().put('user/me/notifications', { email: true }, { headers: patient.headers }), 'sms');
    expectFieldError(await http().put('user/me/notifications', { ...DEFAULTS, phone: '+15550001111' }, { headers: patient.headers }), 'phone');
    expect((await http().get('user/me/notifications')).statusCode).toBe(401);
  });

  it('needs a verified phone for sms and for login codes by SMS (422 phone_not_verified)', async () => {
    const patient = await loginAs(t, 'patient');
    await http().patch('user/me', { phone: randomPhone() }, { headers: patient.headers });
    expectProblem(await http().put('user/me/notifications', { ...DEFAULTS, sms: true }, { headers: patient.headers }), 422, 'phone_not_verified');
    expectProblem(await http().put('user/me/notifications', { ...DEFAULTS, loginCodeChannel: 'sms' }, { headers: patient.headers }), 422, 'phone_not_verified');
    expect((await http().get('user/me/notifications', { headers: patient.headers })).json()).toEqual(DEFAULTS);
  });
});

describe('phone verification', () => {
  it('texts a 6-digit code that proves the number: the phone becomes the caller’s, verified, and SMS may be chosen', async () => {
    const patient = await loginAs(t, 'patient');
    const phone = randomPhone();
    const code = await requestCode(patient, phone);
    const confirmed = await http().post('user/me/phone/verify/confirm', { phone, otp: code }, { headers: patient.headers });
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    expect(confirmed.json()).toEqual({ phone, phoneVerified: true });
    expect((await http().get('user/me', { headers: patient.headers })).json()).toMatchObject({ phone });
    const put = await http().put('user/me/notifications', { ...DEFAULTS, sms: true, loginCodeChannel: 'sms' }, { headers: patient.headers });
    expect(put.statusCode, put.body).toBe(200);
    // Single use.
    expectProblem(await http().post('user/me/phone/verify/confirm', { phone, otp: code }, { headers: patient.headers }), 400, 'otp_invalid');
  });

  it('stores only a keyed hash, and never logs the code or the number', async () => {
    const patient = await loginAs(t, 'patient');
    const phone = randomPhone();
    const code = await requestCode(patient, phone);
    const rows = await t.db.otpCode.findMany({ where: { userId: patient.user.id, purpose: 'phone_verification' }, select: { codeHash: true } });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.codeHash).toMatch(/^[0-9a-f]{64}$/);
    expect(rows[0]!.codeHash).not.toContain(code);
    await drainJobs(t);
    expect(t.logs.some((line) => line.includes(code) || line.includes(phone))).toBe(false);
  });

  it('binds the code to the number it was sent to', async () => {
    const patient = await loginAs(t, 'patient');
    const phone = randomPhone();
    const code = await requestCode(patient, phone);
    expectProblem(await http().post('user/me/phone/verify/confirm', { phone: randomPhone(), otp: code }, { headers: patient.headers }), 400, 'otp_invalid');
    expect((await http().post('user/me/phone/verify/confirm', { phone, otp: code }, { headers: patient.headers })).statusCode).toBe(200);
  });

  it('binds the code to its user: another patient cannot use it, and the owner still can', async () => {
    const owner = await loginAs(t, 'patient');
    const other = await loginAs(t, 'patient');
    const phone = randomPhone();
    const code = await requestCode(owner, phone);
    expectProblem(await http().post('user/me/phone/verify/confirm', { phone, otp: code }, { headers: other.headers }), 400, 'otp_invalid');
    expectProblem(await http().put('user/me/notifications', { ...DEFAULTS, sms: true }, { headers: other.headers }), 422, 'phone_not_verified');
    expect((await http().post('user/me/phone/verify/confirm', { phone, otp: code }, { headers: owner.headers })).statusCode).toBe(200);
  });

  it('burns the code after 5 wrong tries: even the right one is refused until a new one is sent', async () => {
    const patient = await loginAs(t, 'patient');
    const phone = randomPhone();
    const code = await requestCode(patient, phone);
    for (let i = 0; i < 4; i++) {
      expectProblem(await http().post('user/me/phone/verify/confirm', { phone, otp: wrongCode(code) }, { headers: patient.headers }), 400, 'otp_invalid');
    }
    expectProblem(await http().post('user/me/phone/verify/confirm', { phone, otp: wrongCode(code) }, { headers: patient.headers }), 400, 'otp_attempts_exceeded');
    expectProblem(await http().post('user/me/phone/verify/confirm', { phone, otp: code }, { headers: patient.headers }), 400, 'otp_attempts_exceeded');
  });

  it('sends nothing within the 60 s cooldown nor past 5 codes an hour, answering 202 all the same', async () => {
    const patient = await loginAs(t, 'patient');
    const phone = randomPhone();
    await requestCode(patient, phone);
    expect((await http().post('user/me/phone/verify', { phone }, { headers: patient.headers })).statusCode).toBe(202);
    await drainJobs(t);
    expect(smsTo(gateway, phone)).toHaveLength(1);
    // The test clock moves on past each cooldown: four more codes, then the hourly cap.
    for (let i = 0; i < 4; i++) {
      t.clock.advance(61_000);
      await requestCode(patient, phone);
    }
    t.clock.advance(61_000);
    expect((await http().post('user/me/phone/verify', { phone }, { headers: patient.headers })).statusCode).toBe(202);
    await drainJobs(t);
    expect(smsTo(gateway, phone)).toHaveLength(5);
    t.clock.reset();
  });

  it('refuses a number that is not E.164 and unknown fields', async () => {
    const patient = await loginAs(t, 'patient');
    expectFieldError(await http().post('user/me/phone/verify', { phone: '0555 123' }, { headers: patient.headers }), 'phone');
    expectFieldError(await http().post('user/me/phone/verify', { phone: randomPhone(), channel: 'sms' }, { headers: patient.headers }), 'channel');
    expectFieldError(await http().post('user/me/phone/verify/confirm', { phone: randomPhone(), otp: '12ab56' }, { headers: patient.headers }), 'otp');
  });

  it('forgets the proof when the phone changes: SMS preferences fall back to e-mail', async () => {
    const patient = await withVerifiedPhone();
    expect((await http().put('user/me/notifications', { ...DEFAULTS, sms: true, loginCodeChannel: 'sms' }, { headers: patient.headers })).statusCode).toBe(200);
    // The same number again changes nothing.
    await http().patch('user/me', { phone: patient.phone }, { headers: patient.headers });
    expect((await http().get('user/me/notifications', { headers: patient.headers })).json()).toMatchObject({ sms: true, loginCodeChannel: 'sms' });
    const changed = await http().patch('user/me', { phone: randomPhone() }, { headers: patient.headers });
    expect(changed.statusCode, changed.body).toBe(200);
    expect((await http().get('user/me/notifications', { headers: patient.headers })).json()).toEqual(DEFAULTS);
    expectProblem(await http().put('user/me/notifications', { ...DEFAULTS, sms: true }, { headers: patient.headers }), 422, 'phone_not_verified');
  });
});

describe('login codes by SMS', () => {
  it('texts the two-step login code (and its resend) to the verified phone instead of mailing it', async () => {
    const patient = await withVerifiedPhone();
    await http().patch('user/me', { twoStepLogin: true }, { headers: patient.headers });
    expect((await http().put('user/me/notifications', { ...DEFAULTS, loginCodeChannel: 'sms' }, { headers: patient.headers })).statusCode).toBe(200);
    const mailsBefore = t.mail.messages.filter((message) => message.to === patient.user.email && message.subject.includes('sign-in code')).length;

    const seen = smsTo(gateway, patient.phone).length;
    const step = await http().post('user/login', { email: patient.user.email, password: patient.user.password });
    expect(step.statusCode, step.body).toBe(202);
    const first = await nextSmsTo(gateway, patient.phone, seen);
    expect(first.body).toMatch(/^Clinic sign-in code: \d{6}\./);

    t.clock.advance(61_000);
    expect((await http().post('user/login/otp/resend', { email: patient.user.email })).statusCode).toBe(202);
    const resent = await nextSmsTo(gateway, patient.phone, seen + 1);
    expect(resent.code).not.toBe(first.code);
    t.clock.reset();

    const verified = await http().post('user/login/otp/verify', { email: patient.user.email, otp: resent.code });
    expect(verified.statusCode, verified.body).toBe(200);
    await drainJobs(t);
    expect(t.mail.messages.filter((message) => message.to === patient.user.email && message.subject.includes('sign-in code'))).toHaveLength(mailsBefore);
  });
});
