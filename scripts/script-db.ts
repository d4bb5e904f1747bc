// The database a command-line script works on: DATABASE_URL when set; otherwise the embedded
// database of `npm start` (through the running server when it is up, or started here on .data/).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { applyMigrations, repoRoot } from '../src/lib/migrations.ts';

/** Where a running embedded server announces its URL (written by src/server.ts). */
const EMBEDDED_URL_FILE = path.join(repoRoot, '.data', 'embedded-url');

export async function withScriptDatabase<T>(work: (url: string, embedded: boolean) => Promise<T>): Promise<T> {
  if (process.env.DATABASE_URL) return work(process.env.DATABASE_URL, false);
  if (existsSync(EMBEDDED_URL_FILE)) return work((await readFile(EMBEDDED_URL_FILE, 'utf8')).trim(), true);
  const { startEmbeddedDatabase } = await import('../src/lib/embedded-db.ts');
  const embedded = await startEmbeddedDatabase({ dataDir: path.join(repoRoot, '.data') });
  try {
    await applyMigrations(embedded.url);
    return await work(embedded.url, true);
  } finally {
    await embedded.close();
  }
}
