// One-time codes: issued with a cooldown and an hourly cap, mailed or texted, stored as a keyed
// hash, bound to one user and purpose (a phone verification code also to its number), single use,
// burned after five wrong tries, replaced by every newer code. The sends and wrong tries are
// counted per email and purpose (otp_counters) whether or not the email has an account, so the
// answers of the code routes never tell which emails exist.
import { randomUUID } from 'node:crypto';
import type { OtpPurpose } from '../../generated/prisma/enums.ts';
import type { ServiceContext, TxContext } from '../../lib/context.ts';
import { enqueueMail } from '../../lib/mail-queue.ts';
import { APP_NAME, minutesText } from '../../lib/mail-templates.ts';
import { enqueueSms } from '../../lib/sms-queue.ts';
import { recordAudit } from '../audit/index.ts';
import type { OtpFailure } from './accounts.errors.ts';
import { accountMails } from './accounts.mails.ts';
import { generateOtp, hashOtp, otpMatches } from './accounts.otp.ts';
import { countOtpSend, lockOtpCounter } from './accounts.queries.ts';

export const OTP_RESEND_COOLDOWN_SECONDS = 60;
export const OTP_SENDS_PER_HOUR = 5;
export const OTP_MAX_ATTEMPTS = 5;
const HOUR_MS = 3_600_000;

const MAIL_TEMPLATES = {
  activation: accountMails.activationOtp,
  login: accountMails.loginOtp,
  password_reset: accountMails.passwordResetOtp,
} as const;

/** What a texted code is for, in its message. */
const SMS_PURPOSES: Partial<Record<OtpPurpose, string>> = { login: 'sign-in', phone_verification: 'phone verification' };

export interface IssueOptions {
  /** Skip the 60 s cooldown (a new registration replaces the account's codes); the hourly cap still holds. */
  ignoreCooldown?: boolean;
  /** Keep this expiry instead of a fresh lifetime: a resent login code must not outlive its password step. */
  expiresAt?: Date;
  /** Text the code to this (verified or to-be-verified) number instead of mailing it. */
  sms?: string;
  /** A phone number the code proves: checkOtp must be given the same one. */
  boundTo?: string;
}

/**
 * Whom a code is for: the email always, and the account when it may receive (or use) a code of
 * the purpose. Without an account the counters still move exactly as with one (otp_counters).
 */
export interface OtpTarget {
  email: string;
  id: string | null;
}

/**
 * Counts a send of `purpose` to the email, unless the cooldown or the hourly cap says no, and
 * then issues a new code and enqueues its mail (or text message) in `tx` when the target has an
 * account. Returns whether a code was sent. A send resets the wrong-code count and sets the
 * expiry for every email alike, so later answers never tell an account from none.
 */
export async function issueOtp(tx: TxContext, target: OtpTarget, purpose: OtpPurpose, options: IssueOptions = {}): Promise<boolean> {
  const now = tx.clock.now();
  const expiresAt = options.expiresAt ?? new Date(now.getTime() + tx.config.lifetimes.otpSeconds * 1000);
  if (!(await countSend(tx, target.email, purpose, expiresAt, options)) || !target.id) return false;

  const user = { id: target.id, email: target.email };
  const code = generateOtp();
  const codeId = await storeCode(tx, user.id, purpose, code, expiresAt, options.boundTo);
  const minutes = Math.max(1, Math.ceil((expiresAt.getTime() - now.getTime()) / 60_000));
  if (options.sms) {
    const body = `${APP_NAME} ${SMS_PURPOSES[purpose] ?? 'verification'} code: ${code}. Valid for ${minutesText(minutes)}. Never share it.`;
    await enqueueSms(tx.jobs, tx.db, { to: options.sms, body, idempotencyKey: `otp:${codeId}` });
    return true;
  }
  if (purpose === 'phone_verification') throw new Error('a phone verification code is texted, never mailed');
  // The mailbox owner learns that activation will ask for their password (accounts.service.ts).
  const repeatedRegistration = purpose === 'activation' && (await tx.db.pendingRegistration.count({ where: { userId: user.id } })) > 1;
  await enqueueMail(tx.jobs, tx.db, { to: user.email, ...MAIL_TEMPLATES[purpose]({ code, minutes, repeatedRegistration }) });
  return true;
}

/**
 * Counts a send to an email that gets no code (no account, or none that may receive this
 * purpose): the counter moves exactly as issueOtp moves it, in one statement of its own, so a
 * flood of requests for unknown emails costs next to nothing.
 */
export async function countUnmailedSend(ctx: Pick<TxContext, 'db' | 'clock' | 'config'>, email: string, purpose: OtpPurpose): Promise<void> {
  await countSend(ctx, email, purpose, new Date(ctx.clock.now().getTime() + ctx.config.lifetimes.otpSeconds * 1000));
}

function countSend(ctx: Pick<TxContext, 'db' | 'clock'>, email: string, purpose: OtpPurpose, expiresAt: Date, options: IssueOptions = {}): Promise<boolean> {
  return countOtpSend(ctx.db, {
    email,
    purpose,
    now: ctx.clock.now(),
    expiresAt,
    ignoreCooldown: options.ignoreCooldown ?? false,
    cooldownSeconds: OTP_RESEND_COOLDOWN_SECONDS,
    sendsPerHour: OTP_SENDS_PER_HOUR,
  });
}

/** Stores `code` as the user's one live code of `purpose`, spending the earlier ones; answers its row id. */
async function storeCode(tx: TxContext, userId: string, purpose: OtpPurpose, code: string, expiresAt: Date, boundTo?: string): Promise<string> {
  await invalidateOtps(tx, { userId, purpose });
  const row = await tx.db.otpCode.create({
    data: { userId, purpose, codeHash: hashOtp(tx.config.secretKey, userId, purpose, code, boundTo), expiresAt, createdAt: tx.clock.now() },
    select: { id: true },
  });
  return row.id;
}

/**
 * Opens a two-step login challenge that the authenticator app answers: for the counters and the
 * challenge it is a login code like any other, but its code is random and never sent, so neither
 * the send cooldown nor the hourly cap applies and only checkCode's own test can answer it.
 */
export async function openAppChallenge(tx: TxContext, user: { id: string; email: string }): Promise<void> {
  const now = tx.clock.now();
  await lockOtpCounter(tx.db, user.email, 'login', now);
  const expiresAt = new Date(now.getTime() + tx.config.lifetimes.otpSeconds * 1000);
  await tx.db.otpCounter.update({ where: { email_purpose: { email: user.email, purpose: 'login' } }, data: { attempts: 0, expiresAt, updatedAt: now } });
  await storeCode(tx, user.id, 'login', generateOtp(), expiresAt);
}

/** Spends every live code of the user for `purpose` (all purposes when omitted). */
export async function invalidateOtps(tx: Pick<TxContext, 'db' | 'clock'>, input: { userId: string; purpose?: OtpPurpose }): Promise<void> {
  await tx.db.otpCode.updateMany({
    where: { userId: input.userId, consumedAt: null, ...(input.purpose ? { purpose: input.purpose } : {}) },
    data: { consumedAt: tx.clock.now() },
  });
}

/**
 * Counts a wrong code for the email and purpose (and against the live code, if any), audits it,
 * and answers what the client is told: the fifth wrong code burns the code.
 */
async function countWrongCode(tx: TxContext, target: OtpTarget, purpose: OtpPurpose, liveCodeId: string | null): Promise<OtpFailure> {
  const now = tx.clock.now();
  const { attempts } = await tx.db.otpCounter.update({
    where: { email_purpose: { email: target.email, purpose } },
    data: { attempts: { increment: 1 }, updatedAt: now },
    select: { attempts: true },
  });
  if (liveCodeId) await tx.db.otpCode.update({ where: { id: liveCodeId }, data: { attempts: { increment: 1 } } });
  await recordAudit(tx, {
    action: 'otp.failure',
    outcome: 'failure',
    actorId: target.id,
    ...(target.id ? {} : { subject: target.email }),
    metadata: { purpose },
  });
  return attempts >= OTP_MAX_ATTEMPTS ? 'otp_attempts_exceeded' : 'otp_invalid';
}

/**
 * Checks a code for the target's latest code of `purpose` and consumes that code when `isRight`
 * says so. The counter of the email decides `otp_attempts_exceeded` and `otp_expired` for every
 * email alike; an email without an account is looked up under an id no code belongs to (the same
 * queries, never a live code). A wrong code costs an attempt, so callers must commit `tx` even
 * when the check fails.
 */
export async function checkCode(
  tx: TxContext,
  target: OtpTarget,
  purpose: OtpPurpose,
  isRight: (live: { codeHash: string } | null, userId: string) => boolean | Promise<boolean>,
): Promise<'ok' | OtpFailure> {
  const now = tx.clock.now();
  const counter = await lockOtpCounter(tx.db, target.email, purpose, now);
  if (counter.attempts >= OTP_MAX_ATTEMPTS) return 'otp_attempts_exceeded';
  if (counter.expiresAt && counter.expiresAt <= now) return 'otp_expired';

  const userId = target.id ?? randomUUID();
  const otp = await tx.db.otpCode.findFirst({
    where: { userId, purpose },
    orderBy: { createdAt: 'desc' },
    select: { id: true, codeHash: true, expiresAt: true, consumedAt: true },
  });
  const live = otp && !otp.consumedAt && otp.expiresAt > now ? otp : null;
  if (!(await isRight(live, userId)) || !live) return countWrongCode(tx, target, purpose, live?.id ?? null);

  // The guard makes the code single-use even when two requests carry it at once.
  const consumed = await tx.db.otpCode.updateMany({
    where: { id: live.id, consumedAt: null, attempts: { lt: OTP_MAX_ATTEMPTS } },
    data: { consumedAt: now },
  });
  await tx.db.otpCounter.update({ where: { email_purpose: { email: target.email, purpose } }, data: { attempts: 0, expiresAt: null, updatedAt: now } });
  return consumed.count === 1 ? 'ok' : 'otp_invalid';
}

/**
 * Checks a sent code (with the number it must have been sent to, when bound): its keyed hash is
 * computed for every email, live code or not.
 */
export function checkOtp(tx: TxContext, target: OtpTarget, purpose: OtpPurpose, code: string, boundTo?: string): Promise<'ok' | OtpFailure> {
  return checkCode(tx, target, purpose, (live, userId) => otpMatches(live?.codeHash ?? '', hashOtp(tx.config.secretKey, userId, purpose, code, boundTo)));
}

/** Deletes code counters idle for a day: by then every code they count has long expired. */
export async function purgeOtpCounters(ctx: Pick<ServiceContext, 'db' | 'clock'>): Promise<number> {
  const cutoff = new Date(ctx.clock.now().getTime() - 24 * HOUR_MS);
  const { count } = await ctx.db.otpCounter.deleteMany({ where: { updatedAt: { lt: cutoff } } });
  return count;
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
