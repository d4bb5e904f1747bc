// Per-file test databases, cloned from the migrated template that tests/helpers/global-setup.ts builds.
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { withDatabaseName, withPgClient } from '../../src/lib/pg.ts';

/** What global-setup.ts hands to test files through `provide`/`inject`. */
export interface TestDatabaseInfo {
  /** A URL on the test server from which databases may be created (the embedded database itself when embedded). */
  adminUrl: string;
  /** The migrated template to clone; null on the embedded server, which has a single database. */
  template: string | null;
  /** Without TEST_DATABASE_URL the tests run on the embedded server (see src/lib/embedded-db.ts). */
  embedded: boolean;
  /** A scratch database for migration diffs, where the server cannot make temporary ones (embedded). */
  shadowUrl: string | null;
}

declare module 'vitest' {
  export interface ProvidedContext {
    testDatabase: TestDatabaseInfo;
  }
}

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

export function testDatabaseInfo(): TestDatabaseInfo {
  const info = inject('testDatabase');
  if (!info) throw new Error('no test database: database tests belong in *.int.test.ts (the integration project)');
  return info;
}

export async function adminQuery(sql: string): Promise<void> {
  await withPgClient(testDatabaseInfo().adminUrl, (client) => client.query(sql));
}

/**
 * A database of its own for the calling test file: a clone of the migrated template
 * (`CREATE DATABASE ... TEMPLATE`, ~0.4 s here), dropped `WITH (FORCE)` by `drop()`. With
 * `{ empty: true }`, an empty database instead.
 *
 * On the embedded server every file gets the one shared database (it ignores database names in
 * URLs) and `drop()` does nothing: tests must make unique data, which they do anyway. An empty
 * database there is the shadow server, wiped before and after (files run one at a time there).
 */
export async function createTestDatabase(options: { empty?: boolean } = {}): Promise<TestDatabase> {
  const info = testDatabaseInfo();
  if (info.embedded) {
    if (!options.empty) return { url: info.adminUrl, drop: async () => {} };
    const shadowUrl = info.shadowUrl!;
    const wipe = async () => {
      await withPgClient(shadowUrl, (client) => client.query('DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public'));
    };
    await wipe();
    return { url: shadowUrl, drop: wipe };
  }
  const name = `t_${process.env.VITEST_POOL_ID ?? '0'}_${randomBytes(4).toString('hex')}`;
  await adminQuery(options.empty ? `CREATE DATABASE ${name}` : `CREATE DATABASE ${name} TEMPLATE ${info.template}`);
  let dropped: Promise<void> | undefined;
  return {
    url: withDatabaseName(info.adminUrl, name),
    drop: () => (dropped ??= adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)),
  };
}

/** Pool size for clients in tests: the embedded server wants one connection (see src/lib/embedded-db.ts). */
export function testPoolSize(): number {
  return testDatabaseInfo().embedded ? 1 : 5;
}
