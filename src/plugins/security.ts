// Security headers (helmet's set, computed once), CORS from CORS_ORIGINS, the client IP, and rate
// limits: a global 300/min per IP plus named limits routes add with `app.limit(...)`. Limits live in Redis when REDIS_URL is
// set (shared across instances), in memory otherwise; while Redis is down they fall back to
// per-instance memory counters instead of switching off.
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import fastifyCors from '@fastify/cors';
import fastifyRateLimit, { type FastifyRateLimitOptions, type FastifyRateLimitStore } from '@fastify/rate-limit';
import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
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

/** `address` as PostgreSQL's inet takes it: an IPv6 zone id (`fe80::1%eth0`) dropped; undefined for anything that is not an IP. */
function inetAddress(address: string | undefined): string | undefined {
  if (!address) return undefined;
  const zone = address.indexOf('%');
  if (zone === -1) return isIP(address) === 0 ? undefined : address;
  const scoped = address.slice(0, zone);
  return isIP(scoped) === 6 ? scoped : undefined;
}

/**
 * The client's IP, for rate limits, audit and login records: a forwarded address (TRUST_PROXY)
 * only when it is a real IP address, anything else a client put in X-Forwarded-For falls back to
 * the connection's address. Never one the database would refuse, so no check is skipped over it.
 */
export function clientIp(request: FastifyRequest): string {
  return inetAddress(request.ip) ?? inetAddress(request.socket.remoteAddress) ?? '0.0.0.0';
}

const GLOBAL_LIMIT_PER_MINUTE = 300;
/**
 * The headers helmet 8 sends by default, with a CSP for an API that answers JSON: nothing may
 * be loaded, framed or executed from a response (Swagger UI replaces the CSP on its own pages
 * in an onSend hook). Set once per request from this constant: @fastify/helmet called
 * `helmet(options)` on every request, re-parsing the CSP and setting each header one by one on
 * the raw response, about a quarter of the CPU of `GET /health/live`.
 * tests/plugins/security.int.test.ts checks that this is helmet's set and why the CSP differs.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-site',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'SAMEORIGIN',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
});

/**
 * What a browser page on an allowed origin may do: every method the API serves, with the request
 * headers it reads (@fastify/cors's defaults allow only GET, HEAD and POST, so PATCH, PUT and
 * DELETE failed), and read the response headers it sets. Tokens travel in Authorization, never in
 * cookies: no credentials. Browsers may cache a preflight for 10 minutes.
 */
export const CORS_POLICY = Object.freeze({
  methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
  allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'If-None-Match', 'X-Request-Id'],
  exposedHeaders: ['ETag', 'Location', 'Retry-After', 'X-Request-Id'],
  maxAge: 600,
});

type RateLimitStore = FastifyRateLimitStore;
type StoreCallback = Parameters<RateLimitStore['incr']>[1];
type ChildOptions = Parameters<RateLimitStore['child']>[0];
type StoreConstructor = new (...args: unknown[]) => RateLimitStore;

// The plugin's own stores (CommonJS, not in its type definitions).
const require = createRequire(import.meta.url);
const RedisStore = require('@fastify/rate-limit/store/RedisStore') as StoreConstructor;
const LocalStore = require('@fastify/rate-limit/store/LocalStore') as StoreConstructor;

/** Counts in Redis; when a Redis call fails, counts the same key in this instance's memory. */
class FallbackStore implements RateLimitStore {
  private readonly primary: RateLimitStore;
  private readonly fallback: RateLimitStore;
  private readonly onFallback: (error: Error) => void;

  constructor(primary: RateLimitStore, fallback: RateLimitStore, onFallback: (error: Error) => void) {
    this.primary = primary;
    this.fallback = fallback;
    this.onFallback = onFallback;
  }

  incr(key: string, callback: StoreCallback, timeWindow: number, max: number): void {
    this.primary.incr(
      key,
      (error, result) => {
        if (!error) return callback(null, result);
        this.onFallback(error);
        this.fallback.incr(key, callback, timeWindow, max);
      },
      timeWindow,
      max,
    );
  }

  child(routeOptions: ChildOptions): RateLimitStore {
    return new FallbackStore(this.primary.child(routeOptions), this.fallback.child(routeOptions), this.onFallback);
  }
}

/** A store class for @fastify/rate-limit: Redis with a memory fallback. */
function redisWithMemoryFallback(redis: Redis, onFallback: (error: Error) => void) {
  return class implements RateLimitStore {
    private readonly store: FallbackStore;
    constructor(options: FastifyRateLimitOptions) {
      // The plugin passes its resolved global parameters, which include these two flags.
      const params = options as { continueExceeding?: boolean; exponentialBackoff?: boolean };
      this.store = new FallbackStore(
        new RedisStore(params.continueExceeding ?? false, params.exponentialBackoff ?? false, redis, 'clinic-rl:'),
        new LocalStore(params.continueExceeding ?? false, params.exponentialBackoff ?? false),
        onFallback,
      );
    }
    incr(key: string, callback: StoreCallback, timeWindow: number, max: number): void {
      this.store.incr(key, callback, timeWindow, max);
    }
    child(routeOptions: ChildOptions): RateLimitStore {
      return this.store.child(routeOptions);
    }
  };
}

export default fp(
  async (app, options: { corsOrigins: (string | RegExp)[]; rateLimitEnabled: boolean; redis: Redis | undefined }) => {
    // Before routing and every other hook, so 404s and errors carry them too.
    app.addHook('onRequest', function securityHeaders(_request, reply, done) {
      reply.headers(SECURITY_HEADERS);
      done();
    });
    // Bodies are JSON (multipart where a module takes files): Fastify's default text/plain parser
    // would hand a string to schemas that expect an object (400); the contract says 415.
    app.removeContentTypeParser('text/plain');
    await app.register(fastifyCors, {
      origin: options.corsOrigins.length > 0 ? options.corsOrigins : false,
      ...CORS_POLICY,
    });

    if (!options.rateLimitEnabled) {
      app.decorate('limit', () => async () => {});
      return;
    }

    // The process's connection (lib/redis.ts), connected before the app serves: requests arriving
    // before it would count in memory, apart from the other instances.
    const { redis } = options;
    let lastFallbackLog = 0;
    const onFallback = (error: Error) => {
      // Once a minute at most: every request would log otherwise.
      if (Date.now() - lastFallbackLog < 60_000) return;
      lastFallbackLog = Date.now();
      app.log.warn({ err: error }, 'Redis unavailable: rate limits count in this instance’s memory');
    };

    await app.register(fastifyRateLimit, {
      global: true,
      max: GLOBAL_LIMIT_PER_MINUTE,
      timeWindow: 60_000,
      ...(redis ? { store: redisWithMemoryFallback(redis, onFallback) } : {}),
      // The memory fallback means a store error should not happen; if one does, fail closed.
      skipOnError: false,
      keyGenerator: clientIp,
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
            const value = limit.key === 'ip' ? clientIp(request) : limit.key(request);
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
