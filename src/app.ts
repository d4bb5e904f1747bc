// buildApp(config, overrides): the Fastify application with every plugin and module
// registered in a visible order, ready but not listening. server.ts and the tests use it.
import { randomUUID } from 'node:crypto';
import type { Writable } from 'node:stream';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import packageJson from '../package.json' with { type: 'json' };
import type { Config } from './config.ts';
import { createAppDeps } from './deps.ts';
import { processCacheOf } from './lib/cache.ts';
import { systemClock, type Clock } from './lib/clock.ts';
import type { AppDeps, ServiceContext } from './lib/context.ts';
import { createDb, type Db } from './lib/db.ts';
import { createJobs, type JobsOptions } from './lib/jobs.ts';
import type { HostLookup } from './lib/lookup.ts';
import type { Mailer } from './lib/mailer.ts';
import { connectRedis } from './lib/redis.ts';
import { createSmsSender } from './lib/sms.ts';
import { findActiveSession, MODULES } from './modules/index.ts';
import { apiIndexRoutes } from './plugins/api-index.ts';
import authPlugin from './plugins/auth.ts';
import etagPlugin from './plugins/etag.ts';
import errorsPlugin, { clientErrorHandler, frameworkErrorHandler } from './plugins/errors.ts';
import healthRoutes from './plugins/health.ts';
import methodsPlugin from './plugins/methods.ts';
import metricsPlugin, { metricsRoutes } from './plugins/metrics.ts';
import openapiPlugin from './plugins/openapi.ts';
import overloadPlugin from './plugins/overload.ts';
import securityPlugin, { clientIp } from './plugins/security.ts';
import { queuesOf, startWorkers } from './workers.ts';

export const API_PREFIX = '/v1/api';
const JSON_BODY_LIMIT_BYTES = 1024 * 1024;
const LOCAL_ORIGIN = /^http:\/\/(localhost|127\.0\.0\.1)(:\d{1,5})?$/;
const SAFE_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Log paths that may hold secrets, whatever the module: pino replaces them with [Redacted]. */
const BASE_REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'req.body.password',
  'req.body.oldPassword',
  'req.body.newPassword',
  'req.body.currentPassword',
];

/** The base paths plus every module's secret request-body fields. */
export const REDACTED_LOG_PATHS = [
  ...BASE_REDACTED_PATHS,
  ...MODULES.flatMap((module) => (module.secretFields ?? []).map((field) => `req.body.${field}`)),
];

declare module 'fastify' {
  interface FastifyInstance {
    deps: AppDeps;
  }
  interface FastifyRequest {
    /** The services' first argument for this request. */
    ctx: ServiceContext;
  }
}

export interface AppOverrides {
  db?: Db;
  clock?: Clock;
  /** Delivers mail in the in-process worker (tests pass a capture mailer); SMTP or the log by default. */
  mailer?: Mailer;
  /** Worker tuning, e.g. a short polling interval or retry policy in tests. */
  jobOptions?: Pick<JobsOptions, 'pollingIntervalSeconds' | 'retryOverrides'>;
  /** Where logs go (tests capture them); stdout by default. */
  logStream?: Writable;
  /** Host name resolution for webhook targets (tests resolve names to chosen addresses); DNS by default. */
  lookup?: HostLookup;
}

/**
 * Fastify's request log with one line a request instead of two ("incoming request", "request
 * completed"), for a developer's console, where the printed mails (codes) must not be buried.
 * Routes that log at warn (the health probes) write none.
 */
class OneLineRequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) return super.requestCompleted(error, request, reply);
    reply.log.info(`${request.method} ${request.url} ${reply.statusCode} ${Math.round(reply.elapsedTime)} ms`);
  }
}

async function defaultMailer(config: Config, logger: FastifyInstance['log']): Promise<Mailer> {
  const { createMailer, mailerOptions } = await import('./lib/mailer.ts');
  return createMailer(config.email, logger, mailerOptions(config));
}

/**
 * Readable log lines, formatted in this thread and written synchronously: pino's `transport`
 * option would start a worker thread (a second V8 heap, ~30 MB) only to format them.
 */
async function prettyLogStream(): Promise<Writable> {
  const { default: pretty } = await import('pino-pretty');
  return pretty({ translateTime: 'HH:MM:ss', ignore: 'pid,hostname,reqId', sync: true });
}

export async function buildApp(config: Config, overrides: AppOverrides = {}): Promise<FastifyInstance> {
  const { trustProxy } = config;
  // Where a developer reads the console: pretty logs, one line per request.
  const forDeveloper = config.env === 'development' || config.embedded;
  const logStream = overrides.logStream ?? (forDeveloper ? await prettyLogStream() : undefined);
  const app = Fastify({
    logger: {
      level: config.logLevel,
      redact: { paths: REDACTED_LOG_PATHS, censor: '[Redacted]' },
      ...(logStream && { stream: logStream }),
    },
    ...(forDeveloper && { logController: new OneLineRequestLog() }),
    bodyLimit: JSON_BODY_LIMIT_BYTES,
    // A number means "trust that many hops", which Fastify takes as a function.
    trustProxy: typeof trustProxy === 'number' ? (_address: string, hop: number) => hop < trustProxy : trustProxy,
    // genReqId reads X-Request-Id itself so an unsafe incoming id is never used.
    requestIdHeader: false,
    genReqId: (request) => {
      const incoming = request.headers['x-request-id'];
      return typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    routerOptions: { ignoreTrailingSlash: true },
    // Answers given before routing and hooks (a malformed URL, a request that is not HTTP): problem+json too.
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
    // A client gets this long to send a whole request; idle sockets and keep-alive connections close.
    requestTimeout: config.timeouts.requestSeconds * 1000,
    connectionTimeout: config.timeouts.connectionSeconds * 1000,
    keepAliveTimeout: config.timeouts.keepAliveSeconds * 1000,
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  const db = overrides.db ?? createDb({ url: config.database.url, poolSize: config.database.poolSize });
  const clock = overrides.clock ?? systemClock;
  const jobs = createJobs({
    databaseUrl: config.database.url,
    poolSize: Math.min(config.database.poolSize, 2),
    // Only a process with workers listens.
    listenNotify: config.workerEnabled,
    secretKey: config.secretKey,
    logger: app.log,
    queues: queuesOf(MODULES),
    ...overrides.jobOptions,
  });
  // One Redis connection for the rate limits and the read cache (which invalidates there even when it does not read).
  const redis = config.redisUrl ? await connectRedis(config.redisUrl, app.log) : undefined;
  // The namespace is read with the rest of the start (below).
  const { cache, namespaceRead } = processCacheOf(config, { redis, db, clock, logger: app.log });
  const deps = createAppDeps(config, { db, clock, jobs, logger: app.log, cache, lookup: overrides.lookup });
  app.decorate('deps', deps);
  app.decorateRequest('ctx', {
    getter(this: FastifyRequest): ServiceContext {
      return { ...deps, meta: { ip: clientIp(this), requestId: this.id, userAgent: this.headers['user-agent'] ?? null }, idempotency: this.idempotency };
    },
  });
  // nodemailer (~0.1 s to import) only in a process that sends mail: not in an API without its worker.
  const mailer = config.workerEnabled ? (overrides.mailer ?? (await defaultMailer(config, app.log))) : undefined;
  app.addHook('onClose', async () => {
    await jobs.stop();
    await mailer?.close();
    redis?.disconnect();
    if (!overrides.db) await db.$disconnect();
  });
  // Start-up waits on the database (pg-boss's queues, Prisma's query compiler, the cache's
  // namespace) while it registers the routes: all begin before and are awaited before the app is
  // ready. The empty catch only keeps an early failure from counting as unhandled before the
  // await below reports it.
  const jobsStarted = jobs.start();
  const dbConnected = db.$connect();
  for (const started of [jobsStarted, dbConnected, namespaceRead]) started?.catch(() => {});

  // While closing, answers end their keep-alive connection: otherwise a connection that was
  // busy when close() began stays open idle and holds the shutdown until the client leaves.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  // Callback style: no promise per request on this hook that every response runs.
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });

  await app.register(errorsPlugin);
  await app.register(methodsPlugin);
  await app.register(overloadPlugin, { overload: config.overload });
  await app.register(metricsPlugin, { queues: queuesOf(MODULES).map((queue) => queue.name) });
  await app.register(securityPlugin, {
    // Trying the API: a frontend on any local port (Vite's :5173) works with no setting.
    corsOrigins: config.embedded && config.corsOrigins.length === 0 ? [LOCAL_ORIGIN] : config.corsOrigins,
    rateLimitEnabled: config.rateLimitEnabled,
    redis,
  });
  await app.register(openapiPlugin, {
    version: packageJson.version,
    publicUrl: config.publicUrl,
    tags: [...MODULES.flatMap((module) => module.tags), { name: 'operations', description: 'Health checks and metrics.' }],
  });
  await app.register(etagPlugin);
  await app.register(authPlugin, { tokens: deps.tokens, clock, db, findSession: findActiveSession });

  await app.register(healthRoutes);
  await app.register(apiIndexRoutes, { prefix: API_PREFIX, version: packageJson.version });
  await app.register(metricsRoutes, { token: config.metricsToken, port: config.metricsPort, host: config.host });
  for (const module of MODULES) {
    for (const routes of module.routes) await app.register(routes.plugin, { prefix: routes.outsideApi ? routes.prefix : `${API_PREFIX}${routes.prefix}` });
  }

  await Promise.all([jobsStarted, dbConnected, namespaceRead]);
  if (mailer) await startWorkers(jobs, MODULES, { ...deps, mailer, sms: createSmsSender(config.sms, app.log) });
  await app.ready();
  return app;
}
