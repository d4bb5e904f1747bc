// `npm run dev`: the API under `node --watch`, restarted on every change. With no DATABASE_URL the
// embedded database is started here, once, and kept running across the restarts (the server gets
// it in EMBEDDED_DATABASE_URL), so a restart does not wait for PostgreSQL.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EmbeddedDatabaseBusyError, LOCAL_DATABASE_DIR, startEmbeddedDatabase } from '../src/lib/embedded-db.ts';

if (existsSync('.env')) process.loadEnvFile('.env'); // never overrides variables already set

async function main(): Promise<void> {
  const embedded =
    process.env.DATABASE_URL || process.env.NODE_ENV === 'production' ? undefined : await startEmbeddedDatabase({ dir: LOCAL_DATABASE_DIR });
  const server = spawn(process.execPath, ['--watch', '--max-semi-space-size=16', fileURLToPath(new URL('../src/server.ts', import.meta.url))], {
    stdio: 'inherit',
    env: { ...process.env, ...(embedded && { EMBEDDED_DATABASE_URL: embedded.url }) },
  });
  // A Ctrl-C reaches the watcher too; a signal sent to this process alone is passed on.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => server.kill(signal));
  server.once('exit', (code) => {
    void embedded?.close().finally(() => process.exit(code ?? 0));
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof EmbeddedDatabaseBusyError ? error.message : error);
  process.exit(1);
});
