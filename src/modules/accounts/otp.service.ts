// One-time codes: issued with a cooldown and an hourly cap, stored as a keyed hash, bound to one
// user and purpose, single use, burned after five wrong tries, replaced by every newer code.
import type { OtpPurpose } from '../../generated/prisma/enums.ts';
import type { DbClient } from '../../lib/db.ts';
import { BadRequestError, type AppError } from '../../lib/errors.ts';
import { mailTemplates } from '../../lib/mail-templates.ts';
import { generateOtp, hashOtp, otpMatches } from '../../lib/otp.ts';
import { recordAudit, type RequestMeta } from '../audit/audit.service.ts';
import type { AccountsDeps } from './accounts.deps.ts';

export const OTP_RESEND_COOLDOWN_SECONDS = 60;
export const OTP_SENDS_PER_HOUR = 5;
export const OTP_MAX_ATTEMPTS = 5;
const HOUR_MS = 3_600_000;

const TEMPLATES = {
  activation: mailTemplates.activationOtp,
  login: mailTemplates.loginOtp,
  password_reset: mailTemplates.passwordResetOtp,
} as const;

export type OtpCheck = 'ok' | 'otp_invalid' | 'otp_expired' | 'otp_attempts_exceeded';

const OTP_ERROR_DETAILS: Record<Exclude<OtpCheck, 'ok'>, string> = {
  otp_invalid: 'The code is not valid.',
  otp_expired: 'The code has expired; ask for a new one.',
  otp_attempts_exceeded: 'Too many wrong codes; ask for a new one.',
};

export function otpError(check: Exclude<OtpCheck, 'ok'>): AppError {
  return new BadRequestError({ code: check, detail: OTP_ERROR_DETAILS[check] });
}

/**
 * Issues a new code and enqueues its mail in `tx`, unless the cooldown or the hourly cap says
 * no. Returns whether a code was sent. The user row is locked so concurrent resends count right.
 */
export async function issueOtp(
  tx: DbClient,
  deps: Pick<AccountsDeps, 'config' | 'clock' | 'jobs'>,
  user: { id: string; email: string },
  purpose: OtpPurpose,
): Promise<boolean> {
  const now = deps.clock.now();
  await tx.$queryRaw`SELECT 1 FROM users WHERE id = ${user.id}::uuid FOR UPDATE`;
  const recent = await tx.otpCode.findMany({
    where: { userId: user.id, purpose, createdAt: { gt: new Date(now.getTime() - HOUR_MS) } },
    select: { createdAt: true },
    orderBy: { createdAt: 'desc' },
  });
  const last = recent[0];
  if (last && now.getTime() - last.createdAt.getTime() < OTP_RESEND_COOLDOWN_SECONDS * 1000) return false;
  if (recent.length >= OTP_SENDS_PER_HOUR) return false;

  await tx.otpCode.updateMany({ where: { userId: user.id, purpose, consumedAt: null }, data: { consumedAt: now } });
  const code = generateOtp();
  const lifetimeSeconds = deps.config.lifetimes.otpSeconds;
  await tx.otpCode.create({
    data: {
      userId: user.id,
      purpose,
      codeHash: hashOtp(deps.config.secretKey, user.id, purpose, code),
      expiresAt: new Date(now.getTime() + lifetimeSeconds * 1000),
      createdAt: now,
    },
  });
  const mail = TEMPLATES[purpose]({ code, minutes: Math.ceil(lifetimeSeconds / 60) });
  await deps.jobs.enqueueMail(tx, { to: user.email, ...mail });
  return true;
}

/**
 * Checks `code` against the user's latest code for `purpose` and consumes it when right. A wrong
 * code costs an attempt, so callers must commit `tx` even when the check fails.
 */
export async function checkOtp(
  tx: DbClient,
  deps: Pick<AccountsDeps, 'config' | 'clock'>,
  meta: RequestMeta,
  user: { id: string },
  purpose: OtpPurpose,
  code: string,
): Promise<OtpCheck> {
  const now = deps.clock.now();
  const otp = await tx.otpCode.findFirst({
    where: { userId: user.id, purpose },
    orderBy: { createdAt: 'desc' },
    select: { id: true, codeHash: true, attempts: true, expiresAt: true, consumedAt: true },
  });
  if (!otp) return 'otp_invalid';
  if (otp.attempts >= OTP_MAX_ATTEMPTS) return 'otp_attempts_exceeded';
  if (otp.consumedAt) return 'otp_invalid';
  if (otp.expiresAt <= now) return 'otp_expired';

  if (!otpMatches(otp.codeHash, hashOtp(deps.config.secretKey, user.id, purpose, code))) {
    const updated = await tx.otpCode.update({
      where: { id: otp.id },
      data: { attempts: { increment: 1 } },
      select: { attempts: true },
    });
    await recordAudit(tx, meta, { action: 'otp.failure', outcome: 'failure', actorId: user.id, metadata: { purpose } }, now);
    return updated.attempts >= OTP_MAX_ATTEMPTS ? 'otp_attempts_exceeded' : 'otp_invalid';
  }
  // The guard makes the code single-use even when two requests carry it at once.
  const consumed = await tx.otpCode.updateMany({
    where: { id: otp.id, consumedAt: null, attempts: { lt: OTP_MAX_ATTEMPTS } },
    data: { consumedAt: now },
  });
  return consumed.count === 1 ? 'ok' : 'otp_invalid';
}

/** Whether the user has a login code issued within its lifetime: a two-step login in progress. */
export async function hasPendingLoginChallenge(
  db: DbClient,
  deps: Pick<AccountsDeps, 'clock' | 'config'>,
  userId: string,
): Promise<boolean> {
  const since = new Date(deps.clock.now().getTime() - deps.config.lifetimes.otpSeconds * 1000);
  const count = await db.otpCode.count({ where: { userId, purpose: 'login', createdAt: { gt: since } } });
  return count > 0;
}
