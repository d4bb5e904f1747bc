// Purpose-bound keys derived from SECRET_KEY with HKDF, so one leaked key (say the JWT key)
// reveals nothing about the others (OTP hashing, mail payload encryption, job order keys, TOTP
// secrets at rest).
import { hkdfSync } from 'node:crypto';

export type KeyPurpose = 'jwt-access' | 'otp-hmac' | 'mail-payload' | 'refresh-token' | 'job-order' | 'totp-secret';

export function deriveKey(secretKey: string, purpose: KeyPurpose, length = 32): Buffer {
  return Buffer.from(hkdfSync('sha256', secretKey, 'clinic-api', purpose, length));
}
