// Security headers (helmet), CORS from CORS_ORIGINS, and rate limits: a global 300/min per IP
// plus named limits routes add with `app.limit(...)`. Limits live in Redis when REDIS_URL is
// set (shared across instances), in memory otherwise.
import fastifyCors from '@fastify/cors';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { Redis } from 'ioredis';
import { TooManyRequestsError } from '../lib/errors.ts';

export interface LimitOptions {
  /** Counter name; keeps this limit's counters apart from every other. */
  name: string;
  max: number;
  /** What one counter is for: the client IP, or a value from the request (e.g. the email). */
  key: 'ip' | ((request: FastifyRequest) => string | undefined);
  windowMs?: number;
}

declare module 'fastify' {
  interface FastifyInstance {
    limit(options: LimitOptions): preHandlerAsyncHookHandler;
  }
}

const GLOBAL_LIMIT_PER_MINUTE = 300;

export default fp(
  async (app, options: { corsOrigins: (string | RegExp)[]; rateLimitEnabled: boolean; redisUrl: string | undefined }) => {
    await app.register(fastifyHelmet, {
      // An API answers JSON: nothing may be framed or executed from it. Swagger UI sets its own CSP.
      contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
      crossOriginResourcePolicy: { policy: 'same-site' },
    });
    await app.register(fastifyCors, {
      origin: options.corsOrigins.length > 0 ? options.corsOrigins : false,
      exposedHeaders: ['retry-after', 'x-request-id'],
    });

    if (!options.rateLimitEnabled) {
      app.decorate('limit', () => async () => {});
      return;
    }

    const redis = options.redisUrl
      ? new Redis(options.redisUrl, {
          // Fail fast while Redis is down instead of queueing requests behind it.
          enableOfflineQueue: false,
          maxRetriesPerRequest: 1,
          connectTimeout: 1000,
          lazyConnect: false,
        })
      : undefined;
    redis?.on('error', (error) => app.log.warn({ err: error }, 'rate-limit store unavailable'));
    if (redis) app.addHook('onClose', async () => void redis.disconnect());

    await app.register(fastifyRateLimit, {
      global: true,
      max: GLOBAL_LIMIT_PER_MINUTE,
      timeWindow: 60_000,
      ...(redis ? { redis, nameSpace: 'clinic-rl:' } : {}),
      // While Redis is down requests pass; account lockout in the database still guards logins.
      skipOnError: true,
      errorResponseBuilder: (_request, context) => new TooManyRequestsError({ retryAfterSeconds: context.ttl / 1000 }),
    });

    // One counter set per limit name, so routes sharing a name (e.g. the three forget-password
    // routes) share one count, in memory as in Redis.
    const checkers = new Map<string, ReturnType<typeof app.createRateLimit>>();
    const checkerFor = (limit: LimitOptions) => {
      let check = checkers.get(limit.name);
      if (!check) {
        check = app.createRateLimit({
          max: limit.max,
          timeWindow: limit.windowMs ?? 60_000,
          keyGenerator: (request) => {
            const value = limit.key === 'ip' ? request.ip : limit.key(request);
            return `${limit.name}:${value ?? ''}`;
          },
        });
        checkers.set(limit.name, check);
      }
      return check;
    };

    app.decorate('limit', (limit: LimitOptions) => {
      const check = checkerFor(limit);
      return async (request, reply) => {
        if (limit.key !== 'ip' && limit.key(request) === undefined) return;
        const result = await check(request);
        if (!result.isAllowed && result.isExceeded) {
          reply.header('retry-after', String(result.ttlInSeconds));
          throw new TooManyRequestsError({ retryAfterSeconds: result.ttlInSeconds });
        }
      };
    });
  },
  { name: 'security' },
);
