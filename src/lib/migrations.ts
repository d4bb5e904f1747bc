// Offline migrations: Prisma's schema engine compiled to WebAssembly, driven through the pg adapter.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PrismaPg } from '@prisma/adapter-pg';
import {
  bindMigrationAwareSqlAdapterFactory,
  ColumnTypeEnum,
  DriverAdapterError,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
  type SqlQueryable,
} from '@prisma/driver-adapter-utils';
import type { MigrationList, SchemaEngine, SchemaFilter } from '@prisma/schema-engine-wasm/schema_engine_bg';
import pg from 'pg';
import { withDatabaseName, withPgClient } from './pg.ts';

/** Walks up from this file to the directory holding prisma/schema.prisma: works from src/ and dist/src/. */
function findRepoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'prisma', 'schema.prisma'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`prisma/schema.prisma not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
  return dir;
}

export const repoRoot = findRepoRoot();
export const schemaPath = path.join(repoRoot, 'prisma', 'schema.prisma');
export const migrationsDir = path.join(repoRoot, 'prisma', 'migrations');

const noFilters: SchemaFilter = { externalTables: [], externalEnums: [] };

// ── The engine ──────────────────────────────────────────────────────────────────────────────

type EngineModule = typeof import('@prisma/schema-engine-wasm/schema_engine_bg');
// Node has WebAssembly; TypeScript declares it only in the DOM lib, which this project leaves out.
declare const WebAssembly: {
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: Record<string, unknown> } }>;
};
let engineModule: Promise<EngineModule> | undefined;

/**
 * Loads the wasm engine once per process. The package's own entry imports the .wasm file as an
 * ES module, which Node cannot do, so the glue module is wired to the instance by hand.
 */
function loadEngineModule(): Promise<EngineModule> {
  engineModule ??= (async () => {
    // The engine reports a Rust panic here before it traps; without it the trap reads
    // "Cannot read properties of undefined (reading 'set_message')".
    (globalThis as Record<string, unknown>).PRISMA_WASM_PANIC_REGISTRY ??= {
      set_message: (message: string) => process.stderr.write(`prisma schema engine panicked: ${message}\n`),
    };
    const gluePath = createRequire(import.meta.url).resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const bg: EngineModule = await import('@prisma/schema-engine-wasm/schema_engine_bg');
    const bytes = await readFile(gluePath.replace(/\.js$/, '.wasm'));
    const { instance } = await WebAssembly.instantiate(bytes, { './schema_engine_bg.js': bg });
    bg.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return bg;
  })();
  engineModule.catch(() => (engineModule = undefined)); // a failed load may be retried
  return engineModule;
}

// ── The pg adapter, with three fixes the engine needs ───────────────────────────────────────

const CHAR_OID = 18; // PostgreSQL's one-byte "char" (pg_constraint.contype ...)
const TEXT_OID = 25;
const charColumns = new WeakMap<unknown[], number[]>(); // a result's rows → its "char" column indexes

/**
 * Fix 1. The engine reads `pg_constraint.contype` (a "char") whenever it describes a database,
 * but adapter-pg 7.10 rejects that type ("Column type 'char' could not be deserialized"), and
 * reported as text the engine panics (it wants a Character column). So this client tells the
 * adapter "text" and remembers which columns were "char"; `withCharColumns` puts `Character`
 * back on the adapter's result. The values already arrive as one-letter strings.
 */
type Results = pg.QueryResult | pg.QueryResult[] | undefined; // an array for multi-statement scripts
type Callback = (error: Error | null, results?: Results) => void;

class CharAsTextClient extends pg.Client {
  // One loose signature for pg's overloads: the pool calls (config, values, callback), the
  // adapter's transactions call (config) and await the promise.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override query(config: unknown, values?: unknown, callback?: unknown): any {
    const [params, done] = typeof values === 'function' ? [undefined, values as Callback] : [values, callback as Callback | undefined];
    const mark = (results: Results): Results => {
      for (const result of [results ?? []].flat()) {
        const indexes: number[] = [];
        result.fields.forEach((field, i) => {
          if (field.dataTypeID !== CHAR_OID) return;
          field.dataTypeID = TEXT_OID;
          indexes.push(i);
        });
        if (indexes.length) charColumns.set(result.rows, indexes);
      }
      return results;
    };
    const query = pg.Client.prototype.query.bind(this) as (...args: unknown[]) => Promise<Results>;
    if (done) return query(config, params, (error: Error | null, results?: Results) => done(error, mark(results)));
    return query(config, params).then(mark);
  }
}

function withCharColumns<T extends SqlQueryable>(queryable: T): T {
  const queryRaw = queryable.queryRaw.bind(queryable);
  queryable.queryRaw = async (query) => {
    const result = await queryRaw(query);
    for (const i of charColumns.get(result.rows) ?? []) result.columnTypes[i] = ColumnTypeEnum.Character;
    return result;
  };
  return queryable;
}

/** The pg adapter over a pool of one connection (enough for the engine). */
async function connectAdapter(url: string, afterDispose?: () => Promise<unknown>): Promise<SqlDriverAdapter> {
  const pool = new pg.Pool({ connectionString: url, max: 1, Client: CharAsTextClient });
  const adapter = withCharColumns(await new PrismaPg(pool, { disposeExternalPool: true }).connect());
  const startTransaction = adapter.startTransaction.bind(adapter);
  adapter.startTransaction = async (isolationLevel) => withCharColumns(await startTransaction(isolationLevel));

  // Fix 2. adapter-pg runs a migration by splitting it on every ";" (even in comments and
  // strings) and committing statement by statement. One simple-protocol query instead, as
  // Prisma's native engine does: PostgreSQL parses the script and runs it in one implicit
  // transaction, so a failing migration leaves nothing half-applied.
  adapter.executeScript = async (script) => {
    try {
      await pool.query(script);
    } catch (error) {
      const e = error as pg.DatabaseError;
      const { code = 'N/A', severity = 'N/A', message, detail, column, hint } = e;
      throw new DriverAdapterError({ kind: 'postgres', code, severity, message, detail, column, hint });
    }
  };

  // The engine disposes some adapters itself and we dispose all at the end: run once.
  const dispose = adapter.dispose.bind(adapter);
  let disposed: Promise<void> | undefined;
  adapter.dispose = () => (disposed ??= dispose().then(async () => void (await afterDispose?.())));
  return adapter;
}


/**
 * Fix 3: a temporary shadow database on the same server. adapter-pg's own connectToShadowDb
 * creates one but, given a connection string, its pool still connects to the main database
 * (the URL wins over the `database` option), so the migrations would be replayed there.
 */
async function temporaryShadow(serverUrl: string): Promise<SqlDriverAdapter> {
  const name = `prisma_shadow_${randomBytes(6).toString('hex')}`;
  const url = withDatabaseName(serverUrl, name);
  const drop = () => withPgClient(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  await withPgClient(serverUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  return connectAdapter(url, drop);
}

/** Runs `use` with an engine connected to `databaseUrl`, then frees the engine and every connection it opened. */
async function withEngine<T>(
  databaseUrl: string,
  use: (engine: SchemaEngine, schema: string) => Promise<T>,
): Promise<T> {
  const { SchemaEngine } = await loadEngineModule();
  const schema = await readFile(schemaPath, 'utf8');
  const opened: SqlDriverAdapter[] = [];
  const track = (adapter: SqlDriverAdapter) => (opened.push(adapter), adapter);
  let shadowError: unknown; // the engine reports only "Failed to connect to the shadow database"
  const factory: SqlMigrationAwareDriverAdapterFactory = {
    provider: 'postgres',
    adapterName: '@prisma/adapter-pg',
    connect: async () => track(await connectAdapter(databaseUrl)),
    connectToShadowDb: () =>
      temporaryShadow(databaseUrl).then(track, (error) => {
        throw (shadowError = error);
      }),
  };
  const engine = await SchemaEngine.new(
    { datamodels: [[schemaPath, schema]] },
    () => {}, // engine log lines (JSON); errors reach us as rejections anyway
    bindMigrationAwareSqlAdapterFactory(factory),
  );
  try {
    return await use(engine, schema);
  } catch (error) {
    throw shadowError ?? error;
  } finally {
    engine.free();
    await Promise.all(opened.map((adapter) => adapter.dispose()));
  }
}

// ── Migrations ──────────────────────────────────────────────────────────────────────────────

/** The migrations directory in the shape the engine takes, read like the Prisma CLI does. */
async function readMigrations(): Promise<MigrationList> {
  const lockPath = path.join(migrationsDir, 'migration_lock.toml');
  const lockfile = { path: 'migration_lock.toml', content: existsSync(lockPath) ? await readFile(lockPath, 'utf8') : null };
  const entries = existsSync(migrationsDir) ? await readdir(migrationsDir, { withFileTypes: true }) : [];
  const names = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  const migrationDirectories = await Promise.all(
    names.map(async (name) => ({
      path: name,
      migrationFile: {
        path: 'migration.sql',
        content: await readFile(path.join(migrationsDir, name, 'migration.sql'), 'utf8').then(
          (value) => ({ tag: 'ok' as const, value }),
          (error: Error) => ({ tag: 'error' as const, value: error.message }),
        ),
      },
    })),
  );
  return { baseDir: migrationsDir, lockfile, shadowDbInitScript: '', migrationDirectories };
}

/**
 * Applies pending migrations and records them in `_prisma_migrations`, like `prisma migrate
 * deploy` (same checksums, same failure records). Returns the names applied.
 */
export async function applyMigrations(databaseUrl: string): Promise<string[]> {
  const migrationsList = await readMigrations();
  return withEngine(databaseUrl, async (engine) => {
    const { appliedMigrationNames } = await engine.applyMigrations({ migrationsList, filters: noFilters });
    return appliedMigrationNames;
  });
}

/**
 * SQL that takes a database built by the migrations to prisma/schema.prisma; '' when they agree.
 * The migrations are replayed on a temporary shadow database on the same server; the database of
 * `databaseUrl` is only connected to, never changed.
 */
export async function diffMigrationsToSchema(databaseUrl: string): Promise<string> {
  const migrationsList = await readMigrations();
  return withEngine(databaseUrl, async (engine, schema) => {
    const result = await engine.diff({
      // With no migrations yet there is no lock file either, which the engine insists on.
      from: migrationsList.migrationDirectories.length ? { tag: 'migrations', ...migrationsList } : { tag: 'empty' },
      to: { tag: 'schemaDatamodel', files: [{ path: schemaPath, content: schema }] },
      script: true,
      exitCode: true, // 2 when there is a difference, 0 when none
      filters: noFilters,
    });
    return result.exitCode === 0 ? '' : (result.stdout ?? '');
  });
}

/** UTC `YYYYMMDDHHMMSS`, the prefix Prisma gives migration directories. */
function migrationTimestamp(date = new Date()): string {
  return date.toISOString().replace(/\D/g, '').slice(0, 14);
}

/**
 * Writes prisma/migrations/<timestamp>_<name>/migration.sql with the SQL that brings the
 * migrations up to prisma/schema.prisma, and the lock file if missing. Refuses when there is
 * nothing to migrate. Returns the path of the new file.
 */
export async function createMigration(databaseUrl: string, name: string): Promise<string> {
  const slug = name.trim().toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  if (!slug) throw new Error(`invalid migration name: "${name}"`);
  const sql = await diffMigrationsToSchema(databaseUrl);
  if (!sql) throw new Error('no changes: the migrations already match prisma/schema.prisma');
  const lockPath = path.join(migrationsDir, 'migration_lock.toml');
  if (!existsSync(lockPath)) {
    await mkdir(migrationsDir, { recursive: true });
    await writeFile(lockPath, '# Please do not edit this file manually\n# It should be added in your version-control system (e.g., Git)\nprovider = "postgresql"\n');
  }
  const dir = path.join(migrationsDir, `${migrationTimestamp()}_${slug}`);
  await mkdir(dir);
  const file = path.join(dir, 'migration.sql');
  await writeFile(file, sql);
  return file;
}
