// The one place that builds a PrismaClient: PostgreSQL through the pg driver adapter.
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client.ts';

export type Db = PrismaClient;
/** A client or an interactive transaction: what services take so they compose inside `$transaction`. */
export type DbClient = Omit<PrismaClient, '$connect' | '$disconnect' | '$on' | '$transaction' | '$extends'>;

export function createDb(options: { url: string; poolSize: number }): Db {
  const adapter = new PrismaPg({ connectionString: options.url, max: options.poolSize });
  return new PrismaClient({ adapter });
}

/** Resolves when the database answers a trivial query within `timeoutMs`. */
export async function checkDatabase(db: Db, timeoutMs = 2000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('database check timed out')), timeoutMs);
  });
  try {
    await Promise.race([db.$queryRaw`SELECT 1`, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
