// Recognising PostgreSQL errors that reach services through Prisma (the driver adapter reports
// the SQLSTATE in different places for model calls and raw queries).
import { Prisma } from '../generated/prisma/client.ts';

const SQLSTATE = /^[0-9A-Z]{5}$/;

/** The SQLSTATE of a database error, or undefined for anything else. */
export function sqlStateOf(error: unknown): string | undefined {
  if (!(error instanceof Prisma.PrismaClientKnownRequestError)) return undefined;
  const meta = error.meta as
    | { code?: unknown; driverAdapterError?: { cause?: { code?: unknown; originalCode?: unknown } } }
    | undefined;
  const cause = meta?.driverAdapterError?.cause;
  for (const candidate of [cause?.originalCode, cause?.code, meta?.code]) {
    if (typeof candidate === 'string' && SQLSTATE.test(candidate)) return candidate;
  }
  return undefined;
}

/** An exclusion constraint refused the row (SQLSTATE 23P01): it overlaps another one. */
export const isExclusionViolation = (error: unknown): boolean => sqlStateOf(error) === '23P01';

/**
 * Prisma's codes for a database it cannot reach, lost, or cannot serve in time: P1001
 * unreachable, P1002 timed out, P1017 closed, P2024 pool timeout, P2028 a transaction that could
 * not start or outlived its timeout (a saturated pool).
 */
const UNAVAILABLE_PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028']);
/** The driver adapter's kinds for the same. */
const UNAVAILABLE_ADAPTER_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections', 'TransactionAlreadyClosed']);
/** pg's own messages when a connection broke under a query (it has no code for them). */
const UNAVAILABLE_MESSAGES = /Client has encountered a connection error|Connection terminated|timeout exceeded when trying to connect|Can't reach database server/i;
const UNAVAILABLE_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE']);

/**
 * The database is unreachable, shutting down or dropped the connection: a 503 the client may
 * retry, not a bug. SQLSTATE class 08 (connection exception), 57P01-57P03 (shutdown, crash,
 * cannot connect now) and 53300 (too many connections) count, as do Prisma's and the driver
 * adapter's connection errors and pg's own socket errors.
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 3) return false;
  const state = sqlStateOf(error);
  if (state !== undefined) return state.startsWith('08') || ['57P01', '57P02', '57P03', '53300'].includes(state);
  const fields = error as { code?: unknown; kind?: unknown; message?: unknown; cause?: unknown; meta?: unknown; name?: unknown };
  if (error instanceof Prisma.PrismaClientKnownRequestError || error instanceof Prisma.PrismaClientInitializationError) {
    if (typeof fields.code === 'string' && UNAVAILABLE_PRISMA_CODES.has(fields.code)) return true;
    const kind = (fields.meta as { driverAdapterError?: { cause?: { kind?: unknown } } } | undefined)?.driverAdapterError?.cause?.kind;
    if (typeof kind === 'string' && UNAVAILABLE_ADAPTER_KINDS.has(kind)) return true;
  }
  if (typeof fields.kind === 'string' && UNAVAILABLE_ADAPTER_KINDS.has(fields.kind)) return true;
  if (typeof fields.code === 'string' && UNAVAILABLE_ERRNOS.has(fields.code)) return true;
  if (typeof fields.message === 'string' && UNAVAILABLE_MESSAGES.test(fields.message)) return true;
  return isDatabaseUnavailable(fields.cause, depth + 1);
}
