// buildApp(config, overrides): the Fastify application with every plugin and module
// registered in a visible order, ready but not listening. server.ts and the tests use it.
import { randomUUID } from 'node:crypto';
import type { Writable } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import packageJson from '../package.json' with { type: 'json' };
import type { Config } from './config.ts';
import { systemClock, type Clock } from './lib/clock.ts';
import { createDb, type Db } from './lib/db.ts';
import { createJobs, type Jobs, type JobsOptions } from './lib/jobs.ts';
import { createMailer, type Mailer } from './lib/mailer.ts';
import accountsRoutes from './modules/accounts/accounts.routes.ts';
import authPlugin from './plugins/auth.ts';
import errorsPlugin from './plugins/errors.ts';
import healthRoutes from './plugins/health.ts';
import openapiPlugin from './plugins/openapi.ts';
import securityPlugin from './plugins/security.ts';

export const API_PREFIX = '/v1/api';
const JSON_BODY_LIMIT_BYTES = 1024 * 1024;
const SAFE_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Log paths that may hold secrets; pino replaces them with [Redacted]. */
export const REDACTED_LOG_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.oldPassword',
  '*.newPassword',
  '*.otp',
  '*.code',
  '*.token',
  '*.access',
  '*.refresh',
  '*.passwordHash',
];

export interface AppDependencies {
  config: Config;
  db: Db;
  clock: Clock;
  jobs: Jobs;
}

declare module 'fastify' {
  interface FastifyInstance {
    deps: AppDependencies;
  }
}

export interface AppOverrides {
  db?: Db;
  clock?: Clock;
  /** Delivers mail in the in-process worker (tests pass a capture mailer); SMTP or the log by default. */
  mailer?: Mailer;
  /** Worker tuning, e.g. a short polling interval in tests. */
  jobOptions?: Pick<JobsOptions, 'pollingIntervalSeconds' | 'mailRetry'>;
  /** Where logs go (tests capture them); stdout by default. */
  logStream?: Writable;
}

export async function buildApp(config: Config, overrides: AppOverrides = {}): Promise<FastifyInstance> {
  const { trustProxy } = config;
  const app = Fastify({
    logger: {
      level: config.logLevel,
      redact: { paths: REDACTED_LOG_PATHS, censor: '[Redacted]' },
      ...(overrides.logStream ? { stream: overrides.logStream } : {}),
    },
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
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  const db = overrides.db ?? createDb({ url: config.database.url, poolSize: config.database.poolSize });
  const jobs = createJobs({
    databaseUrl: config.database.url,
    poolSize: Math.min(config.database.poolSize, 2),
    secretKey: config.secretKey,
    logger: app.log,
    ...overrides.jobOptions,
  });
  const mailer = config.workerEnabled ? (overrides.mailer ?? createMailer(config.email, app.log)) : undefined;
  app.decorate('deps', { config, db, clock: overrides.clock ?? systemClock, jobs });
  app.addHook('onClose', async () => {
    await jobs.stop();
    await mailer?.close();
    if (!overrides.db) await db.$disconnect();
  });
  await jobs.start();
  if (mailer) await jobs.workMail(mailer);

  // While closing, answers end their keep-alive connection: otherwise a connection that was
  // busy when close() began stays open idle and holds the shutdown until the client leaves.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (closing) reply.header('connection', 'close');
  });

  await app.register(errorsPlugin);
  await app.register(securityPlugin, {
    corsOrigins: config.corsOrigins,
    rateLimitEnabled: config.rateLimitEnabled,
    redisUrl: config.redisUrl,
  });
  await app.register(openapiPlugin, { version: packageJson.version });

  await app.register(authPlugin);

  await app.register(healthRoutes);
  await app.register(accountsRoutes, { prefix: `${API_PREFIX}/user` });

  await app.ready();
  return app;
}
