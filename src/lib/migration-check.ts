// Does the database have every migration this code ships? Without them the API would listen and
// answer 500 on every route ("relation ... does not exist" in the log only), so the API and the
// worker refuse to start and /health/ready answers 503.
import { readdir } from 'node:fs/promises';
import { ConfigError } from '../config.ts';
import { migrationsDir } from './migrations.ts';
import { withPgClient } from './pg.ts';

/** Runs one SQL text and returns its rows: a pg client's query or Prisma's $queryRawUnsafe. */
export type RowsOf = <Row>(sql: string) => Promise<Row[]>;

let shipped: Promise<string[]> | undefined;

/** The migration directories of prisma/migrations, read once per process. */
function shippedMigrations(): Promise<string[]> {
  shipped ??= readdir(migrationsDir, { withFileTypes: true }).then((entries) =>
    entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort(),
  );
  return shipped;
}

/**
 * The shipped migrations that `_prisma_migrations` does not record as applied (a failed run
 * counts as not applied), oldest first. Migrations applied but not shipped (a newer release's,
 * during a rolling update) are not a problem for this code and are ignored.
 */
export async function pendingMigrations(rowsOf: RowsOf): Promise<string[]> {
  // An empty database has no _prisma_migrations table at all.
  const [table] = await rowsOf<{ present: boolean }>(`SELECT to_regclass('_prisma_migrations') IS NOT NULL AS present`);
  const applied = table?.present
    ? await rowsOf<{ migration_name: string }>(
        'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
      )
    : [];
  const appliedNames = new Set(applied.map((row) => row.migration_name));
  return (await shippedMigrations()).filter((name) => !appliedNames.has(name));
}

/** The one line an operator sees: what is missing and the command that fixes it. */
export function pendingMigrationsMessage(pending: readonly string[]): string {
  const which = pending.length === 1 ? pending[0] : `${pending[0]} … ${pending.at(-1)}`;
  return (
    `The database is not migrated: ${pending.length} pending migration(s) (${which}). ` +
    'Run `npm run db:migrate` first, or start the API with MIGRATE_ON_START=true.'
  );
}

/** The pending migrations of the database at `databaseUrl`, on a connection of its own. */
export function pendingMigrationsOf(databaseUrl: string): Promise<string[]> {
  return withPgClient(databaseUrl, (client) => pendingMigrations(async <Row>(sql: string) => (await client.query(sql)).rows as Row[]));
}

/** At start-up: throws a ConfigError with that line when a shipped migration is not applied. */
export async function assertMigrated(databaseUrl: string): Promise<void> {
  const pending = await pendingMigrationsOf(databaseUrl);
  if (pending.length > 0) throw new ConfigError(pendingMigrationsMessage(pending));
}
