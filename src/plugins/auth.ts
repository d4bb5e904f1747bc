// Authentication: verifies access JWTs (HS256 with a key derived from SECRET_KEY, issuer and
// audience checked), confirms on every request that the user is still active and the session
// not revoked, and offers `authenticate` and `requireRole(...)` hooks to the modules.
import { randomUUID } from 'node:crypto';
import fastifyJwt from '@fastify/jwt';
import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import type { Role } from '../generated/prisma/enums.ts';
import { ForbiddenError, UnauthorizedError } from '../lib/errors.ts';
import { deriveKey } from '../lib/keys.ts';
import { TOKEN_AUDIENCE, TOKEN_ISSUER, type AccessClaims, type AccessTokenSigner } from '../lib/tokens.ts';
import { findActiveSession } from '../modules/accounts/sessions.service.ts';

/** Who is calling: what services receive to decide what the caller may do. */
export interface Actor {
  userId: string;
  role: Role;
  sessionId: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor | null;
  }
  interface FastifyInstance {
    tokens: AccessTokenSigner;
    authenticate: onRequestAsyncHookHandler;
    requireRole(...roles: Role[]): onRequestAsyncHookHandler;
  }
}

/** The authenticated actor of a request behind `authenticate`. */
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

export default fp(
  async (app) => {
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
          return app.jwt.verify<AccessClaims>(token, { clockTimestamp: clock.now().getTime() });
        } catch {
          return null;
        }
      },
    };
    app.decorate('tokens', signer);

    app.decorateRequest('actor', null);

    app.decorate('authenticate', async (request: FastifyRequest) => {
      const token = bearerToken(request);
      if (!token) throw new UnauthorizedError();
      const claims = signer.verify(token);
      const session = claims ? await findActiveSession(db, claims.sub, claims.sid, clock.now()) : null;
      if (!claims || !session) throw new UnauthorizedError({ code: 'token_invalid', detail: 'The access token is invalid or expired.' });
      request.actor = { userId: claims.sub, role: session.role, sessionId: claims.sid };
    });

    app.decorate('requireRole', (...roles: Role[]) => async (request: FastifyRequest, _reply: FastifyReply) => {
      if (!roles.includes(actorOf(request).role)) throw new ForbiddenError();
    });
  },
  { name: 'auth', dependencies: ['errors'] },
);
