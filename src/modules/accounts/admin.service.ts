// Admin provisioning for the create-admin command: create, activate or promote an account.
import { inTransaction, SYSTEM_META, type AppDeps } from '../../lib/context.ts';
import { recordAudit } from '../audit/index.ts';
import { ACCOUNTS_CACHE_REF } from './accounts.service.ts';
import { invalidateOtps } from './otp.service.ts';
import { revokeSessions } from './sessions.service.ts';

export type AdminOutcome = 'created' | 'activated' | 'promoted' | 'promoted_password_reset';

export interface AdminInput {
  email: string;
  /** Needed to create an account, to activate a never-activated one, and with resetPassword. */
  passwordHash: string | null;
  /** On an active account: also set the password and sign out every session. */
  resetPassword: boolean;
}

/** What create-admin will do with this email, so the script knows whether it needs a password. */
export async function adminPlan(deps: Pick<AppDeps, 'db'>, email: string, resetPassword: boolean): Promise<{ needsPassword: boolean }> {
  const existing = await deps.db.user.findUnique({ where: { email }, select: { isActive: true } });
  return { needsPassword: !existing || !existing.isActive || resetPassword };
}

/**
 * Creates an active admin; or, over an account never activated, sets the given password before
 * activating it (someone else may have registered it: their password must not open an admin
 * account); or promotes an active account, keeping its password unless resetPassword.
 */
export async function createOrPromoteAdmin(deps: Pick<AppDeps, 'db' | 'clock' | 'cache'>, input: AdminInput): Promise<AdminOutcome> {
  const requirePassword = () => {
    if (!input.passwordHash) throw new Error('a password is needed for this account');
    return input.passwordHash;
  };
  // A command-line action: no request, so the system's meta.
  return inTransaction({ ...deps, meta: SYSTEM_META }, async (tx) => {
    const { db } = tx;
    const existing = await db.user.findUnique({ where: { email: input.email }, select: { id: true, role: true, isActive: true } });
    if (!existing) {
      const user = await db.user.create({
        data: { email: input.email, passwordHash: requirePassword(), role: 'admin', isActive: true, createdAt: deps.clock.now() },
        select: { id: true },
      });
      await recordAudit(tx, { action: 'role.change', outcome: 'success', actorId: user.id, metadata: { to: 'admin', via: 'create-admin' } });
      return 'created';
    }
    const outcome: AdminOutcome = !existing.isActive ? 'activated' : input.resetPassword ? 'promoted_password_reset' : 'promoted';
    const newPassword = outcome === 'promoted' ? {} : { passwordHash: requirePassword() };
    await db.user.update({
      where: { id: existing.id },
      data: { role: 'admin', isActive: true, deletedAt: null, lockedUntil: null, failedLoginCount: 0, ...newPassword },
    });
    // Its role (a doctor leaves the doctor list), activity and erasure show in cached answers.
    await tx.cache.invalidate([ACCOUNTS_CACHE_REF]);
    if (outcome !== 'promoted') {
      await invalidateOtps(tx, { userId: existing.id });
      await revokeSessions(tx, { userId: existing.id });
      // The given password holds: no registration waits for activation any more.
      await db.pendingRegistration.deleteMany({ where: { userId: existing.id } });
    }
    await recordAudit(tx, {
      action: 'role.change',
      outcome: 'success',
      actorId: existing.id,
      metadata: { from: existing.role, to: 'admin', via: 'create-admin', passwordSet: outcome !== 'promoted' },
    });
    return outcome;
  });
}
