// Password hashing (argon2id behind a concurrency cap) and the password policy.
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { argon2id, hash, needsRehash as argon2NeedsRehash, verify } from 'argon2';
import type * as LanguageCommon from '@zxcvbn-ts/language-common';
import pLimit from 'p-limit';

// OWASP Password Storage Cheat Sheet, "Argon2id": "a minimum configuration of 19 MiB of
// memory, an iteration count of 2, and 1 degree of parallelism". About 25-30 ms per hash on
// this 2-core machine, against ~175 ms at the library's defaults (64 MiB, t=3, p=4).
export const ARGON2_PARAMS = { memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

// argon2 runs on libuv's threadpool (4 threads by default). Holding hashes to one per core
// keeps a login storm from taking every thread (fs, dns and crypto share them) and from
// queueing without bound inside libuv: the excess waits here, in arrival order.
const limiter = pLimit(Math.max(1, availableParallelism()));

// Counts of argon2 operations started: lets tests prove that two code paths do the same work
// (enumeration safety) without timing them, and feeds metrics.
const operations = { hashes: 0, verifications: 0 };

/** How many hashes and verifications have run since the process started. */
export function passwordOperationCounts(): { hashes: number; verifications: number } {
  return { ...operations };
}

/** How busy hashing is, for metrics and tests. */
export function passwordHashingLoad(): { active: number; pending: number; limit: number } {
  return { active: limiter.activeCount, pending: limiter.pendingCount, limit: limiter.concurrency };
}

// NIST SP 800-63B asks verifiers to normalize Unicode passwords (NFKC or NFKD) before
// hashing, so the same password typed on two systems that compose characters
// differently still matches.
function normalize(plain: string): string {
  return plain.normalize('NFKC');
}

export function hashPassword(plain: string): Promise<string> {
  operations.hashes += 1;
  return limiter(() => hash(normalize(plain), { type: argon2id, ...ARGON2_PARAMS }));
}

/** False on a wrong password and on a hash that cannot be parsed: never throws for those. */
export function verifyPassword(encodedHash: string, plain: string): Promise<boolean> {
  operations.verifications += 1;
  return limiter(async () => {
    try {
      return await verify(encodedHash, normalize(plain));
    } catch {
      return false;
    }
  });
}

let dummyHash: Promise<string> | undefined;

/**
 * Costs what a real verify costs and always answers false: call it when the email is
 * unknown, so response times do not tell which accounts exist.
 */
export async function verifyAgainstDummy(plain: string): Promise<false> {
  dummyHash ??= hashPassword(randomBytes(16).toString('base64url')).catch((error: unknown) => {
    dummyHash = undefined; // let the next call try again rather than fail forever
    throw error;
  });
  await verifyPassword(await dummyHash, plain);
  return false;
}

/** True when the hash is not argon2id with the current parameters (rehash after a successful login). */
export function needsRehash(encodedHash: string): boolean {
  try {
    return !encodedHash.startsWith('$argon2id$') || argon2NeedsRehash(encodedHash, ARGON2_PARAMS);
  } catch {
    return true;
  }
}

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;

let commonPasswords: Set<string> | undefined;

// The zxcvbn-ts common list: ~49k passwords from leaked sets, most frequent first.
// Loaded on first use (about 100 ms to decompress), not at startup.
function isCommonPassword(password: string): boolean {
  if (!commonPasswords) {
    const require = createRequire(import.meta.url);
    const { dictionary } = require('@zxcvbn-ts/language-common') as typeof LanguageCommon;
    commonPasswords = new Set(dictionary['passwords-common'].map((p) => p.toLowerCase()));
  }
  return commonPasswords.has(password.toLowerCase());
}

/** The reason a new password is refused, or null when it is acceptable. */
export function checkPasswordPolicy(password: string, context: { email: string }): string | null {
  // Code points, not UTF-16 units, so an emoji counts as one character.
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) {
    return `Password must be at least ${PASSWORD_MIN_LENGTH} characters long.`;
  }
  if (length > PASSWORD_MAX_LENGTH) {
    return `Password must be at most ${PASSWORD_MAX_LENGTH} characters long.`;
  }
  const lowered = password.toLowerCase();
  const email = context.email.toLowerCase();
  const at = email.lastIndexOf('@');
  if (lowered === email || (at > 0 && lowered === email.slice(0, at))) {
    return 'Password must not be your email address.';
  }
  if (isCommonPassword(password)) {
    return 'This password is too common; choose one that is harder to guess.';
  }
  return null;
}
