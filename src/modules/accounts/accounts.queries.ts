// SQL of the accounts module: the session check every authenticated request runs, the
// failed-login counter and the code counters. Tables: users, refresh_tokens, otp_codes, otp_counters.
import type { OtpPurpose, Role } from '../../generated/prisma/enums.ts';
import { queryPrepared, type DbClient, type PreparedStatement } from '../../lib/db.ts';

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

/** The active user whose session `sessionId` is alive: prepared, and past the Prisma client (it runs on every authenticated request). */
export async function selectSessionUser(db: DbClient, userId: string, sessionId: string, now: Date): Promise<SessionUser | undefined> {
  const rows = await queryPrepared<SessionUser>(db, SESSION_USER, [userId, sessionId, now]);
  return rows[0];
}

/**
 * Counts one failed login; the `max`-th in a row resets the count and locks the account until
 * `lockUntil`. Answers whether this failure locked it.
 */
export async function countFailedLogin(tx: DbClient, userId: string, max: number, lockUntil: Date): Promise<boolean> {
  const [row] = await tx.$queryRaw<{ locked: boolean }[]>`
    UPDATE users
       SET failed_login_count = CASE WHEN failed_login_count + 1 >= ${max} THEN 0 ELSE failed_login_count + 1 END,
           locked_until = CASE WHEN failed_login_count + 1 >= ${max} THEN ${lockUntil} ELSE locked_until END
     WHERE id = ${userId}::uuid
 RETURNING locked_until = ${lockUntil} AS locked`;
  return row?.locked ?? false;
}

export interface OtpCounterRow {
  attempts: number;
  expiresAt: Date | null;
  sentAt: Date[];
}

/**
 * The code counter of `email` and `purpose`, created when missing and locked for the rest of the
 * transaction (concurrent sends and checks of one email count right). One statement for every
 * email, known or not.
 */
export async function lockOtpCounter(tx: DbClient, email: string, purpose: OtpPurpose, now: Date): Promise<OtpCounterRow> {
  const [row] = await tx.$queryRaw<OtpCounterRow[]>`
    INSERT INTO otp_counters (email, purpose, updated_at) VALUES (${email}, ${purpose}::otp_purpose, ${now})
    ON CONFLICT (email, purpose) DO UPDATE SET updated_at = otp_counters.updated_at
    RETURNING attempts, expires_at AS "expiresAt", COALESCE(sent_at, '{}') AS "sentAt"`;
  return row!;
}

/**
 * Counts a send of a code to `email` for `purpose` when the cooldown (unless ignored) and the
 * hourly cap allow it: the sends of the last hour are kept, this one added, the wrong-try count
 * reset and the expiry set. One atomic statement, with no transaction needed around it, for
 * every email, known or not; false when the send is refused (the counter is left as it was).
 */
export async function countOtpSend(
  db: DbClient,
  send: { email: string; purpose: OtpPurpose; now: Date; expiresAt: Date; ignoreCooldown: boolean; cooldownSeconds: number; sendsPerHour: number },
): Promise<boolean> {
  const { email, purpose, now, expiresAt, ignoreCooldown, cooldownSeconds, sendsPerHour } = send;
  const rows = await db.$queryRaw<{ sent: boolean }[]>`
    INSERT INTO otp_counters AS c (email, purpose, attempts, expires_at, sent_at, updated_at)
    VALUES (${email}, ${purpose}::otp_purpose, 0, ${expiresAt}, ARRAY[${now}::timestamptz], ${now})
    ON CONFLICT (email, purpose) DO UPDATE SET
      attempts = 0,
      expires_at = EXCLUDED.expires_at,
      sent_at = ARRAY(
        SELECT at FROM unnest(c.sent_at) WITH ORDINALITY AS sent(at, n)
         WHERE at > ${now}::timestamptz - interval '1 hour' ORDER BY n
      ) || ${now}::timestamptz,
      updated_at = EXCLUDED.updated_at
    WHERE (SELECT count(*) FROM unnest(c.sent_at) AS at WHERE at > ${now}::timestamptz - interval '1 hour') < ${sendsPerHour}
      AND (${ignoreCooldown} OR NOT EXISTS (
        SELECT 1 FROM unnest(c.sent_at) AS at WHERE at > ${now}::timestamptz - make_interval(secs => ${cooldownSeconds})
      ))
    RETURNING true AS sent`;
  return rows.length === 1;
}

export interface SessionRow {
  id: string;
  createdAt: Date;
  lastUsedAt: Date;
  ip: string | null;
  userAgent: string | null;
}

/**
 * The user's live sessions (refresh families with an unrevoked, unexpired token), most recently
 * used first: started by the first token's login, last used by the newest token's login or
 * refresh, whose address and User-Agent they show.
 */
export async function selectLiveSessions(db: DbClient, userId: string, now: Date): Promise<SessionRow[]> {
  return db.$queryRaw<SessionRow[]>`
    SELECT family_id AS id,
           MIN(created_at) AS "createdAt",
           MAX(created_at) AS "lastUsedAt",
           (ARRAY_AGG(host(ip) ORDER BY created_at DESC, id DESC))[1] AS ip,
           (ARRAY_AGG(user_agent ORDER BY created_at DESC, id DESC))[1] AS "userAgent"
      FROM refresh_tokens
     WHERE user_id = ${userId}::uuid
     GROUP BY family_id
    HAVING bool_or(revoked_at IS NULL AND expires_at > ${now})
     ORDER BY MAX(created_at) DESC, family_id`;
}
