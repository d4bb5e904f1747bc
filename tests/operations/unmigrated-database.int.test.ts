// An unmigrated database must not look healthy: the API and the stand-alone worker, started on a
// database without the shipped migrations, exit 1 with one line that names the fix, instead of
// listening and answering 500 on every route.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrationsDir } from '../../src/lib/migrations.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

/** Runs an entry point to its exit; what it printed and its exit code. */
async function runToExit(entry: string, databaseUrl: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [entry], {
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      DATABASE_URL: databaseUrl,
      DATABASE_POOL_SIZE: '1',
      SECRET_KEY: randomBytes(32).toString('hex'),
      HOST: '127.0.0.1',
      PORT: '0',
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += String(chunk)));
  child.stderr.on('data', (chunk: Buffer) => (stderr += String(chunk)));
  // A process that does not refuse would run on: this bound turns that into a failure, not a hang.
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  try {
    const [code] = (await once(child, 'exit')) as [number | null];
    return { code, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}

describe('start-up on an empty database', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase({ empty: true });
  });
  afterAll(() => database.drop());

  it.each([
    ['the API', 'src/server.ts'],
    ['the stand-alone worker', 'src/worker.ts'],
  ])('%s exits 1 with one line naming npm run db:migrate', async (_name, entry) => {
    const { code, stdout, stderr } = await runToExit(entry, database.url);
    expect(code).toBe(1);
    expect(stdout).not.toContain('listening');
    const shipped = (await readdir(migrationsDir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
    expect(stderr.trim()).toBe(
      `The database is not migrated: ${shipped.length} pending migration(s) (${shipped[0]} … ${shipped.at(-1)}). ` +
        'Run `npm run db:migrate` first, or start the API with MIGRATE_ON_START=true.',
    );
  });
});
