// Authenticator apps (RFC 6238 TOTP: SHA-1, 6 digits, 30 s) and their recovery codes. The secret
// is stored sealed (AES-256-GCM, key derived from SECRET_KEY, bound to the user); a code is
// accepted once (the last used step is remembered); recovery codes are stored as keyed hashes and
// each works once.
import { createCipheriv, createDecipheriv, createHmac, randomBytes, randomInt } from 'node:crypto';
import * as OTPAuth from 'otpauth';
import type { Config } from '../../config.ts';
import type { Role } from '../../generated/prisma/enums.ts';
import type { TxContext } from '../../lib/context.ts';
import type { DbClient } from '../../lib/db.ts';
import { deriveKey } from '../../lib/keys.ts';
import { APP_NAME } from '../../lib/mail-templates.ts';

const PERIOD_SECONDS = 30;
/** Codes of the step before and after now are accepted too: clocks drift and people type slowly. */
const WINDOW_STEPS = 1;
export const RECOVERY_CODE_COUNT = 10;
/** No 0/o, 1/l/i: recovery codes are read off paper. */
const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

type Keyed = Pick<TxContext, 'config'>;

function seal(ctx: Keyed, userId: string, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', deriveKey(ctx.config.secretKey, 'totp-secret'), iv);
  cipher.setAAD(Buffer.from(userId));
  const data = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return ['v1', iv, cipher.getAuthTag(), data].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
}

function unseal(ctx: Keyed, userId: string, sealed: string): string {
  const [, iv, tag, data] = sealed.split('.').map((part) => Buffer.from(part, 'base64url'));
  const decipher = createDecipheriv('aes-256-gcm', deriveKey(ctx.config.secretKey, 'totp-secret'), iv!);
  decipher.setAAD(Buffer.from(userId));
  decipher.setAuthTag(tag!);
  return Buffer.concat([decipher.update(data!), decipher.final()]).toString('utf8');
}

const totpOf = (secret: string, label = '') =>
  new OTPAuth.TOTP({ issuer: APP_NAME, label, algorithm: 'SHA1', digits: 6, period: PERIOD_SECONDS, secret: OTPAuth.Secret.fromBase32(secret) });

/** Starts (or restarts) an enrolment: a new secret, not yet a login step. */
export async function startEnrolment(tx: TxContext, user: { id: string; email: string }): Promise<{ secret: string; otpauthUrl: string }> {
  const secret = new OTPAuth.Secret({ size: 20 }).base32;
  const secretEncrypted = seal(tx, user.id, secret);
  await tx.db.totpFactor.upsert({
    where: { userId: user.id },
    create: { userId: user.id, secretEncrypted, createdAt: tx.clock.now() },
    update: { secretEncrypted, confirmedAt: null, lastUsedStep: null, createdAt: tx.clock.now() },
  });
  return { secret, otpauthUrl: totpOf(secret, user.email).toString() };
}

/** Whether the user's authenticator app is their login step (confirmed). */
export async function hasConfirmedTotp(db: DbClient, userId: string): Promise<boolean> {
  return (await db.totpFactor.count({ where: { userId, confirmedAt: { not: null } } })) > 0;
}

/** Whether the user must give an e-mailed code at login: they chose it, or their role must (MFA_REQUIRED_ROLES). */
export const emailStepRequired = (config: Config, user: { role: Role; twoStepLogin: boolean }) =>
  user.twoStepLogin || config.mfaRequiredRoles.includes(user.role);

/** The second login step of the user: the authenticator app once confirmed, else an e-mailed code when required. */
export async function loginStepOf(ctx: Pick<TxContext, 'db' | 'config'>, user: { id: string; role: Role; twoStepLogin: boolean }): Promise<'totp' | 'email' | null> {
  if (await hasConfirmedTotp(ctx.db, user.id)) return 'totp';
  return emailStepRequired(ctx.config, user) ? 'email' : null;
}

/**
 * Accepts an authenticator code of the user's factor (confirmed or, with `pending`, the one being
 * enrolled) once: the step it belongs to must be later than the last accepted one, and the guarded
 * update makes two requests with one code succeed once.
 */
export async function acceptTotpCode(tx: TxContext, userId: string, code: string, state: 'confirmed' | 'pending'): Promise<boolean> {
  const factor = await tx.db.totpFactor.findUnique({ where: { userId }, select: { secretEncrypted: true, confirmedAt: true } });
  if (!factor || (factor.confirmedAt !== null) !== (state === 'confirmed')) return false;
  const now = tx.clock.now().getTime();
  const delta = totpOf(unseal(tx, userId, factor.secretEncrypted)).validate({ token: code, timestamp: now, window: WINDOW_STEPS });
  if (delta === null) return false;
  const step = Math.floor(now / 1000 / PERIOD_SECONDS) + delta;
  const { count } = await tx.db.totpFactor.updateMany({
    where: { userId, OR: [{ lastUsedStep: null }, { lastUsedStep: { lt: step } }] },
    data: { lastUsedStep: step, ...(state === 'pending' ? { confirmedAt: tx.clock.now() } : {}) },
  });
  return count === 1;
}

/** Recovery codes are typed by hand: case, spaces and the dash do not matter. */
const normaliseRecoveryCode = (code: string) => code.toLowerCase().replace(/[\s-]/g, '');

function hashRecoveryCode(ctx: Keyed, userId: string, code: string): string {
  return createHmac('sha256', deriveKey(ctx.config.secretKey, 'otp-hmac'))
    .update(JSON.stringify(['recovery-v1', userId, normaliseRecoveryCode(code)]))
    .digest('hex');
}

/** Replaces the user's recovery codes with RECOVERY_CODE_COUNT new ones; answers them (shown once). */
export async function issueRecoveryCodes(tx: TxContext, userId: string): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const chars = Array.from({ length: 10 }, () => RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)]).join('');
    return `${chars.slice(0, 5)}-${chars.slice(5)}`;
  });
  await tx.db.recoveryCode.deleteMany({ where: { userId } });
  await tx.db.recoveryCode.createMany({
    data: codes.map((code) => ({ userId, codeHash: hashRecoveryCode(tx, userId, code), createdAt: tx.clock.now() })),
  });
  return codes;
}

/** Spends one unused recovery code of the user; false when none matches. */
export async function useRecoveryCode(tx: TxContext, userId: string, code: string): Promise<boolean> {
  const { count } = await tx.db.recoveryCode.updateMany({
    where: { userId, codeHash: hashRecoveryCode(tx, userId, code), usedAt: null },
    data: { usedAt: tx.clock.now() },
  });
  return count === 1;
}

/** A second-factor answer: a 6-digit authenticator code, or else one of the recovery codes. */
export async function acceptSecondFactor(tx: TxContext, userId: string, code: string): Promise<'totp' | 'recovery_code' | null> {
  if (/^\d{6}$/.test(code)) return (await acceptTotpCode(tx, userId, code, 'confirmed')) ? 'totp' : null;
  return (await useRecoveryCode(tx, userId, code)) ? 'recovery_code' : null;
}

/** Removes the authenticator app and its recovery codes. */
export async function removeTotp(tx: TxContext, userId: string): Promise<void> {
  await tx.db.recoveryCode.deleteMany({ where: { userId } });
  await tx.db.totpFactor.deleteMany({ where: { userId } });
}
