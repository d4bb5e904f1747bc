// Access tokens signed with the app's real key, for tests that forge claims a client could not.
import { createSigner } from 'fast-jwt';
import type { Config } from '../../src/config.ts';
import { accessTokenKey, TOKEN_AUDIENCE, TOKEN_ISSUER } from '../../src/lib/tokens.ts';

/** A JWT with exactly these claims (plus issuer and audience), signed with `config`'s access-token key. */
export function forgeAccessToken(config: Pick<Config, 'secretKey'>, claims: Record<string, unknown>): string {
  const sign = createSigner({ key: accessTokenKey(config.secretKey), algorithm: 'HS256', iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE, expiresIn: 60_000 });
  return sign(claims);
}

/** The claims of a token, unverified. */
export function decodeToken<T>(token: string): T {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as T;
}
