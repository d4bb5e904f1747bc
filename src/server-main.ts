// The API process (loaded by server.ts): reads the configuration, starts the embedded database when
// no DATABASE_URL is given (trying the API only; `npm run dev` passes the one it keeps running in
// EMBEDDED_DATABASE_URL), builds the app, listens, and shuts down gracefully on signals.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.ts';
import { ConfigError, loadConfig, type Environment } from './config.ts';
import type { Db } from './lib/db.ts';
import { EmbeddedDatabaseBusyError, LOCAL_DATA_DIR, LOCAL_DATABASE_DIR, startEmbeddedDatabase, type EmbeddedDatabase } from './lib/embedded-db.ts';
import { assertMigrated, pendingMigrationsOf } from './lib/migration-check.ts';
import type { Storage } from './lib/storage.ts';

/** Demo logins of the embedded database, kept beside its data so they can be read again. */
const DEMO_LOGINS_FILE = path.join(LOCAL_DATA_DIR, 'demo-logins.txt');
/** In-flight requests get this long to finish on SIGTERM; then the process exits anyway. */
const SHUTDOWN_DEADLINE_MS = 25_000;

/** A random SECRET_KEY kept with the embedded data, so sessions survive restarts. */
async function embeddedSecretKey(): Promise<string> {
  const file = path.join(LOCAL_DATA_DIR, 'secret-key');
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const key = randomBytes(48).toString('base64url');
  await mkdir(LOCAL_DATA_DIR, { recursive: true });
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
      `No DATABASE_URL: ${env.EMBEDDED_DATABASE_URL ? 'using' : 'starting'} the embedded PostgreSQL (data in ${LOCAL_DATA_DIR}/). ` +
        'This mode is for trying the API, not for production.',
    );
    embedded = env.EMBEDDED_DATABASE_URL
      ? { url: env.EMBEDDED_DATABASE_URL, close: async () => {} } // `npm run dev` owns it
      : await startEmbeddedDatabase({ dir: LOCAL_DATABASE_DIR });
    if (embedded.clusterElsewhere) console.warn(`PostgreSQL's user cannot reach this folder: the embedded database's files are in ${embedded.clusterElsewhere}.`);
    Object.assign(env, { DATABASE_URL: embedded.url, MIGRATE_ON_START: 'true' });
    env.SECRET_KEY ??= await embeddedSecretKey();
    // Everything of this mode under .data/, so deleting it starts over.
    env.MEDIA_ROOT ??= path.join(LOCAL_DATA_DIR, 'media');
  }

  const config = loadConfig(env, { embedded: embedded !== undefined });
  // The schema engine (WebAssembly, tens of MB that stay in the process) is loaded only when
  // there is something to apply: a restart on a migrated database skips it.
  if (config.database.migrateOnStart && (await pendingMigrationsOf(config.database.url)).length > 0) {
    const { applyMigrations } = await import('./lib/migrations.ts');
    const applied = await applyMigrations(config.database.url);
    console.info(`Applied migrations: ${applied.join(', ')}`);
  }
  await assertMigrated(config.database.url);

  const app = await buildApp(config);
  // Through the app's own database client: a second Prisma client would stay in memory too.
  if (embedded) await loadDemoData(app.deps.db, app.deps.storage);
  closeWithGrace({ delay: SHUTDOWN_DEADLINE_MS, logger: app.log }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error');
    app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    await app.close();
    await embedded?.close();
  });

  await app.listen({ host: config.host, port: config.port });
  if (embedded) console.info(await firstRunBanner(config.port));
}

/** The demo data on an empty embedded database, its logins kept beside the data. */
async function loadDemoData(db: Db, storage: Storage): Promise<void> {
  const { describeCredentials, seedDemoData } = await import('../prisma/seed.ts');
  const credentials = await seedDemoData(db);
  if (!credentials) return;
  // The public list looks real at first start: the demo doctors get generated avatars.
  const { seedDemoAvatars } = await import('../prisma/seed-avatars.ts');
  await seedDemoAvatars(db, storage);
  await writeFile(DEMO_LOGINS_FILE, `${describeCredentials(credentials)}\n`, { mode: 0o600 });
}

/** What a newcomer needs after `npm start`: where things are, and how to sign in. */
async function firstRunBanner(port: number): Promise<string> {
  const base = `http://localhost:${port}`;
  const logins = existsSync(DEMO_LOGINS_FILE) ? (await readFile(DEMO_LOGINS_FILE, 'utf8')).trim() : 'No demo logins recorded.';
  return [
    '',
    'Clinic API is running on the embedded database (for trying the API, not for production).',
    `  API:        ${base}/v1/api/`,
    `  Swagger UI: ${base}/docs`,
    `  Health:     ${base}/health/ready`,
    '',
    logins.replace('These passwords are shown only now.', ''),
    `The demo logins are kept in ${DEMO_LOGINS_FILE}; delete ${LOCAL_DATA_DIR}/ to start over.`,
    'E-mails (activation and login codes) are printed here.',
    '',
  ].join('\n');
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError || error instanceof EmbeddedDatabaseBusyError ? error.message : error);
  process.exit(1);
});
