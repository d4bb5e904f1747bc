// Transaction-scoped advisory locks: work on one key (a doctor's calendar, one email's account,
// one user's applications) runs one transaction at a time, without locking any row.
import type { DbClient } from './db.ts';

/** Waits for the lock of `scope:key`; it is released when the transaction ends. */
export async function lockKey(tx: DbClient, scope: string, key: string): Promise<void> {
  await tx.$queryRaw`SELECT 1 AS locked FROM pg_advisory_xact_lock(hashtext(${`${scope}:${key}`}))`;
}
