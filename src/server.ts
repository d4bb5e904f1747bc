// Entry point: reads the configuration, starts the embedded database when no DATABASE_URL is
// given (trying the API only), builds the app, listens, and shuts down gracefully on signals.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildApp } from './app.ts';
import { ConfigError, loadConfig, type Environment } from './config.ts';
import { createDb } from './lib/db.ts';
import type { EmbeddedDatabase } from './lib/embedded-db.ts';
import { applyMigrations, repoRoot } from './lib/migrations.ts';

const EMBEDDED_DATA_DIR = path.join(repoRoot, '.data');

/** A random SECRET_KEY kept with the embedded data, so sessions survive restarts. */
async function embeddedSecretKey(): Promise<string> {
  const file = path.join(EMBEDDED_DATA_DIR, 'secret-key');
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const key = randomBytes(48).toString('base64url');
  await mkdir(EMBEDDED_DATA_DIR, { recursive: true });
  await writeFile(file, key, { mode: 0o600 });
  return key;
}

async function main(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const env: Environment = { ...process.env };

  let embedded: EmbeddedDatabase | undefined;
  if (!env.DATABASE_URL) {
    if (env.NODE_ENV === 'production') throw new ConfigError('Invalid configuration: DATABASE_URL is required in production');
    console.warn(
      'No DATABASE_URL: starting the embedded PostgreSQL (data in .data/). ' +
        'This mode is for trying the API, not for production.',
    );
    // Loaded only here: production never needs the embedded server's code.
    const { startEmbeddedDatabase } = await import('./lib/embedded-db.ts');
    embedded = await startEmbeddedDatabase({ dataDir: EMBEDDED_DATA_DIR });
    // The embedded server handles one connection per client reliably.
    Object.assign(env, { DATABASE_URL: embedded.url, DATABASE_POOL_SIZE: '1', MIGRATE_ON_START: 'true' });
    env.SECRET_KEY ??= await embeddedSecretKey();
  }

  const config = loadConfig(env);
  if (config.database.migrateOnStart) {
    const applied = await applyMigrations(config.database.url);
    if (applied.length > 0) console.info(`Applied migrations: ${applied.join(', ')}`);
  }
  if (embedded) {
    const { describeCredentials, seedDemoData } = await import('../prisma/seed.ts');
    const db = createDb({ url: config.database.url, poolSize: 1 });
    const credentials = await seedDemoData(db).finally(() => db.$disconnect());
    if (credentials) console.info(`Demo data loaded.\n${describeCredentials(credentials)}`);
  }

  const app = await buildApp(config);
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) process.exit(1);
    closing = true;
    app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    try {
      await app.close();
      await embedded?.close();
      process.exit(0);
    } catch (error) {
      app.log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  await app.listen({ host: config.host, port: config.port });
  if (embedded) app.log.warn('Embedded database in use: for trying the API only, not for production.');
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
