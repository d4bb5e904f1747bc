// Admin provisioning for the create-admin command.
import type { Db } from '../../lib/db.ts';
import { recordAudit } from '../audit/audit.service.ts';

/** Creates an active admin, or promotes and activates the existing account. */
export async function createOrPromoteAdmin(
  db: Db,
  input: { email: string; passwordHash: string | null },
): Promise<'created' | 'promoted'> {
  return db.$transaction(async (tx) => {
    const now = new Date();
    const existing = await tx.user.findUnique({ where: { email: input.email }, select: { id: true, role: true } });
    if (existing) {
      await tx.user.update({ where: { id: existing.id }, data: { role: 'admin', isActive: true, lockedUntil: null } });
      await recordAudit(tx, null, {
        action: 'role.change',
        outcome: 'success',
        actorId: existing.id,
        metadata: { from: existing.role, to: 'admin', via: 'create-admin' },
      }, now);
      return 'promoted';
    }
    if (!input.passwordHash) throw new Error('a password hash is needed to create an admin');
    const user = await tx.user.create({
      data: { email: input.email, passwordHash: input.passwordHash, role: 'admin', isActive: true },
      select: { id: true },
    });
    await recordAudit(tx, null, { action: 'role.change', outcome: 'success', actorId: user.id, metadata: { to: 'admin', via: 'create-admin' } }, now);
    return 'created';
  });
}
