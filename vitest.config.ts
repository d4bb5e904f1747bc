// Vitest: `unit` (pure logic, no database) and `integration` (*.int.test.ts against PostgreSQL, see tests/helpers/global-setup.ts).
import pg from 'pg';
import { configDefaults, defineConfig } from 'vitest/config';

/** The PostgreSQL `npm test` looks for when TEST_DATABASE_URL is unset: a local server with the default superuser. */
const LOCAL_POSTGRES = 'postgresql://postgres@127.0.0.1:5432/postgres';

/** Whether a server answers at `url` (and lets us in) within a second. */
async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

export default defineConfig(async () => {
  // A local PostgreSQL is used when one answers; otherwise the embedded server. Every connection
  // there shares one PGlite session (one database, shared SET state, transactions that block
  // everyone else): test files run one at a time, and it is much slower.
  if (!process.env.TEST_DATABASE_URL && (await answers(LOCAL_POSTGRES))) process.env.TEST_DATABASE_URL = LOCAL_POSTGRES;
  const embedded = !process.env.TEST_DATABASE_URL;
  return {
    test: {
      projects: [
        {
          test: {
            name: 'unit',
            include: ['tests/**/*.test.ts'],
            exclude: [...configDefaults.exclude, 'tests/**/*.int.test.ts'],
          },
        },
        {
          test: {
            name: 'integration',
            include: ['tests/**/*.int.test.ts'],
            globalSetup: ['tests/helpers/global-setup.ts'],
            fileParallelism: !embedded,
            maxWorkers: embedded ? 1 : 2,
            testTimeout: 30_000,
            hookTimeout: 60_000,
          },
        },
      ],
    },
  };
});
