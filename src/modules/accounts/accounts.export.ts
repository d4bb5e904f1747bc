// What the accounts module holds about a user, for their data export: the account, its
// notification settings and its sessions.
import type { DbClient } from '../../lib/db.ts';
import { notificationSettingsOf } from './notifications.service.ts';

export async function accountDataOf(db: DbClient, userId: string) {
  const account = await db.user.findUnique({
    where: { id: userId },
    select: {
      id: true,
      email: true,
      firstName: true,
      lastName: true,
      phone: true,
      phoneVerifiedAt: true,
      role: true,
      isActive: true,
      twoStepLogin: true,
      createdAt: true,
      updatedAt: true,
    },
  });
  // One session per refresh-token family: when it began, its last rotation, whether it still lives.
  const sessions = await db.$queryRaw<{ id: string; createdAt: Date; lastUsedAt: Date; expiresAt: Date; revoked: boolean }[]>`
    SELECT family_id::text AS id, min(created_at) AS "createdAt", max(created_at) AS "lastUsedAt", max(expires_at) AS "expiresAt",
           bool_or(revoked_at IS NOT NULL) AS revoked
      FROM refresh_tokens WHERE user_id = ${userId}::uuid GROUP BY family_id ORDER BY min(created_at)`;
  const { verifiedPhone: _phone, ...notificationSettings } = await notificationSettingsOf(db, userId);
  return { account, notificationSettings, sessions };
}
