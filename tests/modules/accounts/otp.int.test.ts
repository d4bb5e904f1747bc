// One-time codes through the API: wrong, expired, reused, cross-purpose, burned after five
// wrong tries, replaced by a newer code, resend cooldown and the hourly send cap.
import { describe, expect, it } from 'vitest';
import { createUser, randomEmail, randomPassword } from '../../helpers/actors.ts';
import { mailMark, mailsTo, MINUTE, post, SECOND, wrongCode } from '../../helpers/accounts.ts';
import { useTestApp } from '../../helpers/app.ts';
import { expectProblem, requestId } from '../../helpers/http.ts';
import { drainJobs } from '../../helpers/wait.ts';

const t = useTestApp();

/** Registers a fresh account and returns its email and activation code. */
async function registered() {
  const email = randomEmail('otp');
  const mark = mailMark(t.mail);
  const response = await post(t.app, 'register', { email, password: randomPassword() });
  expect(response.statusCode).toBe(201);
  return { email, id: response.json().id as string, otp: await mark.nextOtp(email, 'activation') };
}

// These tests make their own accounts and leave the clock alone: they run concurrently.
describe.concurrent('wrong, reused and misdirected codes', () => {
  it('a wrong code → 400 otp_invalid, and the right one still works afterwards', async () => {
    const { email, otp } = await registered();
    expectProblem(await post(t.app, 'account/activate', { email, otp: wrongCode(otp) }), 400, 'otp_invalid');
    expect((await post(t.app, 'account/activate', { email, otp })).statusCode).toBe(200);
  });

  it('a wrong code is audited as otp.failure with ip and request id', async () => {
    const { email, id, otp } = await registered();
    const rid = requestId();
    expectProblem(await post(t.app, 'account/activate', { email, otp: wrongCode(otp) }, { headers: { 'x-request-id': rid } }), 400, 'otp_invalid');
    const event = await t.db.auditEvent.findFirst({ where: { action: 'otp.failure', requestId: rid } });
    expect(event).toMatchObject({ actorId: id, outcome: 'failure', ip: '127.0.0.1', requestId: rid });
  });

  it('an activation code is refused at forget-password/confirm and login/otp/verify', async () => {
    const { email, otp } = await registered();
    expectProblem(await post(t.app, 'forget-password/confirm', { email, otp, newPassword: randomPassword() }), 400, 'otp_invalid');
    expectProblem(await post(t.app, 'login/otp/verify', { email, otp }), 400, 'otp_invalid');
    // And it still activates.
    expect((await post(t.app, 'account/activate', { email, otp })).statusCode).toBe(200);
  });

  it('an active user: a reset code is refused at login/otp/verify and a login code at forget-password/confirm', async () => {
    const user = await createUser(t.db, { twoStepLogin: true });
    const mark = mailMark(t.mail);
    expect((await post(t.app, 'login', { email: user.email, password: user.password })).statusCode).toBe(202);
    expect((await post(t.app, 'forget-password', { email: user.email })).statusCode).toBe(202);
    const loginOtp = await mark.nextOtp(user.email, 'login');
    const resetOtp = await mark.nextOtp(user.email, 'reset');

    if (resetOtp !== loginOtp) {
      expectProblem(await post(t.app, 'login/otp/verify', { email: user.email, otp: resetOtp }), 400, 'otp_invalid');
      expectProblem(
        await post(t.app, 'forget-password/confirm', { email: user.email, otp: loginOtp, newPassword: randomPassword() }),
        400,
        'otp_invalid',
      );
    }
    expect((await post(t.app, 'login/otp/verify', { email: user.email, otp: loginOtp })).statusCode).toBe(200);
    const newPassword = randomPassword();
    expect((await post(t.app, 'forget-password/confirm', { email: user.email, otp: resetOtp, newPassword })).statusCode).toBe(200);
  });

  it("a code is bound to its user: one user's code does not work for another", async () => {
    const a = await registered();
    const b = await registered();
    if (a.otp !== b.otp) {
      expectProblem(await post(t.app, 'account/activate', { email: b.email, otp: a.otp }), 400, 'otp_invalid');
    }
    expect((await post(t.app, 'account/activate', { email: b.email, otp: b.otp })).statusCode).toBe(200);
  });

  it('a login code used once → the second use answers otp_invalid', async () => {
    const user = await createUser(t.db, { twoStepLogin: true });
    const mark = mailMark(t.mail);
    expect((await post(t.app, 'login', { email: user.email, password: user.password })).statusCode).toBe(202);
    const otp = await mark.nextOtp(user.email, 'login');
    expect((await post(t.app, 'login/otp/verify', { email: user.email, otp })).statusCode).toBe(200);
    expectProblem(await post(t.app, 'login/otp/verify', { email: user.email, otp }), 400, 'otp_invalid');
  });

  it('a reset code used once → the second use answers otp_invalid', async () => {
    const user = await createUser(t.db);
    const mark = mailMark(t.mail);
    expect((await post(t.app, 'forget-password', { email: user.email })).statusCode).toBe(202);
    const otp = await mark.nextOtp(user.email, 'reset');
    expect((await post(t.app, 'forget-password/confirm', { email: user.email, otp, newPassword: randomPassword() })).statusCode).toBe(200);
    expectProblem(await post(t.app, 'forget-password/confirm', { email: user.email, otp, newPassword: randomPassword() }), 400, 'otp_invalid');
  });

  it('the same code sent twice at once succeeds exactly once', async () => {
    const user = await createUser(t.db, { twoStepLogin: true });
    const mark = mailMark(t.mail);
    expect((await post(t.app, 'login', { email: user.email, password: user.password })).statusCode).toBe(202);
    const otp = await mark.nextOtp(user.email, 'login');
    const answers = await Promise.all([1, 2].map(() => post(t.app, 'login/otp/verify', { email: user.email, otp })));
    expect(answers.map((answer) => answer.statusCode).sort()).toEqual([200, 400]);
    expect(answers.find((answer) => answer.statusCode === 400)!.json().code).toBe('otp_invalid');
  });

  it('OTPs are stored only as hashes', async () => {
    const { id, otp } = await registered();
    const rows = await t.db.otpCode.findMany({ where: { userId: id } });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.codeHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(rows)).not.toContain(otp);
  });
});

// These move the clock (cooldown, expiry, the hourly cap): one at a time.
describe('codes over time', () => {
  it('a code past its 10 minutes → 400 otp_expired', async () => {
    const { email, otp } = await registered();
    t.clock.advance(10 * MINUTE + SECOND);
    expectProblem(await post(t.app, 'account/activate', { email, otp }), 400, 'otp_expired');
  });

  it('five wrong tries burn the code: even the right code then answers otp_attempts_exceeded, until a new code is sent', async () => {
    const { email, otp } = await registered();
    const bad = wrongCode(otp);
    for (let i = 0; i < 4; i++) {
      expectProblem(await post(t.app, 'account/activate', { email, otp: bad }), 400, 'otp_invalid');
    }
    const fifth = await post(t.app, 'account/activate', { email, otp: bad });
    expect(fifth.statusCode).toBe(400);
    expect(['otp_invalid', 'otp_attempts_exceeded']).toContain(fifth.json().code);
    expectProblem(await post(t.app, 'account/activate', { email, otp }), 400, 'otp_attempts_exceeded');
    expectProblem(await post(t.app, 'account/activate', { email, otp }), 400, 'otp_attempts_exceeded');

    t.clock.advance(61 * SECOND);
    const mark = mailMark(t.mail);
    expect((await post(t.app, 'account/activate/otp/resend', { email })).statusCode).toBe(202);
    const fresh = await mark.nextOtp(email, 'activation');
    expect((await post(t.app, 'account/activate', { email, otp: fresh })).statusCode).toBe(200);
  });

  it('a new code invalidates the old one', async () => {
    const { email, otp: old } = await registered();
    t.clock.advance(61 * SECOND);
    const mark = mailMark(t.mail);
    expect((await post(t.app, 'account/activate/otp/resend', { email })).statusCode).toBe(202);
    const fresh = await mark.nextOtp(email, 'activation');
    if (fresh !== old) {
      expectProblem(await post(t.app, 'account/activate', { email, otp: old }), 400, 'otp_invalid');
    }
    expect((await post(t.app, 'account/activate', { email, otp: fresh })).statusCode).toBe(200);
  });

  it('a resend within 60 s answers 202 and sends nothing; after 60 s it sends', async () => {
    const registeredAt = Date.now();
    const { email, id, otp } = await registered();
    const body = (await post(t.app, 'account/activate/otp/resend', { email: randomEmail('ghost') })).body;
    const within = await post(t.app, 'account/activate/otp/resend', { email });
    expect(within.statusCode).toBe(202);
    expect(within.body).toBe(body);
    // 59 s after the registration request, however long the mail took to arrive on a busy machine.
    t.clock.advance(59 * SECOND - (Date.now() - registeredAt));
    expect((await post(t.app, 'account/activate/otp/resend', { email })).statusCode).toBe(202);
    await drainJobs(t);
    expect(mailsTo(t.mail, email, 'activation')).toHaveLength(1);
    expect(await t.db.otpCode.count({ where: { userId: id } })).toBe(1);
    // The first code is still the live one.
    t.clock.advance(2 * SECOND);
    const mark = mailMark(t.mail);
    expect((await post(t.app, 'account/activate/otp/resend', { email })).statusCode).toBe(202);
    const fresh = await mark.nextOtp(email, 'activation');
    expect(mailsTo(t.mail, email, 'activation')).toHaveLength(2);
    if (fresh !== otp) expectProblem(await post(t.app, 'account/activate', { email, otp }), 400, 'otp_invalid');
    expect((await post(t.app, 'account/activate', { email, otp: fresh })).statusCode).toBe(200);
  });

  it('at most 5 codes are sent per hour; the hour after, sending resumes', async () => {
    const { email, id } = await registered();
    for (let i = 0; i < 4; i++) {
      t.clock.advance(61 * SECOND);
      expect((await post(t.app, 'account/activate/otp/resend', { email })).statusCode).toBe(202);
    }
    await drainJobs(t);
    expect(mailsTo(t.mail, email, 'activation')).toHaveLength(5);
    t.clock.advance(61 * SECOND);
    const capped = await post(t.app, 'account/activate/otp/resend', { email });
    expect(capped.statusCode).toBe(202);
    await drainJobs(t);
    expect(mailsTo(t.mail, email, 'activation')).toHaveLength(5);
    expect(await t.db.otpCode.count({ where: { userId: id } })).toBe(5);

    // Once the first of those five is more than an hour old, a sixth goes out.
    t.clock.advance(60 * MINUTE);
    const mark = mailMark(t.mail);
    expect((await post(t.app, 'account/activate/otp/resend', { email })).statusCode).toBe(202);
    const fresh = await mark.nextOtp(email, 'activation');
    expect((await post(t.app, 'account/activate', { email, otp: fresh })).statusCode).toBe(200);
  });
});
