// Access token verification: a token signed with the real key is still refused when its `exp` or
// `iat` is not what our signer writes (whole seconds, exp within the access lifetime of iat), on
// every route that reads tokens: 401 token_invalid, never a 500 or a session that never ends.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveKey } from '../../src/lib/keys.ts';
import { useTestApp } from '../helpers/app.ts';
import { apiUrl, expectProblem } from '../helpers/http.ts';
import { decodeToken } from '../helpers/tokens.ts';
import { createUser, login } from '../helpers/actors.ts';

const t = useTestApp();

/** An HS256 JWT over `payload`, signed with the app's real access-token key. */
function signedWithRealKey(payload: Record<string, unknown>): string {
  const encode = (part: unknown) => Buffer.from(JSON.stringify(part)).toString('base64url');
  const input = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(payload)}`;
  return `${input}.${createHmac('sha256', deriveKey(t.config.secretKey, 'jwt-access')).update(input).digest('base64url')}`;
}

const me = (token: string) => t.app.inject({ url: apiUrl('user/me'), headers: { authorization: `Bearer ${token}` } });
const verify = (token: string) => t.app.inject({ method: 'POST', url: apiUrl('user/token/verify'), payload: { token } });

describe('exp and iat', () => {
  it('refuses a real session’s claims with exp or iat that our signer never writes, on user/me and token/verify', async () => {
    const tokens = await login(t.app, await createUser(t.db));
    const claims = decodeToken<Record<string, unknown> & { iat: number; exp: number }>(tokens.access);
    const lifetime = t.config.lifetimes.accessSeconds;
    // Control: the same claims signed by hand pass, so each refusal below is about its times.
    const control = signedWithRealKey(claims);
    expect((await me(control)).statusCode).toBe(200);
    expect((await verify(control)).json()).toEqual({ valid: true, exp: claims.exp });

    const cases: Record<string, Record<string, unknown>> = {
      'exp 1e308': { exp: 1e308 },
      'exp not whole seconds': { exp: claims.exp + 0.5 },
      'exp years after iat': { exp: claims.iat + 10 * 365 * 86_400 },
      'exp one second past the lifetime': { exp: claims.iat + lifetime + 1 },
      'iat 1e308': { iat: 1e308 },
      'iat after exp': { iat: claims.exp + 1 },
      'iat a string': { iat: String(claims.iat) },
    };
    for (const [label, change] of Object.entries(cases)) {
      const token = signedWithRealKey({ ...claims, ...change });
      expectProblem(await me(token), 401, 'token_invalid');
      const answer = await verify(token);
      expect(answer.statusCode, `${label}: ${answer.body}`).toBe(401);
      expectProblem(answer, 401, 'token_invalid');
    }
  });
});
