// The wrong-code counter answers alike for every email (issue 18 M2): an account with a live
// code, an account without one, and an email nobody registered get the same six answers, the
// fifth being otp_attempts_exceeded, and a new send resets them alike.
import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { createUser, randomEmail, randomPassword } from '../../helpers/actors.ts';
import { mailMark, MINUTE, post, SECOND, wrongCode } from '../../helpers/accounts.ts';
import { useTestApp } from '../../helpers/app.ts';
import { drainJobs } from '../../helpers/wait.ts';

const t = useTestApp();

const WRONG = '000000';

/** What a client sees of an answer: its status and whole body. */
const seen = (response: LightMyRequestResponse) => ({ status: response.statusCode, body: response.json<unknown>() });

async function sixWrongResets(email: string, otp = WRONG) {
  const answers = [];
  for (let i = 0; i < 6; i += 1) {
    answers.push(seen(await post(t.app, 'forget-password/confirm', { email, otp, newPassword: randomPassword() })));
  }
  return answers;
}

async function sixWrongActivations(email: string, otp = WRONG) {
  const answers = [];
  for (let i = 0; i < 6; i += 1) answers.push(seen(await post(t.app, 'account/activate', { email, otp })));
  return answers;
}

const expectedCodes = ['otp_invalid', 'otp_invalid', 'otp_invalid', 'otp_invalid', 'otp_attempts_exceeded', 'otp_attempts_exceeded'];
const codesOf = (answers: { body: unknown }[]) => answers.map((answer) => (answer.body as { code: string }).code);

describe.concurrent('wrong codes answer alike for every email', () => {
  it('forget-password/confirm: an account with a live reset code and an unknown email', async () => {
    const user = await createUser(t.db);
    const unknown = randomEmail('nobody');
    const mark = mailMark(t.mail);
    expect((await post(t.app, 'forget-password', { email: user.email })).statusCode).toBe(202);
    expect((await post(t.app, 'forget-password', { email: unknown })).statusCode).toBe(202);
    const code = await mark.nextOtp(user.email, 'reset');
    await drainJobs(t);

    const real = await sixWrongResets(user.email, wrongCode(code));
    const none = await sixWrongResets(unknown, wrongCode(code));
    expect(none).toEqual(real);
    expect(real.every((answer) => answer.status === 400)).toBe(true);
    expect(codesOf(real)).toEqual(expectedCodes);
    // Burned: even the right code is refused now.
    const right = await post(t.app, 'forget-password/confirm', { email: user.email, otp: code, newPassword: randomPassword() });
    expect(right.json().code).toBe('otp_attempts_exceeded');
  });

  it('forget-password/confirm: an account that never asked for a code and an unknown email', async () => {
    const user = await createUser(t.db);
    const real = await sixWrongResets(user.email);
    const none = await sixWrongResets(randomEmail('nobody'));
    expect(none).toEqual(real);
    expect(codesOf(real)).toEqual(expectedCodes);
  });

  it('account/activate: a fresh registration, an active account and an unknown email', async () => {
    const email = randomEmail('pending');
    const mark = mailMark(t.mail);
    expect((await post(t.app, 'register', { email, password: randomPassword() })).statusCode).toBe(201);
    const otp = await mark.nextOtp(email, 'activation');
    const active = await createUser(t.db);

    const wrong = wrongCode(otp);
    const pending = await sixWrongActivations(email, wrong);
    expect(await sixWrongActivations(active.email, wrong)).toEqual(pending);
    expect(await sixWrongActivations(randomEmail('nobody'), wrong)).toEqual(pending);
    expect(codesOf(pending)).toEqual(expectedCodes);
  });
});

describe('the counter resets and expires alike', () => {
  it('a new send resets it for an account and an unknown email; the cooldown holds for both', async () => {
    const user = await createUser(t.db);
    const unknown = randomEmail('nobody');
    const mark = mailMark(t.mail);
    for (const email of [user.email, unknown]) expect((await post(t.app, 'forget-password', { email })).statusCode).toBe(202);
    const first = wrongCode(await mark.nextOtp(user.email, 'reset'));
    await drainJobs(t);
    expect(codesOf(await sixWrongResets(user.email, first))).toEqual(codesOf(await sixWrongResets(unknown, first)));

    // Within the cooldown a resend sends nothing: both stay burned.
    for (const email of [user.email, unknown]) expect((await post(t.app, 'forget-password/otp/resend', { email })).statusCode).toBe(202);
    await drainJobs(t);
    const burned = [user.email, unknown].map((email) => post(t.app, 'forget-password/confirm', { email, otp: WRONG, newPassword: randomPassword() }));
    expect((await Promise.all(burned)).map((response) => response.json().code)).toEqual(['otp_attempts_exceeded', 'otp_attempts_exceeded']);

    // Past it, a resend starts both afresh.
    t.clock.advance(61 * SECOND);
    const again = mailMark(t.mail);
    for (const email of [user.email, unknown]) expect((await post(t.app, 'forget-password/otp/resend', { email })).statusCode).toBe(202);
    const second = wrongCode(await again.nextOtp(user.email, 'reset'));
    await drainJobs(t);
    const real = await sixWrongResets(user.email, second);
    expect(await sixWrongResets(unknown, second)).toEqual(real);
    expect(codesOf(real)).toEqual(expectedCodes);
  });

  it('a sent code expires for an account and an unknown email alike (otp_expired)', async () => {
    const user = await createUser(t.db);
    const unknown = randomEmail('nobody');
    const mark = mailMark(t.mail);
    for (const email of [user.email, unknown]) expect((await post(t.app, 'forget-password', { email })).statusCode).toBe(202);
    const otp = await mark.nextOtp(user.email, 'reset');
    await drainJobs(t);
    t.clock.advance(10 * MINUTE + SECOND);
    const real = seen(await post(t.app, 'forget-password/confirm', { email: user.email, otp, newPassword: randomPassword() }));
    const none = seen(await post(t.app, 'forget-password/confirm', { email: unknown, otp, newPassword: randomPassword() }));
    expect(none).toEqual(real);
    expect(codesOf([real])).toEqual(['otp_expired']);
  });
});
