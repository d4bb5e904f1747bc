// The stand-alone worker (loaded by worker.ts, `npm run worker`): processes every job queue (mail,
// account jobs, reminders...) until SIGTERM/SIGINT, then stops gracefully. The API process runs the
// same startWorkers() when WORKER_ENABLED is true.
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import closeWithGrace from 'close-with-grace';
import { pino } from 'pino';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { createAppDeps } from './deps.ts';
import { processCacheOf } from './lib/cache.ts';
import { systemClock } from './lib/clock.ts';
import { createDb } from './lib/db.ts';
import { createJobs } from './lib/jobs.ts';
import { createMailer, mailerOptions } from './lib/mailer.ts';
import { connectRedis } from './lib/redis.ts';
import { createSmsSender } from './lib/sms.ts';
import { assertMigrated } from './lib/migration-check.ts';
import { startMetricsServer } from './lib/metrics-server.ts';
import { MODULES } from './modules/index.ts';
import { queuesOf, startWorkers } from './workers.ts';

/** How long a stop may take before the process exits anyway. */
const SHUTDOWN_DEADLINE_MS = 20_000;

if (existsSync('.env')) process.loadEnvFile('.env');
let config: Config;
try {
  config = loadConfig(process.env);
  await assertMigrated(config.database.url);
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
}
const logger = pino({ level: config.logLevel, name: 'worker' });

const db = createDb({ url: config.database.url, poolSize: config.database.poolSize });
const jobs = createJobs({
  databaseUrl: config.database.url,
  poolSize: config.database.poolSize,
  secretKey: config.secretKey,
  logger,
  queues: queuesOf(MODULES),
});
const mailer = createMailer(config.email, logger, mailerOptions(config));
// The jobs' writes (waitlist offers, no-shows...) invalidate the API instances' shared cache.
const redis = config.redisUrl ? await connectRedis(config.redisUrl, logger) : undefined;
// Its memory would be this process's own: with no Redis, the worker has no cache to keep (lib/cache.ts cacheOf).
// The namespace is read while the jobs start (below).
const { cache, namespaceRead } = processCacheOf({ ...config, workerEnabled: false }, { redis, db, clock: systemClock, logger });
let metricsServer: Server | undefined;

closeWithGrace({ delay: SHUTDOWN_DEADLINE_MS, logger }, async ({ signal, err }) => {
  if (err) logger.error({ err }, 'worker stopping after an error');
  logger.info({ signal }, 'worker stopping');
  await new Promise((resolve) => (metricsServer ? metricsServer.close(resolve) : resolve(undefined)));
  await jobs.stop();
  await mailer.close();
  redis?.disconnect();
  await db.$disconnect();
  logger.info({}, 'worker stopped');
});

try {
  await Promise.all([jobs.start(), namespaceRead]);
  await startWorkers(jobs, MODULES, { ...createAppDeps(config, { db, clock: systemClock, jobs, logger, cache }), mailer, sms: createSmsSender(config.sms, logger) });
  if (config.workerMetricsPort !== undefined) {
    metricsServer = await startMetricsServer({ host: config.host, port: config.workerMetricsPort, token: config.metricsToken, logger });
    logger.info({ port: config.workerMetricsPort }, 'worker metrics on GET /metrics');
  }
  logger.info({ smtp: config.email.host ?? 'none' }, 'worker processing jobs');
} catch (error) {
  logger.fatal({ err: error }, 'worker failed to start');
  await jobs.stop().catch(() => {});
  process.exit(1);
}
