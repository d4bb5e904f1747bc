// One-time codes: generation, keyed hashing bound to a user and purpose, constant-time comparison.
import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import type { OtpPurpose } from '../../generated/prisma/enums.ts';
import { deriveKey } from '../../lib/keys.ts';

export const OTP_DIGITS = 6;

/** A uniformly random 6-digit code from the CSPRNG, zero-padded ("004217"). */
export function generateOtp(): string {
  return randomInt(0, 10 ** OTP_DIGITS).toString().padStart(OTP_DIGITS, '0');
}

/**
 * HMAC-SHA-256 (hex) of the code, keyed from SECRET_KEY. A 6-digit code has only a million
 * values, so a plain hash would be reversed at once from a database dump; the key prevents
 * that. The user id and purpose are in the MAC input so a code stored for one user or
 * purpose never matches another; JSON encoding delimits the fields unambiguously. `boundTo` (the
 * phone number a verification code was sent to) joins them, so the code proves that number only.
 */
export function hashOtp(secretKey: string, userId: string, purpose: OtpPurpose, code: string, boundTo?: string): string {
  return createHmac('sha256', deriveKey(secretKey, 'otp-hmac'))
    .update(JSON.stringify(['otp-v1', userId, purpose, code, ...(boundTo === undefined ? [] : [boundTo])]))
    .digest('hex');
}

/** Constant-time equality of two hashes from hashOtp; the length of a hash is no secret. */
export function otpMatches(expectedHash: string, actualHash: string): boolean {
  const expected = Buffer.from(expectedHash, 'utf8');
  const actual = Buffer.from(actualHash, 'utf8');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
