// Login: uniform failures, lockout after 10 failures, unlock by time or password reset,
// two-step login, and the audit trail of it all.
import { describe, expect, it } from 'vitest';
import { createUser, randomEmail, randomPassword } from '../../helpers/actors.ts';
import { mailMark, mailsTo, MINUTE, post, SECOND, wrongCode } from '../../helpers/accounts.ts';
import { useTestApp } from '../../helpers/app.ts';
import { expectProblem, requestId } from '../../helpers/http.ts';
import { drainJobs } from '../../helpers/wait.ts';

const t = useTestApp();

/** `times` failed logins at once (the failure count is one atomic UPDATE, so they all count). */
async function failLogins(email: string, times: number) {
  const responses = await Promise.all(
    Array.from({ length: times }, () => post(t.app, 'login', { email, password: randomPassword() })),
  );
  for (const response of responses) expectProblem(response, 401, 'invalid_credentials');
  return responses.map((response) => response.body);
}

// These tests make their own accounts and leave the clock alone: they run concurrently.
describe.concurrent('login, lockout and two-step login', () => {
  it('unknown email and wrong password answer the very same 401 body', async () => {
    const user = await createUser(t.db);
    const wrong = await post(t.app, 'login', { email: user.email, password: randomPassword() });
    const unknown = await post(t.app, 'login', { email: randomEmail('ghost'), password: randomPassword() });
    expectProblem(wrong, 401, 'invalid_credentials');
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json()).toEqual(wrong.json());
    expect(unknown.headers['content-type']).toBe(wrong.headers['content-type']);
  });

  it('emails are matched case-insensitively at login', async () => {
    const user = await createUser(t.db);
    const response = await post(t.app, 'login', { email: `  ${user.email.toUpperCase()} `, password: user.password });
    expect(response.statusCode).toBe(200);
    expect(response.json().user.id).toBe(user.id);
  });

  it('login.failure and login.success are audited with ip and request id', async () => {
    const user = await createUser(t.db);
    const failId = requestId();
    const okId = requestId();
    const ghostId = requestId();
    const ghost = randomEmail('ghost');
    expect((await post(t.app, 'login', { email: user.email, password: randomPassword() }, { headers: { 'x-request-id': failId } })).statusCode).toBe(401);
    expect((await post(t.app, 'login', { email: ghost, password: randomPassword() }, { headers: { 'x-request-id': ghostId } })).statusCode).toBe(401);
    const ok = await post(t.app, 'login', { email: user.email, password: user.password }, { headers: { 'x-request-id': okId } });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['x-request-id']).toBe(okId);

    const failure = await t.db.auditEvent.findFirst({ where: { action: 'login.failure', requestId: failId } });
    expect(failure).toMatchObject({ actorId: user.id, outcome: 'failure', ip: '127.0.0.1' });
    const unknown = await t.db.auditEvent.findFirst({ where: { action: 'login.failure', requestId: ghostId } });
    expect(unknown).toMatchObject({ actorId: null, subject: ghost, outcome: 'failure', ip: '127.0.0.1' });
    const success = await t.db.auditEvent.findFirst({ where: { action: 'login.success', requestId: okId } });
    expect(success).toMatchObject({ actorId: user.id, outcome: 'success', ip: '127.0.0.1' });
  });

  it('9 failures then a success reset the count: 9 more failures do not lock', async () => {
    const user = await createUser(t.db);
    await failLogins(user.email, 9);
    expect((await post(t.app, 'login', { email: user.email, password: user.password })).statusCode).toBe(200);
    await failLogins(user.email, 9);
    expect((await post(t.app, 'login', { email: user.email, password: user.password })).statusCode).toBe(200);
  });

  it('a password reset unlocks at once', async () => {
    const user = await createUser(t.db);
    await failLogins(user.email, 10);
    expectProblem(await post(t.app, 'login', { email: user.email, password: user.password }), 401, 'invalid_credentials');

    const mark = mailMark(t.mail);
    expect((await post(t.app, 'forget-password', { email: user.email })).statusCode).toBe(202);
    const otp = await mark.nextOtp(user.email, 'reset');
    const newPassword = randomPassword();
    expect((await post(t.app, 'forget-password/confirm', { email: user.email, otp, newPassword })).statusCode).toBe(200);
    expect((await post(t.app, 'login', { email: user.email, password: newPassword })).statusCode).toBe(200);
  });

  it('a locked account with a wrong password also gets the same body, and does not extend the mail flood', async () => {
    const user = await createUser(t.db);
    const bodies = await failLogins(user.email, 10);
    const more = await failLogins(user.email, 3);
    expect(new Set([...bodies, ...more].map((body) => JSON.stringify(JSON.parse(body)))).size).toBe(1);
    await drainJobs(t);
    expect(mailsTo(t.mail, user.email, 'locked')).toHaveLength(1);
  });

  it('password → 202 {otpRequired:true}, no tokens; the mailed code → 200 with a working session', async () => {
    const user = await createUser(t.db, { twoStepLogin: true });
    const mark = mailMark(t.mail);
    const first = await post(t.app, 'login', { email: user.email, password: user.password });
    expect(first.statusCode).toBe(202);
    expect(first.json().otpRequired).toBe(true);
    expect(first.json()).not.toHaveProperty('access');
    expect(first.json()).not.toHaveProperty('refresh');
    expect(await t.db.refreshToken.count({ where: { userId: user.id } })).toBe(0);

    const otp = await mark.nextOtp(user.email, 'login');
    const rid = requestId();
    const verified = await post(t.app, 'login/otp/verify', { email: user.email, otp }, { headers: { 'x-request-id': rid } });
    expect(verified.statusCode).toBe(200);
    expect(verified.json().user).toMatchObject({ id: user.id, twoStepLogin: true });
    expect(await t.db.auditEvent.count({ where: { action: 'login.success', requestId: rid, actorId: user.id } })).toBe(1);
  });

  it('a wrong password with two-step on → 401, and no code is mailed', async () => {
    const user = await createUser(t.db, { twoStepLogin: true });
    expectProblem(await post(t.app, 'login', { email: user.email, password: randomPassword() }), 401, 'invalid_credentials');
    await drainJobs(t);
    expect(mailsTo(t.mail, user.email)).toHaveLength(0);
  });

  it('turning two-step login on through user/me makes the next login ask for a code', async () => {
    const user = await createUser(t.db);
    const login = await post(t.app, 'login', { email: user.email, password: user.password });
    const patched = await t.app.inject({
      method: 'PATCH',
      url: '/v1/api/user/me/',
      headers: { authorization: `Bearer ${login.json().access}` },
      payload: { twoStepLogin: true },
    });
    expect(patched.statusCode).toBe(200);
    const mark = mailMark(t.mail);
    expect((await post(t.app, 'login', { email: user.email, password: user.password })).statusCode).toBe(202);
    const otp = await mark.nextOtp(user.email, 'login');
    expect((await post(t.app, 'login/otp/verify', { email: user.email, otp })).statusCode).toBe(200);
  });
});

// These move the clock (lockout expiry, code expiry, resend cooldown): one at a time.
describe('over time', () => {
  it('10 wrong passwords lock the account: the right password then gets the identical 401 body', async () => {
    const user = await createUser(t.db);
    const lockId = requestId();
    const bodies = await failLogins(user.email, 9);
    const tenth = await post(t.app, 'login', { email: user.email, password: randomPassword() }, { headers: { 'x-request-id': lockId } });
    expectProblem(tenth, 401, 'invalid_credentials');

    const locked = await post(t.app, 'login', { email: user.email, password: user.password });
    expect(locked.statusCode).toBe(401);
    expect(locked.json()).toEqual(JSON.parse(bodies[0]!));
    expect(locked.json()).toEqual(tenth.json());
    expect(locked.headers['content-type']).toBe(tenth.headers['content-type']);

    const lockout = await t.db.auditEvent.findFirst({ where: { action: 'login.lockout', requestId: lockId } });
    expect(lockout).toMatchObject({ actorId: user.id, outcome: 'failure', ip: '127.0.0.1' });
    // The owner is told by mail.
    await t.mail.waitFor((message) => message.to === user.email && message.subject.includes('locked'));

    // Still locked just before the 15 minutes are up...
    t.clock.advance(15 * MINUTE - 5 * SECOND);
    expect((await post(t.app, 'login', { email: user.email, password: user.password })).statusCode).toBe(401);
    // ...and open after them.
    t.clock.advance(10 * SECOND);
    const open = await post(t.app, 'login', { email: user.email, password: user.password });
    expect(open.statusCode).toBe(200);
  });

  it('a wrong code → 400 otp_invalid; an expired code → 400 otp_expired', async () => {
    const user = await createUser(t.db, { twoStepLogin: true });
    const mark = mailMark(t.mail);
    expect((await post(t.app, 'login', { email: user.email, password: user.password })).statusCode).toBe(202);
    const otp = await mark.nextOtp(user.email, 'login');
    expectProblem(await post(t.app, 'login/otp/verify', { email: user.email, otp: wrongCode(otp) }), 400, 'otp_invalid');
    t.clock.advance(10 * MINUTE + SECOND);
    expectProblem(await post(t.app, 'login/otp/verify', { email: user.email, otp }), 400, 'otp_expired');
  });

  it('login/otp/resend sends nothing when no two-step login is waiting, and answers 202 alike', async () => {
    const waiting = await createUser(t.db, { twoStepLogin: true });
    const idle = await createUser(t.db, { twoStepLogin: true });
    const plain = await createUser(t.db);
    expect((await post(t.app, 'login', { email: waiting.email, password: waiting.password })).statusCode).toBe(202);
    t.clock.advance(61 * SECOND);
    const answers = await Promise.all(
      [waiting.email, idle.email, plain.email, randomEmail('ghost')].map((email) => post(t.app, 'login/otp/resend', { email })),
    );
    for (const answer of answers) expect(answer.statusCode).toBe(202);
    expect(new Set(answers.map((answer) => answer.body)).size).toBe(1);
    await drainJobs(t);
    expect(mailsTo(t.mail, waiting.email, 'login')).toHaveLength(2);
    expect(mailsTo(t.mail, idle.email)).toHaveLength(0);
    expect(mailsTo(t.mail, plain.email)).toHaveLength(0);
  });

  it('login/otp/resend within 60 s sends nothing; the resent code replaces the first', async () => {
    const user = await createUser(t.db, { twoStepLogin: true });
    const mark = mailMark(t.mail);
    expect((await post(t.app, 'login', { email: user.email, password: user.password })).statusCode).toBe(202);
    const first = await mark.nextOtp(user.email, 'login');
    expect((await post(t.app, 'login/otp/resend', { email: user.email })).statusCode).toBe(202);
    await drainJobs(t);
    expect(mailsTo(t.mail, user.email, 'login')).toHaveLength(1);

    t.clock.advance(61 * SECOND);
    const again = mailMark(t.mail);
    expect((await post(t.app, 'login/otp/resend', { email: user.email })).statusCode).toBe(202);
    const second = await again.nextOtp(user.email, 'login');
    if (second !== first) {
      expectProblem(await post(t.app, 'login/otp/verify', { email: user.email, otp: first }), 400, 'otp_invalid');
    }
    expect((await post(t.app, 'login/otp/verify', { email: user.email, otp: second })).statusCode).toBe(200);
  });
});
