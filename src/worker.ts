// Entry of `npm run worker`: delivers queued mail until SIGTERM/SIGINT, then stops gracefully.
import { existsSync } from 'node:fs';
import { pino } from 'pino';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { createJobs } from './lib/jobs.ts';
import { createMailer } from './lib/mailer.ts';

if (existsSync('.env')) process.loadEnvFile('.env');
let config: Config;
try {
  config = loadConfig(process.env);
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
}
const logger = pino({ level: config.logLevel, name: 'worker' });

const jobs = createJobs({
  databaseUrl: config.database.url,
  poolSize: config.database.poolSize,
  secretKey: config.secretKey,
  logger,
});
const mailer = createMailer(config.email, logger);

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'worker stopping');
  try {
    await jobs.stop();
    await mailer.close();
    logger.info({}, 'worker stopped');
  } catch (error) {
    logger.error({ err: error }, 'worker did not stop cleanly');
    process.exitCode = 1;
  }
}
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));

try {
  await jobs.start();
  await jobs.workMail(mailer);
  logger.info({ smtp: config.email.host ?? 'none (logging mail)' }, 'worker delivering mail');
} catch (error) {
  logger.fatal({ err: error }, 'worker failed to start');
  await jobs.stop().catch(() => {});
  process.exit(1);
}
