// Sessions: an access JWT plus a rotating opaque refresh token. Every refresh token belongs to
// a family (one login); rotation keeps the family, replaying a spent token revokes it whole.
import { randomUUID } from 'node:crypto';
import type { Role } from '../../generated/prisma/enums.ts';
import type { DbClient } from '../../lib/db.ts';
import { UnauthorizedError } from '../../lib/errors.ts';
import { generateRefreshToken, hashRefreshToken } from '../../lib/tokens.ts';
import { recordAudit, type RequestMeta } from '../audit/audit.service.ts';
import type { AccountsDeps } from './accounts.deps.ts';

export interface TokenPair {
  access: string;
  refresh: string;
}

const invalidToken = () => new UnauthorizedError({ code: 'token_invalid', detail: 'The token is invalid, expired or revoked.' });

/** The role of an active user whose session `sessionId` is not revoked, or null. */
export async function findActiveSession(
  db: DbClient,
  userId: string,
  sessionId: string,
  now: Date,
): Promise<{ role: Role } | null> {
  const rows = await db.$queryRaw<{ role: Role }[]>`
    SELECT u.role::text AS role
      FROM users u
     WHERE u.id = ${userId}::uuid AND u.is_active AND u.deleted_at IS NULL
       AND EXISTS (SELECT 1 FROM refresh_tokens t
                    WHERE t.family_id = ${sessionId}::uuid AND t.user_id = u.id
                      AND t.revoked_at IS NULL AND t.expires_at > ${now})`;
  return rows[0] ?? null;
}

async function issueRefreshToken(
  tx: DbClient,
  deps: Pick<AccountsDeps, 'clock' | 'config'>,
  userId: string,
  familyId: string,
): Promise<string> {
  const now = deps.clock.now();
  const refresh = generateRefreshToken();
  await tx.refreshToken.create({
    data: {
      userId,
      familyId,
      tokenHash: hashRefreshToken(refresh),
      expiresAt: new Date(now.getTime() + deps.config.lifetimes.refreshSeconds * 1000),
      createdAt: now,
    },
  });
  return refresh;
}

/** Starts a new session (refresh family) for the user. */
export async function startSession(
  tx: DbClient,
  deps: Pick<AccountsDeps, 'clock' | 'config' | 'tokens'>,
  user: { id: string; role: Role },
): Promise<TokenPair> {
  const familyId = randomUUID();
  const refresh = await issueRefreshToken(tx, deps, user.id, familyId);
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
export async function refreshSession(deps: AccountsDeps, meta: RequestMeta, refresh: string): Promise<TokenPair> {
  const arrivedAt = deps.clock.now();
  const tokenHash = hashRefreshToken(refresh);
  let outcome: TokenPair | null;
  try {
    outcome = await deps.db.$transaction(async (tx) => {
      const now = deps.clock.now();
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
      const nextRefresh = await issueRefreshToken(tx, deps, user.id, token.familyId);
      const claimed = await tx.refreshToken.updateMany({
        where: { id: token.id, usedAt: null, revokedAt: null },
        data: { usedAt: deps.clock.now() },
      });
      if (claimed.count === 0) throw new LostRefreshRace();
      const { token: access } = deps.tokens.sign({ sub: user.id, role: user.role, sid: token.familyId });
      return { access, refresh: nextRefresh };
    });
  } catch (error) {
    if (!(error instanceof LostRefreshRace)) throw error;
    outcome = null;
  }
  if (!outcome) throw invalidToken();
  return outcome;
}

/** Ends the session the refresh token belongs to. */
export async function logout(deps: AccountsDeps, meta: RequestMeta, refresh: string): Promise<void> {
  const now = deps.clock.now();
  const token = await deps.db.refreshToken.findUnique({
    where: { tokenHash: hashRefreshToken(refresh) },
    select: { userId: true, familyId: true },
  });
  if (!token) throw invalidToken();
  await deps.db.$transaction(async (tx) => {
    await revokeFamily(tx, token.familyId, now);
    await recordAudit(tx, meta, { action: 'logout', outcome: 'success', actorId: token.userId }, now);
  });
}

/** `token/verify`: an access token that is valid now, for a live session. */
export async function verifyAccessToken(deps: AccountsDeps, token: string): Promise<{ valid: true; exp: number }> {
  const claims = deps.tokens.verify(token);
  const session = claims ? await findActiveSession(deps.db, claims.sub, claims.sid, deps.clock.now()) : null;
  if (!claims || !session) throw invalidToken();
  return { valid: true, exp: claims.exp };
}
