// Unit tests for argon2id hashing, its concurrency cap and the password policy.
import { randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ARGON2_PARAMS,
  checkPasswordPolicy,
  hashPassword,
  needsRehash,
  passwordHashingLoad,
  passwordOperationCounts,
  verifyAgainstDummy,
  verifyPassword,
} from '../../src/lib/password.ts';

const email = 'Jane.Doe@Example.com';

describe('hashPassword / verifyPassword', () => {
  it('round-trips, and refuses a wrong password', async () => {
    const encoded = await hashPassword('tawny-owl-river-42');
    expect(await verifyPassword(encoded, 'tawny-owl-river-42')).toBe(true);
    expect(await verifyPassword(encoded, 'tawny-owl-river-43')).toBe(false);
    expect(await verifyPassword(encoded, '')).toBe(false);
  });

  it('salts: the same password hashes differently each time', async () => {
    expect(await hashPassword('same-password')).not.toBe(await hashPassword('same-password'));
  });

  it('encodes argon2id with the OWASP parameters', async () => {
    const encoded = await hashPassword('tawny-owl-river-42');
    const [, id, version, params] = encoded.split('$');
    expect(id).toBe('argon2id');
    expect(version).toBe('v=19');
    expect(Object.fromEntries(params!.split(',').map((kv) => kv.split('=')))).toEqual({
      m: '19456',
      t: '2',
      p: '1',
    });
    expect(ARGON2_PARAMS).toEqual({ memoryCost: 19456, timeCost: 2, parallelism: 1 });
  });

  it('answers false, without throwing, for malformed hashes', async () => {
    const encoded = await hashPassword('tawny-owl-river-42');
    for (const bad of [
      '',
      'not a hash',
      '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA',
      encoded.slice(0, -10),
      '$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy',
    ]) {
      await expect(verifyPassword(bad, 'tawny-owl-river-42')).resolves.toBe(false);
    }
  });

  it('normalizes Unicode, so composed and decomposed forms match', async () => {
    const encoded = await hashPassword('caf\u00e9-au-lait-7');
    expect(await verifyPassword(encoded, 'cafe\u0301-au-lait-7')).toBe(true);
  });
});

describe('verifyAgainstDummy', () => {
  it('always answers false, and runs one real argon2id verification with the current parameters', async () => {
    expect(await verifyAgainstDummy('tawny-owl-river-42')).toBe(false); // also builds the dummy
    const before = passwordOperationCounts();
    expect(await verifyAgainstDummy('tawny-owl-river-42')).toBe(false);
    expect(passwordOperationCounts()).toEqual({ hashes: before.hashes, verifications: before.verifications + 1 });
  });
});

describe('needsRehash', () => {
  it('is false for a current hash and true otherwise', async () => {
    expect(needsRehash(await hashPassword('tawny-owl-river-42'))).toBe(false);
    // Library defaults (m=64 MiB, t=3, p=4), the argon2i variant, and garbage.
    expect(needsRehash('$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo')).toBe(true);
    expect(needsRehash('$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo')).toBe(true);
    expect(needsRehash('garbage')).toBe(true);
  });
});

describe('concurrency cap', () => {
  it('never runs more hashes at once than its limit; the rest queue', async () => {
    const encoded = await hashPassword('tawny-owl-river-42');
    const { limit } = passwordHashingLoad();
    let maxActive = 0;
    const sample = () => {
      maxActive = Math.max(maxActive, passwordHashingLoad().active);
    };
    const timer = setInterval(sample, 1);
    const calls = Array.from({ length: 20 }, (_, i) => verifyPassword(encoded, `guess-${i}`));
    sample();
    expect(passwordHashingLoad()).toEqual({ active: Math.min(limit, 20), pending: Math.max(0, 20 - limit), limit });
    const results = await Promise.all(calls);
    clearInterval(timer);
    expect(results).toEqual(Array.from({ length: 20 }, () => false));
    expect(maxActive).toBe(Math.min(limit, 20));
    expect(passwordHashingLoad()).toEqual({ active: 0, pending: 0, limit });
  });
});

describe('checkPasswordPolicy', () => {
  it('counts code points: 8 to 128 characters', () => {
    expect(checkPasswordPolicy('tqx7-vb3', { email })).toBeNull();
    expect(checkPasswordPolicy('tqx7-vb', { email })).toMatch(/at least 8/);
    expect(checkPasswordPolicy('k'.repeat(127) + 'z', { email })).toBeNull();
    expect(checkPasswordPolicy('k'.repeat(128) + 'z', { email })).toMatch(/at most 128/);
  });

  it('counts an emoji (two UTF-16 units) as one character', () => {
    // 7 code points but 8 UTF-16 units: too short.
    expect(checkPasswordPolicy('tqx7-v\u{1F510}', { email })).toMatch(/at least 8/);
    expect(checkPasswordPolicy('tqx7-vb\u{1F510}', { email })).toBeNull();
    // 128 emoji are 256 UTF-16 units but 128 characters: allowed, and never truncated.
    expect(checkPasswordPolicy('\u{1F510}'.repeat(128), { email })).toBeNull();
    expect(checkPasswordPolicy('\u{1F510}'.repeat(129), { email })).toMatch(/at most 128/);
  });

  it('refuses the email and its local part, ignoring case', () => {
    expect(checkPasswordPolicy('jane.doe@example.com', { email })).toMatch(/email/);
    expect(checkPasswordPolicy('JANE.DOE@EXAMPLE.COM', { email })).toMatch(/email/);
    expect(checkPasswordPolicy('Jane.Doe', { email })).toMatch(/email/);
    expect(checkPasswordPolicy('jane.doe@example.org', { email })).toBeNull();
  });

  it('refuses common passwords, ignoring case', () => {
    for (const common of ['password1', 'qwerty123', 'Password123', 'iloveyou1', 'P@SSW0RD', '12345678']) {
      expect(checkPasswordPolicy(common, { email }), common).toMatch(/too common/);
    }
  });

  it('accepts a random long passphrase', () => {
    const words = ['lantern', 'orbit', 'velvet', 'quarry', 'maple', 'thistle', 'cobalt', 'harbor'];
    const passphrase = Array.from({ length: 5 }, () => words[randomInt(words.length)]).join(' ');
    expect(checkPasswordPolicy(passphrase, { email })).toBeNull();
  });
});
