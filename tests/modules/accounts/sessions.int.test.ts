// user/sessions/: the caller's live sessions with their last use, address and User-Agent, and
// ending one of them, whose access tokens then stop at once; never another user's session.
import { describe, expect, it } from 'vitest';
import { bearer, createUser, type TestUser } from '../../helpers/actors.ts';
import { get, post } from '../../helpers/accounts.ts';
import { useTestApp } from '../../helpers/app.ts';
import { expectProblem, request, type RequestOptions } from '../../helpers/http.ts';

const t = useTestApp();

const endSession = (id: string, options: RequestOptions = {}) => request(t.app, 'DELETE', `user/sessions/${id}`, undefined, options);

interface SessionInfo {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  ip: string | null;
  userAgent: string | null;
  current: boolean;
}

/** Logs in from `ip` with `userAgent`; answers the tokens and the session id (`sid`) they carry. */
async function loginFrom(user: TestUser, ip: string, userAgent: string) {
  const response = await post(t.app, 'login', { email: user.email, password: user.password }, { ip, headers: { 'user-agent': userAgent } });
  expect(response.statusCode).toBe(200);
  const tokens = response.json<{ access: string; refresh: string }>();
  const claims = JSON.parse(Buffer.from(tokens.access.split('.')[1]!, 'base64url').toString()) as { sid: string };
  return { ...tokens, sid: claims.sid };
}

const sessionsOf = async (access: string) => {
  const response = await get(t.app, 'sessions', { headers: bearer({ access }) });
  expect(response.statusCode).toBe(200);
  return response.json<SessionInfo[]>();
};

describe.concurrent('user/sessions', () => {
  it('lists the live sessions with address, User-Agent and last use, marking the current one; a refresh updates them', async () => {
    const user = await createUser(t.db);
    const laptop = await loginFrom(user, '203.0.113.10', 'Laptop/1.0');
    const phone = await loginFrom(user, '198.51.100.7', 'Phone/2.0');

    const listed = await sessionsOf(laptop.access);
    expect(listed.map((session) => session.id)).toEqual([phone.sid, laptop.sid]);
    expect(listed[0]).toMatchObject({ ip: '198.51.100.7', userAgent: 'Phone/2.0', current: false });
    expect(listed[1]).toMatchObject({ ip: '203.0.113.10', userAgent: 'Laptop/1.0', current: true });
    expect(Object.keys(listed[0]!).sort()).toEqual(['createdAt', 'current', 'id', 'ip', 'lastUsedAt', 'userAgent']);

    // A refresh from elsewhere is the laptop session's latest use; it started at its login still.
    const refreshed = await post(t.app, 'token/refresh', { refresh: laptop.refresh }, { ip: '192.0.2.55', headers: { 'user-agent': 'Laptop/1.1' } });
    expect(refreshed.statusCode).toBe(200);
    const after = await sessionsOf(phone.access);
    const laptopAfter = after.find((session) => session.id === laptop.sid)!;
    expect(laptopAfter).toMatchObject({ ip: '192.0.2.55', userAgent: 'Laptop/1.1', current: false, createdAt: listed[1]!.createdAt });
    expect(Date.parse(laptopAfter.lastUsedAt)).toBeGreaterThanOrEqual(Date.parse(listed[1]!.lastUsedAt));
    expect(after.map((session) => session.id)).toEqual([laptop.sid, phone.sid]);
  });

  it('ending a session stops its access and refresh tokens at once; the other session goes on', async () => {
    const user = await createUser(t.db);
    const kept = await loginFrom(user, '203.0.113.20', 'Kept/1.0');
    const ended = await loginFrom(user, '203.0.113.21', 'Ended/1.0');
    expect((await get(t.app, 'me', { headers: bearer(ended) })).statusCode).toBe(200);

    expect((await endSession(ended.sid, { headers: bearer(kept) })).statusCode).toBe(204);
    expectProblem(await get(t.app, 'me', { headers: bearer(ended) }), 401, 'token_invalid');
    expectProblem(await post(t.app, 'token/refresh', { refresh: ended.refresh }), 401, 'token_invalid');
    expect((await get(t.app, 'me', { headers: bearer(kept) })).statusCode).toBe(200);
    expect((await sessionsOf(kept.access)).map((session) => session.id)).toEqual([kept.sid]);
    expect(await t.db.auditEvent.count({ where: { action: 'logout', actorId: user.id, metadata: { path: ['sessionId'], equals: ended.sid } } })).toBe(1);

    // Over is over: a second DELETE is 404.
    expectProblem(await endSession(ended.sid, { headers: bearer(kept) }), 404, 'not_found');
  });

  it('the current session may end itself', async () => {
    const user = await createUser(t.db);
    const session = await loginFrom(user, '203.0.113.30', 'Self/1.0');
    expect((await endSession(session.sid, { headers: bearer(session) })).statusCode).toBe(204);
    expectProblem(await get(t.app, 'me', { headers: bearer(session) }), 401, 'token_invalid');
  });

  it('one user cannot see or end another user’s session (404, and it keeps working)', async () => {
    const owner = await createUser(t.db);
    const other = await createUser(t.db);
    const ownerSession = await loginFrom(owner, '203.0.113.40', 'Owner/1.0');
    const otherSession = await loginFrom(other, '203.0.113.41', 'Other/1.0');

    expect((await sessionsOf(otherSession.access)).map((session) => session.id)).toEqual([otherSession.sid]);
    expectProblem(await endSession(ownerSession.sid, { headers: bearer(otherSession) }), 404, 'not_found');
    expect((await get(t.app, 'me', { headers: bearer(ownerSession) })).statusCode).toBe(200);
    expect((await sessionsOf(ownerSession.access)).map((session) => session.id)).toEqual([ownerSession.sid]);
  });

  it('an unknown id is 404, a malformed one 400, and no token 401', async () => {
    const user = await createUser(t.db);
    const session = await loginFrom(user, '203.0.113.50', 'Probe/1.0');
    expectProblem(await endSession('01890a5d-ac96-774b-bcce-b302099a8057', { headers: bearer(session) }), 404, 'not_found');
    expectProblem(await endSession('not-a-uuid', { headers: bearer(session) }), 400, 'validation_failed');
    expectProblem(await get(t.app, 'sessions'), 401, 'unauthorized');
  });
});
