// Access tokens: HS256 JWTs with a key derived from SECRET_KEY, issuer and audience checked,
// signed and verified with fast-jwt (the library under @fastify/jwt), built once per app so the
// API, the worker and the scripts share one signer through the app's dependencies.
import { randomUUID } from 'node:crypto';
import { createSigner, createVerifier } from 'fast-jwt';
import type { Role } from '../generated/prisma/enums.ts';
import type { Clock } from './clock.ts';
import { deriveKey } from './keys.ts';

export const TOKEN_ISSUER = 'clinic-api';
export const TOKEN_AUDIENCE = 'clinic-api';

export interface AccessClaims {
  sub: string;
  role: Role;
  /** The refresh-token family (session) this access token belongs to. */
  sid: string;
  jti: string;
  iat: number;
  exp: number;
}

export interface AccessTokens {
  /** Returns the signed JWT and its expiry in epoch seconds. */
  sign(claims: { sub: string; role: Role; sid: string }): { token: string; exp: number };
  /** Returns the claims of a valid access token, or null for anything else. */
  verify(token: string): AccessClaims | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `iat` and `exp` as our signer writes them: whole seconds, `exp` after `iat` by at most the access
 * lifetime. A token signed with the real key but `exp: 1e308` (or 1.5, or years ahead) was not
 * made by us, and would reach answers and date arithmetic that cannot hold it.
 */
function saneTimes(claims: AccessClaims, lifetimeSeconds: number): boolean {
  const { iat, exp } = claims;
  return Number.isSafeInteger(iat) && Number.isSafeInteger(exp) && exp > iat && exp - iat <= lifetimeSeconds;
}

/** The key access tokens are signed with (tests forge tokens with it). */
export const accessTokenKey = (secretKey: string) => deriveKey(secretKey, 'jwt-access');

export function createAccessTokens(options: { secretKey: string; lifetimeSeconds: number; clock: Clock }): AccessTokens {
  const { clock, lifetimeSeconds } = options;
  const key = accessTokenKey(options.secretKey);
  const signer = createSigner({ key, algorithm: 'HS256', iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE, expiresIn: lifetimeSeconds * 1000 });
  // Signature, algorithm, issuer, audience, the required claims, and expiry against the system clock.
  const verifier = createVerifier({
    key,
    algorithms: ['HS256'],
    allowedIss: TOKEN_ISSUER,
    allowedAud: TOKEN_AUDIENCE,
    requiredClaims: ['sub', 'role', 'sid', 'jti', 'iat', 'exp'],
  });
  return {
    sign(claims) {
      // iat from the app's clock (tests move it); exp follows from it.
      const iat = Math.floor(clock.now().getTime() / 1000);
      return { token: signer({ ...claims, jti: randomUUID(), iat }), exp: iat + lifetimeSeconds };
    },
    verify(token) {
      try {
        const claims = verifier(token) as AccessClaims;
        if (!saneTimes(claims, lifetimeSeconds)) return null;
        // Expiry against the app's clock as well (the same clock in production; tests move theirs forward).
        if (claims.exp * 1000 <= clock.now().getTime()) return null;
        // A correctly signed token with ids that are not UUIDs was not made by us: never let it reach SQL.
        return typeof claims.sub === 'string' && UUID.test(claims.sub) && typeof claims.sid === 'string' && UUID.test(claims.sid)
          ? claims
          : null;
      } catch {
        return null;
      }
    },
  };
}
