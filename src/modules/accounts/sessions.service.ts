// Sessions: an access JWT plus a rotating opaque refresh token. Every refresh token belongs to
// a family (one login); rotation keeps the family, replaying a spent token revokes it whole.
// A session also has an absolute end (JWT_SESSION_MAX_LIFETIME after login): no refresh token
// of a family expires later than that, however often it rotated.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Role } from '../../generated/prisma/enums.ts';
import { inTransaction, type Actor, type ServiceContext, type TxContext } from '../../lib/context.ts';
import type { DbClient } from '../../lib/db.ts';
import { NotFoundError } from '../../lib/errors.ts';
import { recordAudit } from '../audit/index.ts';
import { tokenInvalid } from './accounts.errors.ts';
import { selectLiveSessions, selectSessionUser, type SessionUser } from './accounts.queries.ts';
import type { SessionView } from './accounts.schemas.ts';

export interface TokenPair {
  access: string;
  refresh: string;
}

/** Longer User-Agents are cut: the session list shows them, nothing parses them. */
const USER_AGENT_MAX = 512;

/** 256 random bits, URL-safe: unguessable, so a fast hash is enough to store it. */
function generateRefreshToken(): string {
  return randomBytes(32).toString('base64url');
}

function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * The user row read while checking an actor's session, for this request only: the key is the
 * actor object the check returned, which lives as long as its request. Nothing here outlives a
 * request, so a revoked session or a deactivated user is seen by the next request's check.
 */
const usersReadWithSession = new WeakMap<Actor, SessionUser>();

/**
 * The actor of an active user whose session `sessionId` is alive (not revoked, not expired), or
 * null. One statement, which also reads the user's row: `sessionUserOf(actor)` hands it to
 * services of the same request (user/me) so they need not read it again.
 */
export async function findActiveSession(db: DbClient, userId: string, sessionId: string, now: Date): Promise<Actor | null> {
  const user = await selectSessionUser(db, userId, sessionId, now);
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
async function issueRefreshToken(tx: TxContext, userId: string, familyId: string, sessionEndsAt: Date): Promise<string> {
  const now = tx.clock.now();
  const refresh = generateRefreshToken();
  const refreshEndsAt = now.getTime() + tx.config.lifetimes.refreshSeconds * 1000;
  await tx.db.refreshToken.create({
    data: {
      userId,
      familyId,
      tokenHash: hashRefreshToken(refresh),
      expiresAt: new Date(Math.min(refreshEndsAt, sessionEndsAt.getTime())),
      createdAt: now,
      ip: tx.meta.ip,
      userAgent: tx.meta.userAgent?.slice(0, USER_AGENT_MAX) ?? null,
    },
  });
  return refresh;
}

/** Starts a new session (refresh family) for the user. */
export async function startSession(tx: TxContext, user: { id: string; role: Role }): Promise<TokenPair> {
  const familyId = randomUUID();
  const sessionEndsAt = new Date(tx.clock.now().getTime() + tx.config.lifetimes.sessionMaxSeconds * 1000);
  const refresh = await issueRefreshToken(tx, user.id, familyId, sessionEndsAt);
  const { token } = tx.tokens.sign({ sub: user.id, role: user.role, sid: familyId });
  return { access: token, refresh };
}

async function revokeFamily(tx: TxContext, familyId: string): Promise<void> {
  await tx.db.refreshToken.updateMany({ where: { familyId, revokedAt: null }, data: { revokedAt: tx.clock.now() } });
}

/** Revokes every session of the user except `keepSessionId` (all of them when null or absent). */
export async function revokeSessions(tx: Pick<TxContext, 'db' | 'clock'>, input: { userId: string; keepSessionId?: string | null }): Promise<void> {
  const keep = input.keepSessionId;
  await tx.db.refreshToken.updateMany({
    where: { userId: input.userId, revokedAt: null, ...(keep ? { familyId: { not: keep } } : {}) },
    data: { revokedAt: tx.clock.now() },
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
export async function refreshSession(ctx: ServiceContext, input: { refresh: string }): Promise<TokenPair> {
  const arrivedAt = ctx.clock.now();
  const tokenHash = hashRefreshToken(input.refresh);
  let outcome: TokenPair | null;
  try {
    outcome = await inTransaction(ctx, async (tx) => {
      const now = tx.clock.now();
      const token = await tx.db.refreshToken.findUnique({
        where: { tokenHash },
        select: { id: true, userId: true, familyId: true, usedAt: true, revokedAt: true, expiresAt: true },
      });
      if (!token || token.revokedAt || token.expiresAt <= now) return null;
      if (token.usedAt) {
        if (token.usedAt < arrivedAt) {
          await revokeFamily(tx, token.familyId);
          await recordAudit(tx, { action: 'refresh.reuse', outcome: 'failure', actorId: token.userId });
        }
        return null;
      }
      const user = await tx.db.user.findUnique({
        where: { id: token.userId },
        select: { id: true, role: true, isActive: true, deletedAt: true },
      });
      if (!user || !user.isActive || user.deletedAt) {
        await revokeFamily(tx, token.familyId);
        return null;
      }
      // The family's first token was issued at login: the session ends a fixed time after it.
      const first = await tx.db.refreshToken.findFirst({
        where: { familyId: token.familyId },
        orderBy: { createdAt: 'asc' },
        select: { createdAt: true },
      });
      const sessionEndsAt = new Date((first?.createdAt ?? now).getTime() + ctx.config.lifetimes.sessionMaxSeconds * 1000);
      const nextRefresh = await issueRefreshToken(tx, user.id, token.familyId, sessionEndsAt);
      const claimed = await tx.db.refreshToken.updateMany({
        where: { id: token.id, usedAt: null, revokedAt: null },
        data: { usedAt: tx.clock.now() },
      });
      if (claimed.count === 0) throw new LostRefreshRace();
      const { token: access } = tx.tokens.sign({ sub: user.id, role: user.role, sid: token.familyId });
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
export async function logout(ctx: ServiceContext, input: { refresh: string }): Promise<void> {
  const token = await ctx.db.refreshToken.findUnique({
    where: { tokenHash: hashRefreshToken(input.refresh) },
    select: { userId: true, familyId: true },
  });
  if (!token) throw tokenInvalid();
  await inTransaction(ctx, async (tx) => {
    await revokeFamily(tx, token.familyId);
    await recordAudit(tx, { action: 'logout', outcome: 'success', actorId: token.userId });
  });
}

/** The caller's live sessions; `current` marks the one the request's token belongs to. */
export async function listSessions(ctx: ServiceContext, actor: Actor): Promise<SessionView[]> {
  const rows = await selectLiveSessions(ctx.db, actor.userId, ctx.clock.now());
  return rows.map((row) => ({
    id: row.id,
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt.toISOString(),
    ip: row.ip,
    userAgent: row.userAgent,
    current: row.id === actor.sessionId,
  }));
}

/**
 * Ends one of the caller's live sessions: its refresh tokens are revoked, and its access tokens
 * stop at once because every request checks its session (findActiveSession). Another user's
 * session, or one already over, is 404.
 */
export async function revokeSession(ctx: ServiceContext, sessionId: string, actor: Actor): Promise<void> {
  await inTransaction(ctx, async (tx) => {
    const live = await tx.db.refreshToken.count({
      where: { familyId: sessionId, userId: actor.userId, revokedAt: null, expiresAt: { gt: tx.clock.now() } },
    });
    if (live === 0) throw new NotFoundError();
    await revokeFamily(tx, sessionId);
    await recordAudit(tx, { action: 'logout', outcome: 'success', actorId: actor.userId, metadata: { sessionId, via: 'sessions' } });
  });
}

/** `token/verify`: an access token that is valid now, for a live session. */
export async function verifyAccessToken(ctx: ServiceContext, input: { token: string }): Promise<{ valid: true; exp: number }> {
  const claims = ctx.tokens.verify(input.token);
  const session = claims ? await findActiveSession(ctx.db, claims.sub, claims.sid, ctx.clock.now()) : null;
  if (!claims || !session) throw tokenInvalid();
  return { valid: true, exp: claims.exp };
}
