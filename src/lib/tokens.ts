// Token primitives: opaque refresh tokens (random, stored only as a SHA-256 hash) and the
// shape of access-token claims. Signing and verifying access JWTs is plugins/auth.ts's job.
import { createHash, randomBytes } from 'node:crypto';
import type { Role } from '../generated/prisma/enums.ts';

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

export interface AccessTokenSigner {
  /** Returns the signed JWT and its expiry in epoch seconds. */
  sign(claims: { sub: string; role: Role; sid: string }): { token: string; exp: number };
  /** Returns the claims of a valid access token, or null for anything else. */
  verify(token: string): AccessClaims | null;
}

/** 256 random bits, URL-safe: unguessable, so a fast hash is enough to store it. */
export function generateRefreshToken(): string {
  return randomBytes(32).toString('base64url');
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
