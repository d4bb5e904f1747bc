// SQL of the accounts module: the session check every authenticated request runs, row locks and
// the failed-login counter. Tables: users, refresh_tokens, otp_codes.
import type { Role } from '../../generated/prisma/enums.ts';
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

/** Locks the user's row for the rest of the transaction (concurrent code requests count right). */
export async function lockUser(tx: DbClient, userId: string): Promise<void> {
  await tx.$queryRaw`SELECT 1 FROM users WHERE id = ${userId}::uuid FOR UPDATE`;
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
