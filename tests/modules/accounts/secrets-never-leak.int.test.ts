// Canary secrets (passwords, OTP codes, access and refresh tokens) run through every account
// flow; afterwards none of them may appear in the captured logs, the audit trail or the mail
// queue, and no response may carry a password hash.
import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { expect, it } from 'vitest';
import { randomEmail } from '../../helpers/actors.ts';
import { get, mailMark, MINUTE, patch, post, SECOND, wrongCode } from '../../helpers/accounts.ts';
import { useTestApp } from '../../helpers/app.ts';

const t = useTestApp({ env: { LOG_LEVEL: 'trace' } });

/** A 6-digit code standing alone (not inside a longer number, id or decimal). */
const codePattern = (code: string) => new RegExp(`(?<![0-9A-Za-z.])${code}(?![0-9A-Za-z.])`);

it('no password, OTP code or token reaches the logs, the audit trail or the mail queue; no response carries a hash', async () => {
  const responses: LightMyRequestResponse[] = [];
  const record = async (pending: Promise<LightMyRequestResponse>) => {
    const response = await pending;
    responses.push(response);
    return response;
  };

  const email = randomEmail('canary');
  const passwords = [`Canary-One-${randomUUID()}`, `Canary-Two-${randomUUID()}`, `Canary-Three-${randomUUID()}`];
  const codes: string[] = [];
  const tokens: string[] = [];
  const [first, second, third] = passwords as [string, string, string];

  // Registration and activation, with a wrong code on the way.
  let mark = mailMark(t.mail);
  expect((await record(post(t.app, 'register', { email, password: first, firstName: 'Canary' }))).statusCode).toBe(201);
  expect((await record(post(t.app, 'register', { email, password: first, role: 'admin' }))).statusCode).toBe(400);
  const activation = await mark.nextOtp(email, 'activation');
  codes.push(activation);
  expect((await record(post(t.app, 'account/activate', { email, otp: wrongCode(activation) }))).statusCode).toBe(400);
  expect((await record(post(t.app, 'account/activate', { email, otp: activation }))).statusCode).toBe(200);

  // Password logins, right and wrong; a refresh; verify; me; a refresh replay.
  expect((await record(post(t.app, 'login', { email, password: `${first}-wrong` }))).statusCode).toBe(401);
  const loggedIn = await record(post(t.app, 'login', { email, password: first }));
  expect(loggedIn.statusCode).toBe(200);
  const session = loggedIn.json<{ access: string; refresh: string }>();
  tokens.push(session.access, session.refresh);
  const refreshed = await record(post(t.app, 'token/refresh', { refresh: session.refresh }));
  expect(refreshed.statusCode).toBe(200);
  const rotated = refreshed.json<{ access: string; refresh: string }>();
  tokens.push(rotated.access, rotated.refresh);
  expect((await record(post(t.app, 'token/verify', { token: rotated.access }))).statusCode).toBe(200);
  expect((await record(post(t.app, 'token/verify', { token: rotated.refresh }))).statusCode).toBe(401);
  const auth = { authorization: `Bearer ${rotated.access}` };
  expect((await record(get(t.app, 'me', { headers: auth }))).statusCode).toBe(200);
  expect((await record(patch(t.app, 'me', { twoStepLogin: true }, { headers: auth }))).statusCode).toBe(200);
  expect((await record(post(t.app, 'change-password', { oldPassword: `${first}-wrong`, newPassword: second }, { headers: auth }))).statusCode).toBe(400);
  expect((await record(post(t.app, 'change-password', { oldPassword: first, newPassword: second }, { headers: auth }))).statusCode).toBe(200);
  t.clock.advance(2 * MINUTE);
  expect((await record(post(t.app, 'token/refresh', { refresh: session.refresh }))).statusCode).toBe(401);
  expect((await record(get(t.app, 'me', { headers: { authorization: `Bearer ${session.refresh}` } }))).statusCode).toBe(401);

  // Two-step login with a wrong code first.
  mark = mailMark(t.mail);
  expect((await record(post(t.app, 'login', { email, password: second }))).statusCode).toBe(202);
  const loginCode = await mark.nextOtp(email, 'login');
  codes.push(loginCode);
  expect((await record(post(t.app, 'login/otp/verify', { email, otp: wrongCode(loginCode) }))).statusCode).toBe(400);
  const twoStep = await record(post(t.app, 'login/otp/verify', { email, otp: loginCode }));
  expect(twoStep.statusCode).toBe(200);
  const twoStepSession = twoStep.json<{ access: string; refresh: string }>();
  tokens.push(twoStepSession.access, twoStepSession.refresh);
  expect((await record(post(t.app, 'logout', { refresh: twoStepSession.refresh }))).statusCode).toBe(204);

  // Password reset with a wrong code and a policy failure first.
  t.clock.advance(61 * SECOND);
  mark = mailMark(t.mail);
  expect((await record(post(t.app, 'forget-password', { email }))).statusCode).toBe(202);
  const resetCode = await mark.nextOtp(email, 'reset');
  codes.push(resetCode);
  expect((await record(post(t.app, 'forget-password/confirm', { email, otp: wrongCode(resetCode), newPassword: third }))).statusCode).toBe(400);
  expect((await record(post(t.app, 'forget-password/confirm', { email, otp: resetCode, newPassword: 'password123' }))).statusCode).toBe(400);
  expect((await record(post(t.app, 'forget-password/confirm', { email, otp: resetCode, newPassword: third }))).statusCode).toBe(200);
  expect((await record(post(t.app, 'login', { email, password: third }))).statusCode).toBe(202);

  // Let the last mails go out, so their log lines are in.
  await mark.next(email, 'changed');
  codes.push(await mark.nextOtp(email, 'login'));

  const user = await t.db.user.findUniqueOrThrow({ where: { email } });
  const audit = JSON.stringify(await t.db.auditEvent.findMany({ where: { OR: [{ actorId: user.id }, { subject: email }] }, omit: { seq: true } }));
  const queue = JSON.stringify(await t.db.$queryRawUnsafe<{ data: string }[]>("SELECT data::text AS data FROM pgboss.job WHERE name = 'mail'"));
  const logs = t.logs.join('\n');

  // The captures are real: they hold this flow's traces.
  expect(logs).toContain(loggedIn.headers['x-request-id'] as string);
  expect(audit).toContain('login.success');
  expect(audit).toContain('otp.failure');
  expect(audit).toContain('refresh.reuse');
  expect(queue.length).toBeGreaterThan(2);

  for (const [where, text] of [['logs', logs], ['audit_events', audit], ['mail queue', queue]] as const) {
    for (const password of passwords) expect(text, `${where} contain a password`).not.toContain(password);
    for (const token of tokens) expect(text, `${where} contain a token`).not.toContain(token);
    for (const code of codes) expect(text, `${where} contain the OTP ${code}`).not.toMatch(codePattern(code));
    expect(text, `${where} contain the password hash`).not.toContain(user.passwordHash);
  }
  // The mail queue holds only encrypted payloads: not even the recipient is readable.
  expect(queue).not.toContain(email);

  expect(responses.length).toBeGreaterThan(20);
  for (const response of responses) {
    expect(response.body).not.toMatch(/passwordHash|password_hash|\$argon2/i);
    for (const password of passwords) expect(response.body).not.toContain(password);
    for (const code of codes) expect(response.body).not.toMatch(codePattern(code));
  }
});
