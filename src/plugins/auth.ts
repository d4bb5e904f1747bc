// Authentication and route access: verifies access tokens with the app's signer (lib/tokens.ts)
// and asks the session lookup it is given whether the user is still active and the session
// alive. Each route says who may call it once, in `config.auth`; one onRoute hook turns that into
// both the check and the OpenAPI security.
import type { FastifyRequest, onRequestAsyncHookHandler, onRequestHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import type { Role } from '../generated/prisma/enums.ts';
import type { Clock } from '../lib/clock.ts';
import type { Actor } from '../lib/context.ts';
import type { Db } from '../lib/db.ts';
import { ForbiddenError, UnauthorizedError } from '../lib/errors.ts';
import type { AccessTokens } from '../lib/tokens.ts';

export const BEARER_SECURITY = [{ bearerAuth: [] }];
/** OpenAPI 3.1's "no credentials, or a bearer token". */
const OPTIONAL_BEARER_SECURITY: Record<string, string[]>[] = [{}, { bearerAuth: [] }];

/**
 * The actor (with the role read from the database) of an active user whose session is alive, or
 * null: handed in by the accounts module. Called on every authenticated request.
 */
export type SessionLookup = (db: Db, userId: string, sessionId: string, now: Date) => Promise<Actor | null>;

/**
 * Who may call a route: anyone, anyone with an optional bearer token (a token sent must be
 * valid; `request.actor` says who it is, null without one), any signed-in user, or only these roles.
 */
export type RouteAuth = 'public' | 'optional' | 'user' | readonly Role[];

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuth;
  }
  interface FastifyRequest {
    actor: Actor | null;
  }
}

/** The authenticated actor of a request on a route that is not public. */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw new UnauthorizedError();
  return request.actor;
}

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw new UnauthorizedError({ code: 'token_invalid', detail: 'The Authorization header must be `Bearer <token>`.' });
  return match[1];
}

export interface AuthOptions {
  tokens: AccessTokens;
  clock: Clock;
  db: Db;
  findSession: SessionLookup;
}

export default fp(
  async (app, options: AuthOptions) => {
    const { tokens, clock, db } = options;
    app.decorateRequest('actor', null);

    /** The actor of the request's bearer token (401 for a bad one), or null when none was sent. */
    async function actorOfToken(request: FastifyRequest): Promise<Actor | null> {
      const token = bearerToken(request);
      if (!token) return null;
      const claims = tokens.verify(token);
      const actor = claims ? await options.findSession(db, claims.sub, claims.sid, clock.now()) : null;
      if (!actor) throw new UnauthorizedError({ code: 'token_invalid', detail: 'The access token is invalid or expired.' });
      return actor;
    }

    const authenticate: onRequestAsyncHookHandler = async (request) => {
      request.actor = await actorOfToken(request);
      if (!request.actor) throw new UnauthorizedError();
    };

    const authenticateIfSent: onRequestAsyncHookHandler = async (request) => {
      request.actor = await actorOfToken(request);
    };

    const requireRole = (roles: readonly Role[]): onRequestAsyncHookHandler => async (request) => {
      if (!roles.includes(actorOf(request).role)) throw new ForbiddenError();
    };

    app.addHook('onRoute', (route) => {
      const auth = route.config?.auth;
      if (!route.schema?.operationId) return; // framework routes (Swagger UI) document nothing
      if (auth === undefined) throw new Error(`${String(route.method)} ${route.url}: declare config.auth ('public', 'optional', 'user' or roles)`);
      if (auth === 'public') {
        route.schema.security = [];
        return;
      }
      const existing = route.onRequest === undefined ? [] : [route.onRequest].flat();
      if (auth === 'optional') {
        route.schema.security = OPTIONAL_BEARER_SECURITY;
        route.onRequest = [authenticateIfSent, ...existing] as onRequestHookHandler[];
        return;
      }
      route.schema.security = BEARER_SECURITY;
      route.onRequest = [authenticate, ...(auth === 'user' ? [] : [requireRole(auth)]), ...existing] as onRequestHookHandler[];
    });
  },
  { name: 'auth', dependencies: ['errors'] },
);
