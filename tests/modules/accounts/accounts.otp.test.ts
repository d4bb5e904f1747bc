// Unit tests for one-time code generation, hashing and comparison.
import { describe, expect, it } from 'vitest';
import { generateOtp, hashOtp, otpMatches } from '../../../src/modules/accounts/accounts.otp.ts';

const key = 'test-secret-key-with-enough-length-0123456789';
const userA = '0190f5c2-7a1e-7cc0-8000-000000000001';
const userB = '0190f5c2-7a1e-7cc0-8000-000000000002';

describe('generateOtp', () => {
  it('always answers 6 digits, and every digit turns up in every position', () => {
    const seen = Array.from({ length: 6 }, () => new Set<string>());
    for (let i = 0; i < 5000; i++) {
      const code = generateOtp();
      expect(code).toMatch(/^\d{6}$/);
      [...code].forEach((digit, position) => seen[position]!.add(digit));
    }
    // A leading 0 showing up proves the zero padding.
    for (const digits of seen) expect(digits.size).toBe(10);
  });
});

describe('hashOtp', () => {
  it('is a deterministic HMAC-SHA-256 in hex', () => {
    const hash = hashOtp(key, userA, 'activation', '012345');
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hashOtp(key, userA, 'activation', '012345')).toBe(hash);
  });

  it('differs per code, user, purpose and key', () => {
    const hash = hashOtp(key, userA, 'login', '123456');
    expect(hashOtp(key, userA, 'login', '123457')).not.toBe(hash);
    expect(hashOtp(key, userB, 'login', '123456')).not.toBe(hash);
    expect(hashOtp(key, userA, 'activation', '123456')).not.toBe(hash);
    expect(hashOtp(key, userA, 'password_reset', '123456')).not.toBe(hash);
    expect(hashOtp(`${key}!`, userA, 'login', '123456')).not.toBe(hash);
  });
});

describe('otpMatches', () => {
  it('compares hashes exactly', () => {
    const hash = hashOtp(key, userA, 'login', '123456');
    expect(otpMatches(hash, hashOtp(key, userA, 'login', '123456'))).toBe(true);
    expect(otpMatches(hash, hashOtp(key, userA, 'login', '654321'))).toBe(false);
    expect(otpMatches(hash, hash.slice(0, -1))).toBe(false);
    expect(otpMatches(hash, '')).toBe(false);
    expect(otpMatches(hash, hash.toUpperCase())).toBe(false);
  });
});
