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
 * Runs `work` again when PostgreSQL aborted it as a deadlock victim (SQLSTATE 40P01), which
 * concurrent inserts checked by one exclusion constraint can cause: the retry then sees the
 * committed winner and gets an ordinary answer (usually 23P01).
 */
export async function retryOnDeadlock<T>(work: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= attempts || sqlStateOf(error) !== '40P01') throw error;
    }
  }
}
