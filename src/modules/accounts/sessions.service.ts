// Sessions: an access JWT plus a rotating opaque refresh token. Every refresh token belongs to
// a family (one login); rotation keeps the family, replaying a spent token revokes it whole.
// A session also has an absolute end (JWT_SESSION_MAX_LIFETIME after login): no refresh token
// of a family expires later than that, however often it rotated.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Role } from '../../generated/prisma/enums.ts';
import type { Actor, AppDeps } from '../../lib/context.ts';
import { queryPrepared, type DbClient, type PreparedStatement } from '../../lib/db.ts';
import type { AccessTokenSigner } from '../../plugins/auth.ts';
import { recordAudit } from '../audit/audit.service.ts';
import type { AccountsContext } from './accounts.context.ts';
import { tokenInvalid } from './accounts.errors.ts';

export interface TokenPair {
  access: string;
  refresh: string;
}

/** 256 random bits, URL-safe: unguessable, so a fast hash is enough to store it. */
function generateRefreshToken(): string {
  return randomBytes(32).toString('base64url');
}

function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** The user columns `user/me` answers with, read by the session check itself. */
export interface SessionUser {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  phone: string | null;
  role: Role;
  isActive: boolean;
  twoStepLogin: boolean;
  createdAt: Date;
}

/**
 * The user row read while checking an actor's session, for this request only: the key is the
 * actor object the check returned, which lives as long as its request. Nothing here outlives a
 * request, so a revoked session or a deactivated user is seen by the next request's check.
 */
const usersReadWithSession = new WeakMap<Actor, SessionUser>();

const SESSION_USER: PreparedStatement = {
  name: 'session_user_v1',
  text: `SELECT u.id, u.email, u.first_name AS "firstName", u.last_name AS "lastName", u.phone,
                u.role::text AS role, u.is_active AS "isActive", u.two_step_login AS "twoStepLogin",
                u.created_at AS "createdAt"
           FROM users u
          WHERE u.id = $1::uuid AND u.is_active AND u.deleted_at IS NULL
            AND EXISTS (SELECT 1 FROM refresh_tokens t
                         WHERE t.family_id = $2::uuid AND t.user_id = u.id
                           AND t.revoked_at IS NULL AND t.expires_at > $3::timestamptz)`,
};

/**
 * The actor of an active user whose session `sessionId` is alive (not revoked, not expired), or
 * null. One statement, which also reads the user's row: `sessionUserOf(actor)` hands it to
 * services of the same request (user/me) so they need not read it again.
 */
export async function findActiveSession(db: DbClient, userId: string, sessionId: string, now: Date): Promise<Actor | null> {
  // Every authenticated request runs it: prepared, and past the Prisma client (src/lib/db.ts).
  const rows = await queryPrepared<SessionUser>(db, SESSION_USER, [userId, sessionId, now]);
  const user = rows[0];
  if (!user) return null;
  const actor: Actor = { userId, role: user.role, sessionId };
  usersReadWithSession.set(actor, user);
  return actor;
}

/** The user row `findActiveSession` read when it returned this actor (in this request), if it did. */
export function sessionUserOf(actor: Actor): SessionUser | undefined {
  return usersReadWithSession.get(actor);
}

/** Stores a new refresh token of the family, expiring at the refresh lifetime or the session's end. */
async function issueRefreshToken(
  tx: DbClient,
  deps: Pick<AppDeps, 'clock' | 'config'>,
  userId: string,
  familyId: string,
  sessionEndsAt: Date,
): Promise<string> {
  const now = deps.clock.now();
  const refresh = generateRefreshToken();
  const refreshEndsAt = now.getTime() + deps.config.lifetimes.refreshSeconds * 1000;
  await tx.refreshToken.create({
    data: {
      userId,
      familyId,
      tokenHash: hashRefreshToken(refresh),
      expiresAt: new Date(Math.min(refreshEndsAt, sessionEndsAt.getTime())),
      createdAt: now,
    },
  });
  return refresh;
}

/** Starts a new session (refresh family) for the user. */
export async function startSession(
  tx: DbClient,
  deps: Pick<AppDeps, 'clock' | 'config'> & { tokens: AccessTokenSigner },
  user: { id: string; role: Role },
): Promise<TokenPair> {
  const familyId = randomUUID();
  const sessionEndsAt = new Date(deps.clock.now().getTime() + deps.config.lifetimes.sessionMaxSeconds * 1000);
  const refresh = await issueRefreshToken(tx, deps, user.id, familyId, sessionEndsAt);
  const { token } = deps.tokens.sign({ sub: user.id, role: user.role, sid: familyId });
  return { access: token, refresh };
}

async function revokeFamily(tx: DbClient, familyId: string, now: Date): Promise<void> {
  await tx.refreshToken.updateMany({ where: { familyId, revokedAt: null }, data: { revokedAt: now } });
}

/** Revokes every session of the user except `keepSessionId` (all of them when null). */
export async function revokeSessions(tx: DbClient, userId: string, keepSessionId: string | null, now: Date) {
  await tx.refreshToken.updateMany({
    where: { userId, revokedAt: null, ...(keepSessionId ? { familyId: { not: keepSessionId } } : {}) },
    data: { revokedAt: now },
  });
}

/** Thrown inside the rotation transaction to roll back the successor token when a race was lost. */
class LostRefreshRace extends Error {}

/**
 * Rotates a refresh token. The token is claimed as the transaction's last write, so its `usedAt`
 * is (about) when the winning rotation committed. A request that finds the token spent *before*
 * it arrived is a replay, and the whole family is revoked. One that arrived before the spend
 * overlapped the winning request: it is a race, answered 401 with the family left alone, so
 * two concurrent refreshes yield exactly one pair and that pair keeps working.
 */
export async function refreshSession(ctx: AccountsContext, input: { refresh: string }): Promise<TokenPair> {
  const { meta } = ctx;
  const arrivedAt = ctx.clock.now();
  const tokenHash = hashRefreshToken(input.refresh);
  let outcome: TokenPair | null;
  try {
    outcome = await ctx.db.$transaction(async (tx) => {
      const now = ctx.clock.now();
      const token = await tx.refreshToken.findUnique({
        where: { tokenHash },
        select: { id: true, userId: true, familyId: true, usedAt: true, revokedAt: true, expiresAt: true },
      });
      if (!token || token.revokedAt || token.expiresAt <= now) return null;
      if (token.usedAt) {
        if (token.usedAt < arrivedAt) {
          await revokeFamily(tx, token.familyId, now);
          await recordAudit(tx, meta, { action: 'refresh.reuse', outcome: 'failure', actorId: token.userId }, now);
        }
        return null;
      }
      const user = await tx.user.findUnique({
        where: { id: token.userId },
        select: { id: true, role: true, isActive: true, deletedAt: true },
      });
      if (!user || !user.isActive || user.deletedAt) {
        await revokeFamily(tx, token.familyId, now);
        return null;
      }
      // The family's first token was issued at login: the session ends a fixed time after it.
      const first = await tx.refreshToken.findFirst({
        where: { familyId: token.familyId },
        orderBy: { createdAt: 'asc' },
        select: { createdAt: true },
      });
      const sessionEndsAt = new Date((first?.createdAt ?? now).getTime() + ctx.config.lifetimes.sessionMaxSeconds * 1000);
      const nextRefresh = await issueRefreshToken(tx, ctx, user.id, token.familyId, sessionEndsAt);
      const claimed = await tx.refreshToken.updateMany({
        where: { id: token.id, usedAt: null, revokedAt: null },
        data: { usedAt: ctx.clock.now() },
      });
      if (claimed.count === 0) throw new LostRefreshRace();
      const { token: access } = ctx.tokens.sign({ sub: user.id, role: user.role, sid: token.familyId });
      return { access, refresh: nextRefresh };
    });
  } catch (error) {
    if (!(error instanceof LostRefreshRace)) throw error;
    outcome = null;
  }
  if (!outcome) throw tokenInvalid();
  return outcome;
}

/** Ends the session the refresh token belongs to. */
export async function logout(ctx: AccountsContext, input: { refresh: string }): Promise<void> {
  const { meta } = ctx;
  const now = ctx.clock.now();
  const token = await ctx.db.refreshToken.findUnique({
    where: { tokenHash: hashRefreshToken(input.refresh) },
    select: { userId: true, familyId: true },
  });
  if (!token) throw tokenInvalid();
  await ctx.db.$transaction(async (tx) => {
    await revokeFamily(tx, token.familyId, now);
    await recordAudit(tx, meta, { action: 'logout', outcome: 'success', actorId: token.userId }, now);
  });
}

/** `token/verify`: an access token that is valid now, for a live session. */
export async function verifyAccessToken(ctx: AccountsContext, input: { token: string }): Promise<{ valid: true; exp: number }> {
  const claims = ctx.tokens.verify(input.token);
  const session = claims ? await findActiveSession(ctx.db, claims.sub, claims.sid, ctx.clock.now()) : null;
  if (!claims || !session) throw tokenInvalid();
  return { valid: true, exp: claims.exp };
}
