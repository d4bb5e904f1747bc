// Access JWTs and refresh sessions: forged tokens, rotation and reuse detection, the refresh
// race, logout, and which sessions survive a password change or reset or a deactivation.
import { createHmac, randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { deriveKey } from '../../../src/lib/keys.ts';
import { bearer, createUser, login, randomPassword, type Tokens } from '../../helpers/actors.ts';
import { get, mailMark, MINUTE, post, SECOND } from '../../helpers/accounts.ts';
import { useTestApp } from '../../helpers/app.ts';
import { expectProblem, requestId } from '../../helpers/http.ts';

const t = useTestApp();

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function decode(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [header, payload] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header!, 'base64url').toString('utf8')),
    payload: JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')),
  };
}

/** A JWT built by hand: header and payload as given, HMAC signature with `key` and `hash`. */
function handMade(header: Record<string, unknown>, payload: Record<string, unknown>, key: Buffer | string, hash = 'sha256'): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  return `${input}.${createHmac(hash, key).update(input).digest('base64url')}`;
}

const jwtKey = () => deriveKey(t.config.secretKey, 'jwt-access');

const me = (access: string) => get(t.app, 'me', { headers: { authorization: `Bearer ${access}` } });

async function expectRejected(access: string) {
  expectProblem(await me(access), 401, 'token_invalid');
  expectProblem(await post(t.app, 'token/verify', { token: access }), 401, 'token_invalid');
}

// First in the file, while the app's connection pool is still cold (as after a start, or after
// idle connections were closed): the second request of a race then waits for a new connection
// and reads the token only after the first one has committed. Both requests were still in
// flight together, so it is a race, not a replay: one answer is 401, the winner keeps working.
describe('refresh race on a cold connection pool', () => {
  it('two concurrent refreshes of one token: exactly one 200 and one 401, and the winner keeps working', async () => {
    const user = await createUser(t.db);
    const tokens = await login(t.app, user);
    const answers = await Promise.all([1, 2].map(() => post(t.app, 'token/refresh', { refresh: tokens.refresh })));
    expect(answers.map((answer) => answer.statusCode).sort()).toEqual([200, 401]);
    const winner = answers.find((answer) => answer.statusCode === 200)!.json<Tokens>();
    expect((await me(winner.access)).statusCode, "winner's access token").toBe(200);
    expect((await post(t.app, 'token/refresh', { refresh: winner.refresh })).statusCode, "winner's refresh token").toBe(200);
  });
});

// Apart from the last block, no test moves the clock and each makes its own users: they run concurrently.
describe.concurrent('forged access tokens', () => {
  let user: Awaited<ReturnType<typeof createUser>>;
  let tokens: Tokens;
  let claims: Record<string, unknown>;

  beforeAll(async () => {
    user = await createUser(t.db);
    tokens = await login(t.app, user);
    claims = decode(tokens.access).payload;
  });

  it('control: a token built by hand with the right key, HS256 and the real claims is accepted', async () => {
    expect(decode(tokens.access).header.alg).toBe('HS256');
    const token = handMade({ alg: 'HS256', typ: 'JWT' }, claims, jwtKey());
    expect((await me(token)).statusCode).toBe(200);
    expect((await post(t.app, 'token/verify', { token })).statusCode).toBe(200);
  });

  it('alg none → 401', async () => {
    const token = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`;
    await expectRejected(token);
    await expectRejected(token.slice(0, -1));
  });

  it('a tampered payload (role changed to admin) with the original signature → 401', async () => {
    const [header, , signature] = tokens.access.split('.');
    const token = `${header}.${b64url({ ...claims, role: 'admin' })}.${signature}`;
    await expectRejected(token);
    expectProblem(await get(t.app, 'list', { headers: { authorization: `Bearer ${token}` } }), 401, 'token_invalid');
  });

  it('a token signed with a wrong key → 401', async () => {
    await expectRejected(handMade({ alg: 'HS256', typ: 'JWT' }, claims, randomBytes(32)));
    await expectRejected(handMade({ alg: 'HS256', typ: 'JWT' }, claims, t.config.secretKey));
  });

  it('HS512 or RS256 headers → 401, even with the right key', async () => {
    await expectRejected(handMade({ alg: 'HS512', typ: 'JWT' }, claims, jwtKey(), 'sha512'));
    await expectRejected(handMade({ alg: 'HS384', typ: 'JWT' }, claims, jwtKey(), 'sha384'));
    await expectRejected(handMade({ alg: 'RS256', typ: 'JWT' }, claims, jwtKey()));
  });

  it('wrong issuer or audience, or a missing sid → 401 even with the right key', async () => {
    await expectRejected(handMade({ alg: 'HS256', typ: 'JWT' }, { ...claims, iss: 'someone-else' }, jwtKey()));
    await expectRejected(handMade({ alg: 'HS256', typ: 'JWT' }, { ...claims, aud: 'someone-else' }, jwtKey()));
    const { sid: _sid, ...withoutSid } = claims;
    await expectRejected(handMade({ alg: 'HS256', typ: 'JWT' }, withoutSid, jwtKey()));
  });

  it('the role comes from the database, not from the token: a validly signed role=admin claim does not open admin routes', async () => {
    const token = handMade({ alg: 'HS256', typ: 'JWT' }, { ...claims, role: 'admin' }, jwtKey());
    expectProblem(await get(t.app, 'list', { headers: { authorization: `Bearer ${token}` } }), 403, 'forbidden');
  });

  it('a refresh token used as an access token → 401', async () => {
    expectProblem(await me(tokens.refresh), 401, 'token_invalid');
  });

  it('token/verify with a refresh token → 401 token_invalid', async () => {
    expectProblem(await post(t.app, 'token/verify', { token: tokens.refresh }), 401, 'token_invalid');
  });

  it('no token → 401 unauthorized; a non-Bearer header → 401', async () => {
    expectProblem(await get(t.app, 'me'), 401, 'unauthorized');
    expectProblem(await post(t.app, 'change-password', { oldPassword: 'x', newPassword: 'y' }), 401, 'unauthorized');
    const basic = await get(t.app, 'me', { headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } });
    expect(basic.statusCode).toBe(401);
  });
});

describe.concurrent('refresh rotation', () => {

  it('a chain of rotations keeps working, and the access token carries the same session id', async () => {
    const user = await createUser(t.db);
    let tokens = await login(t.app, user);
    const sid = decode(tokens.access).payload.sid;
    for (let i = 0; i < 3; i++) {
      const response = await post(t.app, 'token/refresh', { refresh: tokens.refresh });
      expect(response.statusCode).toBe(200);
      tokens = response.json();
      expect(decode(tokens.access).payload.sid).toBe(sid);
    }
    expect((await me(tokens.access)).statusCode).toBe(200);
  });

  it('refresh tokens are stored only as hashes', async () => {
    const user = await createUser(t.db);
    const tokens = await login(t.app, user);
    const rows = await t.db.refreshToken.findMany({ where: { userId: user.id } });
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(tokens.refresh);
  });

  it('an unknown refresh token → 401 token_invalid', async () => {
    expectProblem(await post(t.app, 'token/refresh', { refresh: randomBytes(32).toString('base64url') }), 401, 'token_invalid');
  });

  it('two concurrent refreshes of one token: exactly one 200 and one 401, and the winner keeps working', async () => {
    for (let round = 0; round < 3; round++) {
      const user = await createUser(t.db);
      const tokens = await login(t.app, user);
      const answers = await Promise.all([1, 2].map(() => post(t.app, 'token/refresh', { refresh: tokens.refresh })));
      expect(answers.map((answer) => answer.statusCode).sort(), `round ${round}`).toEqual([200, 401]);
      const winner = answers.find((answer) => answer.statusCode === 200)!.json<Tokens>();
      expectProblem(answers.find((answer) => answer.statusCode === 401)!, 401, 'token_invalid');
      expect((await me(winner.access)).statusCode, `round ${round}: winner's access`).toBe(200);
      const next = await post(t.app, 'token/refresh', { refresh: winner.refresh });
      expect(next.statusCode, `round ${round}: winner's refresh`).toBe(200);
    }
  });
});

describe.concurrent('logout', () => {
  it('revokes the family: its refresh → 401 and its access token → 401; other sessions live on', async () => {
    const user = await createUser(t.db);
    const session = await login(t.app, user);
    const other = await login(t.app, user);
    const rotated = (await post(t.app, 'token/refresh', { refresh: session.refresh })).json<Tokens>();

    const response = await post(t.app, 'logout', { refresh: rotated.refresh });
    expect(response.statusCode).toBe(204);
    expectProblem(await post(t.app, 'token/refresh', { refresh: rotated.refresh }), 401, 'token_invalid');
    expectProblem(await me(rotated.access), 401, 'token_invalid');
    expectProblem(await me(session.access), 401, 'token_invalid');
    expectProblem(await post(t.app, 'token/verify', { token: rotated.access }), 401, 'token_invalid');

    expect((await me(other.access)).statusCode).toBe(200);
    expect((await post(t.app, 'token/refresh', { refresh: other.refresh })).statusCode).toBe(200);
  });
});

describe.concurrent('sessions and passwords', () => {
  it('change-password keeps the caller’s session and revokes every other one', async () => {
    const user = await createUser(t.db);
    const mine = await login(t.app, user);
    const otherA = await login(t.app, user);
    const otherB = await login(t.app, user);

    const response = await post(t.app, 'change-password', { oldPassword: user.password, newPassword: randomPassword() }, { headers: bearer(mine) });
    expect(response.statusCode).toBe(200);

    expect((await me(mine.access)).statusCode).toBe(200);
    const refreshed = await post(t.app, 'token/refresh', { refresh: mine.refresh });
    expect(refreshed.statusCode).toBe(200);
    expect((await me(refreshed.json().access)).statusCode).toBe(200);

    for (const other of [otherA, otherB]) {
      expectProblem(await post(t.app, 'token/refresh', { refresh: other.refresh }), 401, 'token_invalid');
      expectProblem(await me(other.access), 401, 'token_invalid');
    }
  });

  it('a wrong oldPassword → 400 invalid_credentials, and no session is touched', async () => {
    const user = await createUser(t.db);
    const mine = await login(t.app, user);
    const other = await login(t.app, user);
    const response = await post(t.app, 'change-password', { oldPassword: randomPassword(), newPassword: randomPassword() }, { headers: bearer(mine) });
    expectProblem(response, 400, 'invalid_credentials');
    expect((await me(mine.access)).statusCode).toBe(200);
    expect((await me(other.access)).statusCode).toBe(200);
    await login(t.app, user);
  });

  it('a password reset revokes every session', async () => {
    const user = await createUser(t.db);
    const sessions = [await login(t.app, user), await login(t.app, user)];
    const mark = mailMark(t.mail);
    expect((await post(t.app, 'forget-password', { email: user.email })).statusCode).toBe(202);
    const otp = await mark.nextOtp(user.email, 'reset');
    expect((await post(t.app, 'forget-password/confirm', { email: user.email, otp, newPassword: randomPassword() })).statusCode).toBe(200);
    for (const session of sessions) {
      expectProblem(await me(session.access), 401, 'token_invalid');
      expectProblem(await post(t.app, 'token/refresh', { refresh: session.refresh }), 401, 'token_invalid');
    }
  });
});

describe.concurrent('deactivated users', () => {
  it('an access token of a user set inactive answers 401 on the next request, and its refresh → 401', async () => {
    const user = await createUser(t.db);
    const tokens = await login(t.app, user);
    expect((await me(tokens.access)).statusCode).toBe(200);
    await t.db.user.update({ where: { id: user.id }, data: { isActive: false } });
    expectProblem(await me(tokens.access), 401, 'token_invalid');
    expectProblem(await post(t.app, 'token/verify', { token: tokens.access }), 401, 'token_invalid');
    expectProblem(await post(t.app, 'token/refresh', { refresh: tokens.refresh }), 401, 'token_invalid');
  });

  it('a role change in the database applies on the next request', async () => {
    const user = await createUser(t.db);
    const tokens = await login(t.app, user);
    expectProblem(await get(t.app, 'list', { headers: bearer(tokens) }), 403, 'forbidden');
    await t.db.user.update({ where: { id: user.id }, data: { role: 'admin' } });
    expect((await get(t.app, 'list', { headers: bearer(tokens) })).statusCode).toBe(200);
  });

  it('user/me answers the row the session check read on this request: changes show on the next request, a deleted user → 401', async () => {
    // The auth hook's statement reads the user row that user/me answers with: nothing is kept
    // between requests, so what changed in the database shows at once.
    const user = await createUser(t.db);
    const tokens = await login(t.app, user);
    const before = await me(tokens.access);
    expect(before.statusCode).toBe(200);
    expect(before.json()).toMatchObject({ id: user.id, email: user.email, role: 'patient', isActive: true });
    await t.db.user.update({ where: { id: user.id }, data: { firstName: 'Renamed', phone: '+15550100', role: 'doctor' } });
    const after = await me(tokens.access);
    expect(after.statusCode).toBe(200);
    expect(after.json()).toEqual({ ...before.json(), firstName: 'Renamed', phone: '+15550100', role: 'doctor' });
    await t.db.user.update({ where: { id: user.id }, data: { deletedAt: new Date() } });
    expectProblem(await me(tokens.access), 401, 'token_invalid');
  });
});

// These move the clock: one at a time, after everything else.
describe('over time', () => {
  it('rotation issues a new pair; replaying the spent refresh → 401 and revokes the whole family', async () => {
    const user = await createUser(t.db);
    const first = await login(t.app, user);
    const other = await login(t.app, user);

    const rotated = await post(t.app, 'token/refresh', { refresh: first.refresh });
    expect(rotated.statusCode).toBe(200);
    const second = rotated.json<Tokens>();
    expect((await me(second.access)).statusCode).toBe(200);

    // A stolen token is replayed later, not in the same instant (a server may forgive a spent
    // token shown again within a few seconds, as the loser of a refresh race).
    t.clock.advance(2 * MINUTE);
    const rid = requestId();
    expectProblem(await post(t.app, 'token/refresh', { refresh: first.refresh }, { headers: { 'x-request-id': rid } }), 401, 'token_invalid');
    // The token from that rotation is dead too, and so is every access token of the session.
    expectProblem(await post(t.app, 'token/refresh', { refresh: second.refresh }), 401, 'token_invalid');
    expectProblem(await me(second.access), 401, 'token_invalid');
    expectProblem(await me(first.access), 401, 'token_invalid');
    expectProblem(await post(t.app, 'token/verify', { token: second.access }), 401, 'token_invalid');

    // Another session of the same user is untouched.
    expect((await me(other.access)).statusCode).toBe(200);
    expect((await post(t.app, 'token/refresh', { refresh: other.refresh })).statusCode).toBe(200);

    const event = await t.db.auditEvent.findFirst({ where: { action: 'refresh.reuse', requestId: rid } });
    expect(event).toMatchObject({ actorId: user.id, outcome: 'failure', ip: '127.0.0.1' });
  });

  it('an expired token (clock past 5 minutes) → 401, while a fresh login works', async () => {
    const user = await createUser(t.db);
    const fresh = await login(t.app, user);
    expect((await me(fresh.access)).statusCode).toBe(200);
    t.clock.advance(5 * MINUTE + SECOND);
    await expectRejected(fresh.access);
    // Its session is alive: the refresh token still gives a working access token.
    const refreshed = await post(t.app, 'token/refresh', { refresh: fresh.refresh });
    expect(refreshed.statusCode).toBe(200);
    expect((await me(refreshed.json().access)).statusCode).toBe(200);
  });

  it('a refresh token past its 7 days → 401', async () => {
    const user = await createUser(t.db);
    const tokens = await login(t.app, user);
    t.clock.advance(7 * 24 * 60 * MINUTE + SECOND);
    expectProblem(await post(t.app, 'token/refresh', { refresh: tokens.refresh }), 401, 'token_invalid');
  });
});
