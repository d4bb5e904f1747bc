// One-time codes: issued with a cooldown and an hourly cap, stored as a keyed hash, bound to one
// user and purpose, single use, burned after five wrong tries, replaced by every newer code.
import type { OtpPurpose } from '../../generated/prisma/enums.ts';
import type { ServiceContext, TxContext } from '../../lib/context.ts';
import { enqueueMail } from '../../lib/mail-queue.ts';
import { recordAudit } from '../audit/index.ts';
import type { OtpFailure } from './accounts.errors.ts';
import { accountMails } from './accounts.mails.ts';
import { generateOtp, hashOtp, otpMatches } from './accounts.otp.ts';
import { lockUser } from './accounts.queries.ts';

export const OTP_RESEND_COOLDOWN_SECONDS = 60;
export const OTP_SENDS_PER_HOUR = 5;
export const OTP_MAX_ATTEMPTS = 5;
const HOUR_MS = 3_600_000;

const TEMPLATES = {
  activation: accountMails.activationOtp,
  login: accountMails.loginOtp,
  password_reset: accountMails.passwordResetOtp,
} as const;

export interface IssueOptions {
  /** Skip the 60 s cooldown (a new registration replaces the account's codes); the hourly cap still holds. */
  ignoreCooldown?: boolean;
  /** Keep this expiry instead of a fresh lifetime: a resent login code must not outlive its password step. */
  expiresAt?: Date;
}

/**
 * Issues a new code and enqueues its mail in `tx`, unless the cooldown or the hourly cap says
 * no. Returns whether a code was sent. The user row is locked so concurrent resends count right.
 */
export async function issueOtp(
  tx: TxContext,
  user: { id: string; email: string },
  purpose: OtpPurpose,
  options: IssueOptions = {},
): Promise<boolean> {
  const now = tx.clock.now();
  await lockUser(tx.db, user.id);
  const recent = await tx.db.otpCode.findMany({
    where: { userId: user.id, purpose, createdAt: { gt: new Date(now.getTime() - HOUR_MS) } },
    select: { createdAt: true },
    orderBy: { createdAt: 'desc' },
  });
  const last = recent[0];
  const inCooldown = last && now.getTime() - last.createdAt.getTime() < OTP_RESEND_COOLDOWN_SECONDS * 1000;
  if (inCooldown && !options.ignoreCooldown) return false;
  if (recent.length >= OTP_SENDS_PER_HOUR) return false;

  await invalidateOtps(tx, { userId: user.id, purpose });
  const code = generateOtp();
  const lifetimeSeconds = tx.config.lifetimes.otpSeconds;
  const expiresAt = options.expiresAt ?? new Date(now.getTime() + lifetimeSeconds * 1000);
  await tx.db.otpCode.create({
    data: { userId: user.id, purpose, codeHash: hashOtp(tx.config.secretKey, user.id, purpose, code), expiresAt, createdAt: now },
  });
  const minutes = Math.max(1, Math.ceil((expiresAt.getTime() - now.getTime()) / 60_000));
  // The mailbox owner learns that activation will ask for their password (accounts.service.ts).
  const repeatedRegistration = purpose === 'activation' && (await tx.db.pendingRegistration.count({ where: { userId: user.id } })) > 1;
  await enqueueMail(tx.jobs, tx.db, { to: user.email, ...TEMPLATES[purpose]({ code, minutes, repeatedRegistration }) });
  return true;
}

/** Spends every live code of the user for `purpose` (all purposes when omitted). */
export async function invalidateOtps(tx: Pick<TxContext, 'db' | 'clock'>, input: { userId: string; purpose?: OtpPurpose }): Promise<void> {
  await tx.db.otpCode.updateMany({
    where: { userId: input.userId, consumedAt: null, ...(input.purpose ? { purpose: input.purpose } : {}) },
    data: { consumedAt: tx.clock.now() },
  });
}

/**
 * Checks `code` against the user's latest code for `purpose` and consumes it when right. A wrong
 * code costs an attempt, so callers must commit `tx` even when the check fails.
 */
export async function checkOtp(tx: TxContext, user: { id: string }, purpose: OtpPurpose, code: string): Promise<'ok' | OtpFailure> {
  const now = tx.clock.now();
  const otp = await tx.db.otpCode.findFirst({
    where: { userId: user.id, purpose },
    orderBy: { createdAt: 'desc' },
    select: { id: true, codeHash: true, attempts: true, expiresAt: true, consumedAt: true },
  });
  if (!otp) return 'otp_invalid';
  if (otp.attempts >= OTP_MAX_ATTEMPTS) return 'otp_attempts_exceeded';
  if (otp.consumedAt) return 'otp_invalid';
  if (otp.expiresAt <= now) return 'otp_expired';

  if (!otpMatches(otp.codeHash, hashOtp(tx.config.secretKey, user.id, purpose, code))) {
    const updated = await tx.db.otpCode.update({
      where: { id: otp.id },
      data: { attempts: { increment: 1 } },
      select: { attempts: true },
    });
    await recordAudit(tx, { action: 'otp.failure', outcome: 'failure', actorId: user.id, metadata: { purpose } });
    return updated.attempts >= OTP_MAX_ATTEMPTS ? 'otp_attempts_exceeded' : 'otp_invalid';
  }
  // The guard makes the code single-use even when two requests carry it at once.
  const consumed = await tx.db.otpCode.updateMany({
    where: { id: otp.id, consumedAt: null, attempts: { lt: OTP_MAX_ATTEMPTS } },
    data: { consumedAt: now },
  });
  return consumed.count === 1 ? 'ok' : 'otp_invalid';
}

/**
 * The live two-step login challenge of the user: its latest login code, issued by a password
 * step (or resent within it), unused, not burned and not expired. Null outside a challenge.
 */
export async function liveLoginChallenge(ctx: Pick<ServiceContext, 'db' | 'clock'>, userId: string): Promise<{ expiresAt: Date } | null> {
  const latest = await ctx.db.otpCode.findFirst({
    where: { userId, purpose: 'login' },
    orderBy: { createdAt: 'desc' },
    select: { expiresAt: true, consumedAt: true, attempts: true },
  });
  if (!latest || latest.consumedAt || latest.attempts >= OTP_MAX_ATTEMPTS || latest.expiresAt <= ctx.clock.now()) return null;
  return { expiresAt: latest.expiresAt };
}
