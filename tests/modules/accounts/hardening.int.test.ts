// The accounts hardening review: enumeration by work done, control characters and data errors,
// forged tokens, two-step login bound to the password step, turning two-step off, the absolute
// session lifetime, forwarded addresses, change-password lockout and the purge of accounts
// never activated.
import { describe, expect, it } from 'vitest';
import { passwordOperationCounts } from '../../../src/lib/password.ts';
import { purgeUnactivatedAccounts } from '../../../src/modules/accounts/accounts.jobs.ts';
import { bearer, createUser, login, loginAs, randomEmail, randomPassword } from '../../helpers/actors.ts';
import { get, mailMark, mailsTo, MINUTE, patch, post, wrongCode } from '../../helpers/accounts.ts';
import { buildTestApp, useTestApp } from '../../helpers/app.ts';
import { expectFieldError, expectProblem, requestId } from '../../helpers/http.ts';
import { drainJobs } from '../../helpers/wait.ts';
import { decodeToken, forgeAccessToken } from '../../helpers/tokens.ts';

const t = useTestApp();
// No worker here: the jobs a request enqueues stay queued, so counting them is exact.
const quiet = useTestApp({ env: { WORKER_ENABLED: 'false' } });

/** Jobs in the queue tables now, by queue name. */
async function jobCounts(): Promise<Record<string, number>> {
  const rows = await quiet.db.$queryRaw<{ name: string; count: number }[]>`SELECT name, count(*)::int AS count FROM pgboss.job GROUP BY name`;
  return Object.fromEntries(rows.map((row) => [row.name, row.count]));
}

/** What one request costs: argon2 operations and jobs enqueued, by queue. */
async function workOf(send: () => Promise<unknown>) {
  const hashesBefore = passwordOperationCounts();
  const jobsBefore = await jobCounts();
  await send();
  const hashesAfter = passwordOperationCounts();
  const jobsAfter = await jobCounts();
  const jobs = Object.fromEntries(
    Object.entries(jobsAfter)
      .map(([name, count]) => [name, count - (jobsBefore[name] ?? 0)] as const)
      .filter(([, delta]) => delta !== 0),
  );
  return {
    hashes: hashesAfter.hashes - hashesBefore.hashes,
    verifications: hashesAfter.verifications - hashesBefore.verifications,
    jobs,
  };
}

// Sequential: the work counters are per process, so no other request may run meanwhile.
describe('both branches of an enumeration-sensitive route do the same work', () => {
  it('register: a new email and an existing active one cost one hash and one registration job, nothing else', async () => {
    const active = await createUser(quiet.db);
    const fresh = await workOf(() => post(quiet.app, 'register', { email: randomEmail('new'), password: randomPassword() }));
    const existing = await workOf(() => post(quiet.app, 'register', { email: active.email, password: randomPassword() }));
    expect(fresh).toEqual({ hashes: 1, verifications: 0, jobs: { 'accounts.registration': 1 } });
    expect(existing).toEqual(fresh);
  });

  it.each(['forget-password', 'forget-password/otp/send', 'account/activate/otp/resend', 'login/otp/resend'])(
    '%s: a known and an unknown email cost one send-code job and no hash',
    async (path) => {
      const known = await createUser(quiet.db, { twoStepLogin: true });
      const forKnown = await workOf(() => post(quiet.app, path, { email: known.email }));
      const forUnknown = await workOf(() => post(quiet.app, path, { email: randomEmail('ghost') }));
      expect(forKnown).toEqual({ hashes: 0, verifications: 0, jobs: { 'accounts.send-code': 1 } });
      expect(forUnknown).toEqual(forKnown);
    },
  );

  it('forget-password/confirm: an unknown email costs the hash that a known one costs', async () => {
    const known = await createUser(quiet.db);
    const body = { otp: '123456', newPassword: randomPassword() };
    const forKnown = await workOf(() => post(quiet.app, 'forget-password/confirm', { ...body, email: known.email }));
    const forUnknown = await workOf(() => post(quiet.app, 'forget-password/confirm', { ...body, email: randomEmail('ghost') }));
    expect(forKnown).toEqual({ hashes: 1, verifications: 0, jobs: {} });
    expect(forUnknown).toEqual(forKnown);
  });

  it('the send-code job mails only an account that may get a code', async () => {
    const known = await createUser(t.db);
    const ghost = randomEmail('ghost');
    await post(t.app, 'forget-password', { email: known.email });
    await post(t.app, 'forget-password', { email: ghost });
    await drainJobs(t);
    expect(mailsTo(t.mail, known.email, 'reset')).toHaveLength(1);
    expect(mailsTo(t.mail, ghost)).toHaveLength(0);
  });
});

describe.concurrent('control characters and data errors', () => {
  it.each(['\u0000', '\u0007', '\r\n', '\u001b[31m', '\u007f'])('a %j in firstName → 400 naming it, for a new and an existing email alike', async (control) => {
    const existing = await createUser(t.db);
    for (const email of [randomEmail('nul'), existing.email]) {
      const response = await post(t.app, 'register', { email, password: randomPassword(), firstName: `Ann${control}Lee` });
      expectFieldError(response, 'firstName');
    }
  });

  it('a NUL byte in a login password or a search answers 4xx, never 500', async () => {
    const admin = await loginAs(t, 'admin');
    expectProblem(await post(t.app, 'login', { email: randomEmail(), password: 'pass\u0000word' }), 400, 'validation_failed');
    expectProblem(await get(t.app, 'list?search=%00x', { headers: admin.headers }), 400, 'validation_failed');
  });

  it('a correctly signed access token whose sub or sid is not a UUID → 401 token_invalid, not 500', async () => {
    const { user, tokens } = await loginAs(t, 'patient');
    const { sid } = decodeToken<{ sid: string }>(tokens.access);
    for (const claims of [
      { sub: 'not-a-uuid', role: 'patient', sid },
      { sub: user.id, role: 'patient', sid: "x' OR 1=1 --" },
    ]) {
      const forged = forgeAccessToken(t.config, { ...claims, jti: crypto.randomUUID() });
      expectProblem(await get(t.app, 'me', { headers: { authorization: `Bearer ${forged}` } }), 401, 'token_invalid');
      expectProblem(await post(t.app, 'token/verify', { token: forged }), 401, 'token_invalid');
    }
  });
});

describe('two-step login is bound to the password step', () => {
  async function twoStepUser() {
    const user = await createUser(t.db, { twoStepLogin: true });
    const mark = mailMark(t.mail);
    expect((await post(t.app, 'login', { email: user.email, password: user.password })).statusCode).toBe(202);
    return { user, code: await mark.nextOtp(user.email, 'login') };
  }

  it('after a finished two-step login, resend issues nothing and verify answers otp_invalid', async () => {
    const { user, code } = await twoStepUser();
    expect((await post(t.app, 'login/otp/verify', { email: user.email, otp: code })).statusCode).toBe(200);
    t.clock.advance(2 * MINUTE);
    expect((await post(t.app, 'login/otp/resend', { email: user.email })).statusCode).toBe(202);
    await drainJobs(t);
    expect(mailsTo(t.mail, user.email, 'login')).toHaveLength(1);
    expectProblem(await post(t.app, 'login/otp/verify', { email: user.email, otp: code }), 400, 'otp_invalid');
  });

  it('with no password step at all, resend sends nothing', async () => {
    const user = await createUser(t.db, { twoStepLogin: true });
    expect((await post(t.app, 'login/otp/resend', { email: user.email })).statusCode).toBe(202);
    await drainJobs(t);
    expect(mailsTo(t.mail, user.email)).toHaveLength(0);
  });

  it('a resent code expires with the password step that opened the challenge', async () => {
    const { user } = await twoStepUser();
    t.clock.advance(2 * MINUTE);
    const mark = mailMark(t.mail);
    expect((await post(t.app, 'login/otp/resend', { email: user.email })).statusCode).toBe(202);
    const resent = await mark.nextOtp(user.email, 'login');
    t.clock.advance(9 * MINUTE); // 11 minutes after the password step, 9 after the resend
    expectProblem(await post(t.app, 'login/otp/verify', { email: user.email, otp: resent }), 400, 'otp_expired');
  });

  it('while the account is locked, even the right code answers otp_invalid', async () => {
    const { user, code } = await twoStepUser();
    await t.db.user.update({ where: { email: user.email }, data: { lockedUntil: new Date(t.clock.now().getTime() + 10 * MINUTE) } });
    expectProblem(await post(t.app, 'login/otp/verify', { email: user.email, otp: code }), 400, 'otp_invalid');
  });

  it('wrong codes count toward the lockout', async () => {
    const { user, code } = await twoStepUser();
    await t.db.user.update({ where: { email: user.email }, data: { failedLoginCount: 9 } });
    const id = requestId();
    expectProblem(await post(t.app, 'login/otp/verify', { email: user.email, otp: wrongCode(code) }, { headers: { 'x-request-id': id } }), 400, 'otp_invalid');
    const row = await t.db.user.findUniqueOrThrow({ where: { email: user.email } });
    expect(row.lockedUntil!.getTime()).toBeGreaterThan(t.clock.now().getTime());
    expect(await t.db.auditEvent.count({ where: { requestId: id, action: 'login.lockout' } })).toBe(1);
  });
});

describe('turning two-step login off', () => {
  it('needs currentPassword: missing → 400 naming it, wrong → 400 invalid_credentials; right → off, and the owner is mailed', async () => {
    const { user, headers } = await loginAs(t, 'patient');
    await t.db.user.update({ where: { email: user.email }, data: { twoStepLogin: true } });
    expectFieldError(await patch(t.app, 'me', { twoStepLogin: false }, { headers }), 'currentPassword');
    expectProblem(await patch(t.app, 'me', { twoStepLogin: false, currentPassword: randomPassword() }, { headers }), 400, 'invalid_credentials');
    expect((await t.db.user.findUniqueOrThrow({ where: { email: user.email } })).twoStepLogin).toBe(true);

    const mark = mailMark(t.mail);
    const off = await patch(t.app, 'me', { twoStepLogin: false, currentPassword: user.password }, { headers });
    expect(off.statusCode).toBe(200);
    expect(off.json().twoStepLogin).toBe(false);
    const mail = await mark.next(user.email, 'twoStep');
    expect(mail.subject).toContain('off');
  });

  it('turning it on needs no password, and mails the owner too', async () => {
    const { user, headers } = await loginAs(t, 'patient');
    const mark = mailMark(t.mail);
    const on = await patch(t.app, 'me', { twoStepLogin: true }, { headers });
    expect(on.statusCode).toBe(200);
    expect((await mark.next(user.email, 'twoStep')).subject).toContain('on');
  });

  it('a wrong currentPassword counts toward the lockout', async () => {
    const { user, headers } = await loginAs(t, 'patient');
    await t.db.user.update({ where: { email: user.email }, data: { twoStepLogin: true } });
    await patch(t.app, 'me', { twoStepLogin: false, currentPassword: randomPassword() }, { headers });
    expect((await t.db.user.findUniqueOrThrow({ where: { email: user.email } })).failedLoginCount).toBe(1);
  });
});

describe('change-password', () => {
  it('a wrong oldPassword counts toward the lockout and is audited', async () => {
    const { user, headers } = await loginAs(t, 'patient');
    const id = requestId();
    const response = await post(t.app, 'change-password', { oldPassword: randomPassword(), newPassword: randomPassword() }, { headers: { ...headers, 'x-request-id': id } });
    expectProblem(response, 400, 'invalid_credentials');
    expect((await t.db.user.findUniqueOrThrow({ where: { email: user.email } })).failedLoginCount).toBe(1);
    const audit = await t.db.auditEvent.findFirstOrThrow({ where: { requestId: id } });
    expect(audit).toMatchObject({ action: 'login.failure', outcome: 'failure', actorId: user.id });
  });
});

describe('forwarded client addresses', () => {
  it('an X-Forwarded-For that is not an IP address never reaches the audit trail', async () => {
    const proxied = await buildTestApp({ env: { TRUST_PROXY: 'true' }, databaseUrl: t.config.database.url });
    try {
      const id = requestId();
      const response = await post(
        proxied.app,
        'login',
        { email: randomEmail('ghost'), password: randomPassword() },
        { headers: { 'x-forwarded-for': 'a'.repeat(60), 'x-request-id': id }, ip: '127.0.0.9' },
      );
      expectProblem(response, 401, 'invalid_credentials');
      const audit = await t.db.auditEvent.findFirstOrThrow({ where: { requestId: id } });
      expect(audit.ip).toBe('127.0.0.9');
    } finally {
      await proxied.app.close();
      await proxied.db.$disconnect();
    }
  });
});

describe('never-activated accounts', () => {
  it('are deleted 7 days after registration; younger ones and active ones stay', async () => {
    const now = t.clock.now();
    const days = (n: number) => new Date(now.getTime() - n * 24 * 60 * MINUTE);
    const old = await createUser(t.db, { isActive: false });
    const young = await createUser(t.db, { isActive: false });
    const activeOld = await createUser(t.db);
    await t.db.user.update({ where: { id: old.id }, data: { createdAt: days(8) } });
    await t.db.user.update({ where: { id: young.id }, data: { createdAt: days(6) } });
    await t.db.user.update({ where: { id: activeOld.id }, data: { createdAt: days(30) } });
    expect(await purgeUnactivatedAccounts({ db: t.db, clock: t.clock })).toBeGreaterThanOrEqual(1);
    expect(await t.db.user.count({ where: { id: old.id } })).toBe(0);
    expect(await t.db.user.count({ where: { id: { in: [young.id, activeOld.id] } } })).toBe(2);
  });

  it('the purge runs as a daily scheduled job', async () => {
    const [schedule] = await t.db.$queryRaw<{ cron: string }[]>`SELECT cron FROM pgboss.schedule WHERE name = 'accounts.purge-unactivated'`;
    expect(schedule?.cron).toBe('17 3 * * *');
  });
});

describe('the absolute session lifetime', () => {
  const s = useTestApp({ env: { JWT_REFRESH_LIFETIME: '45m', JWT_SESSION_MAX_LIFETIME: '1h' } });

  it('a session ends JWT_SESSION_MAX_LIFETIME after login, however often it rotated', async () => {
    const user = await createUser(s.db);
    let { refresh } = await login(s.app, user);
    s.clock.advance(40 * MINUTE);
    const rotated = await post(s.app, 'token/refresh', { refresh });
    expect(rotated.statusCode).toBe(200);
    refresh = rotated.json().refresh;
    // 50 minutes after login: the rotated token (10 minutes old) still works...
    s.clock.advance(10 * MINUTE);
    const again = await post(s.app, 'token/refresh', { refresh });
    expect(again.statusCode).toBe(200);
    // ...but 61 minutes after login the session is over, though its latest token is 11 minutes old.
    s.clock.advance(11 * MINUTE);
    expectProblem(await post(s.app, 'token/refresh', { refresh: again.json().refresh }), 401, 'token_invalid');
    expectProblem(await get(s.app, 'me', { headers: bearer(again.json()) }), 401, 'token_invalid');
  });
});
