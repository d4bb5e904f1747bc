// Vitest: `unit` (pure logic, no database) and `integration` (*.int.test.ts against PostgreSQL, see tests/helpers/global-setup.ts).
import { configDefaults, defineConfig } from 'vitest/config';

// Without TEST_DATABASE_URL the integration tests use the embedded server, where every
// connection shares one PGlite session (one database, shared SET state, transactions that
// block everyone else): test files there run one at a time.
const embedded = !process.env.TEST_DATABASE_URL;

export default defineConfig({
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
});
