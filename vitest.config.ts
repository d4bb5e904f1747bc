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

/**
 * The suite, or with TEST_FIXTURE=<name> only the files of tests/fixtures/<name>: deliberately
 * failing files for the tests of `npm test` itself, never part of the suite.
 */
const root = process.env.TEST_FIXTURE ? `tests/fixtures/${process.env.TEST_FIXTURE}` : 'tests';
const fixtures = process.env.TEST_FIXTURE ? [] : ['tests/fixtures/**'];

export default defineConfig(async () => {
  // TEST_DATABASE_URL=embedded asks for the embedded server; unset, a local PostgreSQL is used
  // when one answers, the embedded server otherwise (started by the global setup).
  if (process.env.TEST_DATABASE_URL === 'embedded') delete process.env.TEST_DATABASE_URL;
  else if (!process.env.TEST_DATABASE_URL && (await answers(LOCAL_POSTGRES))) process.env.TEST_DATABASE_URL = LOCAL_POSTGRES;
  return {
    test: {
      reporters: ['default', './tests/helpers/skip-reasons-reporter.ts'],
      projects: [
        {
          test: {
            name: 'unit',
            include: [`${root}/**/*.test.ts`],
            exclude: [...configDefaults.exclude, ...fixtures, `${root}/**/*.int.test.ts`],
          },
        },
        {
          test: {
            name: 'integration',
            include: [`${root}/**/*.int.test.ts`],
            exclude: [...configDefaults.exclude, ...fixtures],
            globalSetup: ['tests/helpers/global-setup.ts'],
            maxWorkers: 2,
            testTimeout: 30_000,
            hookTimeout: 60_000,
          },
        },
      ],
    },
  };
});
