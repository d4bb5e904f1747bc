// Authentication and route access: verifies access JWTs (HS256 with a key derived from
// SECRET_KEY, issuer and audience checked) and asks the session lookup it is given whether the
// user is still active and the session alive. Each route says who may call it once, in
// `config.auth`; one onRoute hook turns that into both the check and the OpenAPI security.
import { randomUUID } from 'node:crypto';
import fastifyJwt from '@fastify/jwt';
import type { FastifyRequest, onRequestAsyncHookHandler, onRequestHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import type { Role } from '../generated/prisma/enums.ts';
import type { Actor } from '../lib/context.ts';
import type { Db } from '../lib/db.ts';
import { ForbiddenError, UnauthorizedError } from '../lib/errors.ts';
import { deriveKey } from '../lib/keys.ts';

export const TOKEN_ISSUER = 'clinic-api';
export const TOKEN_AUDIENCE = 'clinic-api';
export const BEARER_SECURITY = [{ bearerAuth: [] }];

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

/**
 * The actor (with the role read from the database) of an active user whose session is alive, or
 * null: handed in by the accounts module. Called on every authenticated request.
 */
export type SessionLookup = (db: Db, userId: string, sessionId: string, now: Date) => Promise<Actor | null>;

/** Who may call a route: anyone, any signed-in user, or only these roles. */
export type RouteAuth = 'public' | 'user' | readonly Role[];

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuth;
  }
  interface FastifyRequest {
    actor: Actor | null;
  }
  interface FastifyInstance {
    tokens: AccessTokenSigner;
  }
}

/** The authenticated actor of a request on a route that is not public. */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw new UnauthorizedError();
  return request.actor;
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

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw new UnauthorizedError({ code: 'token_invalid', detail: 'The Authorization header must be `Bearer <token>`.' });
  return match[1];
}

export default fp(
  async (app, options: { findSession: SessionLookup }) => {
    const { config, clock, db } = app.deps;
    await app.register(fastifyJwt, {
      secret: deriveKey(config.secretKey, 'jwt-access'),
      sign: { algorithm: 'HS256', iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE, expiresIn: config.lifetimes.accessSeconds },
      verify: {
        algorithms: ['HS256'],
        allowedIss: TOKEN_ISSUER,
        allowedAud: TOKEN_AUDIENCE,
        requiredClaims: ['sub', 'role', 'sid', 'jti', 'iat', 'exp'],
      },
    });

    const signer: AccessTokenSigner = {
      sign(claims) {
        const clockTimestamp = clock.now().getTime();
        const token = app.jwt.sign({ ...claims, jti: randomUUID() }, { clockTimestamp });
        return { token, exp: Math.floor(clockTimestamp / 1000) + config.lifetimes.accessSeconds };
      },
      verify(token) {
        try {
          // The verifier built once at registration (passing options, e.g. a clockTimestamp, makes
          // @fastify/jwt build a new one per call): signature, algorithm, issuer, audience, the
          // required claims, and expiry against the system clock.
          const claims = app.jwt.verify<AccessClaims>(token);
          if (!saneTimes(claims, config.lifetimes.accessSeconds)) return null;
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
    app.decorate('tokens', signer);
    app.decorateRequest('actor', null);

    const authenticate: onRequestAsyncHookHandler = async (request) => {
      const token = bearerToken(request);
      if (!token) throw new UnauthorizedError();
      const claims = signer.verify(token);
      const actor = claims ? await options.findSession(db, claims.sub, claims.sid, clock.now()) : null;
      if (!actor) throw new UnauthorizedError({ code: 'token_invalid', detail: 'The access token is invalid or expired.' });
      request.actor = actor;
    };

    const requireRole = (roles: readonly Role[]): onRequestAsyncHookHandler => async (request) => {
      if (!roles.includes(actorOf(request).role)) throw new ForbiddenError();
    };

    app.addHook('onRoute', (route) => {
      const auth = route.config?.auth;
      if (!route.schema?.operationId) return; // framework routes (Swagger UI) document nothing
      if (auth === undefined) throw new Error(`${String(route.method)} ${route.url}: declare config.auth ('public', 'user' or roles)`);
      if (auth === 'public') {
        route.schema.security = [];
        return;
      }
      route.schema.security = BEARER_SECURITY;
      const existing = route.onRequest === undefined ? [] : [route.onRequest].flat();
      route.onRequest = [authenticate, ...(auth === 'user' ? [] : [requireRole(auth)]), ...existing] as onRequestHookHandler[];
    });
  },
  { name: 'auth', dependencies: ['errors'] },
);
