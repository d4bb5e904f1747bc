// The database a command-line script works on: DATABASE_URL when set; otherwise the embedded
// database of `npm start` (through the running server when it is up, or started here on .data/pg).
import { LOCAL_DATABASE_DIR, runningEmbeddedDatabaseUrl, startEmbeddedDatabase } from '../src/lib/embedded-db.ts';
import { applyMigrations } from '../src/lib/migrations.ts';

export async function withScriptDatabase<T>(work: (url: string, embedded: boolean) => Promise<T>): Promise<T> {
  if (process.env.DATABASE_URL) return work(process.env.DATABASE_URL, false);
  const running = await runningEmbeddedDatabaseUrl(LOCAL_DATABASE_DIR);
  if (running) return work(running, true);
  const embedded = await startEmbeddedDatabase({ dir: LOCAL_DATABASE_DIR });
  try {
    await applyMigrations(embedded.url);
    return await work(embedded.url, true);
  } finally {
    await embedded.close();
  }
}
