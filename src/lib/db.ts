// The one place that builds a PrismaClient: PostgreSQL through the pg driver adapter.
import { createHash } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../generated/prisma/client.ts';
import { containClientErrors } from './pg.ts';

export type Db = PrismaClient;
/** A client or an interactive transaction: what services take so they compose inside `$transaction`. */
export type DbClient = Omit<PrismaClient, '$connect' | '$disconnect' | '$on' | '$transaction' | '$extends'>;

/** Connection counts of a client's pool, for metrics. */
export interface PoolStats {
  max: number;
  total: number;
  idle: number;
  waiting: number;
}

const pools = new WeakMap<Db, pg.Pool>();

/**
 * Interactive transactions may wait this long for a connection and last this long. Prisma's
 * defaults (2 s, 5 s) turned a burst of bookings of one doctor (which queue on the calendar
 * lock while holding their connections) into errors on a busy machine; past these, the answer
 * is a 503 with Retry-After (lib/db-errors.ts).
 */
const TRANSACTION_OPTIONS = { maxWait: 10_000, timeout: 20_000 };

export function createDb(options: { url: string; poolSize: number }): Db {
  containClientErrors();
  // The pool is ours (the adapter ends it on $disconnect) so its counts can be read.
  const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize });
  // An idle connection the server ends (a restart, a failover) is dropped by the pool, which then
  // emits 'error': unheard, that would crash the process. The adapter listens only from Prisma's
  // first query on, and the prepared statements below may use the pool before that.
  pool.on('error', () => {});
  const adapter = new PrismaPg(pool, { disposeExternalPool: true });
  const db = new PrismaClient({ adapter, transactionOptions: TRANSACTION_OPTIONS });
  pools.set(db, pool);
  return db;
}

/** A statement run prepared: PostgreSQL parses and plans it once per connection. */
export interface PreparedStatement {
  /** Unique per text: a connection keeps each name's first text. */
  name: string;
  text: string;
}

/**
 * Rows of one prepared statement, sent straight through the pool of a client made by createDb:
 * for the few key lookups that run on every request (the session check), where the Prisma
 * client's own work costs twice the query's. Any other client (a transaction) runs it through
 * `$queryRawUnsafe`, unprepared, and so does a failed attempt. Values come back as `pg` parses them (timestamptz → Date,
 * int8 → string): select only columns whose types read the same both ways.
 */
export async function queryPrepared<T>(db: DbClient, statement: PreparedStatement, values: unknown[]): Promise<T[]> {
  const pool = pools.get(db as Db);
  if (pool) {
    try {
      const result = await pool.query<T & pg.QueryResultRow>({ name: statement.name, text: statement.text, values });
      return result.rows;
    } catch {
      // A failure takes the Prisma path once more: it then fails (or succeeds) like every other
      // query, with Prisma's errors, which plugins/errors.ts maps (a database outage → 503).
    }
  }
  return db.$queryRawUnsafe<T[]>(statement.text, ...values);
}

const statementNames = new Map<string, string>();

/**
 * A prepared statement for SQL built at run time (a filter's conditions, an ordering): the name
 * is `prefix` and a digest of the text, so each shape gets its own plan per connection. Only for
 * queries whose shapes are few (their values are parameters), since every name is kept.
 */
export function preparedStatementOf(prefix: string, text: string): PreparedStatement {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `${prefix}_${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
    statementNames.set(text, name);
  }
  return { name, text };
}

/** The pool counts of a client made by createDb, or undefined for any other client. */
export function poolStatsOf(db: Db): PoolStats | undefined {
  const pool = pools.get(db);
  if (!pool) return undefined;
  return { max: pool.options.max ?? 10, total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount };
}

/** The readiness probe's query, prepared through the pool: probes come often (plugins/health.ts). */
const CHECK_DATABASE: PreparedStatement = { name: 'check_database', text: 'SELECT 1' };

/** Resolves when the database answers a trivial query within `timeoutMs`. */
export async function checkDatabase(db: Db, timeoutMs = 2000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('database check timed out')), timeoutMs);
  });
  try {
    await Promise.race([queryPrepared(db, CHECK_DATABASE, []), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
