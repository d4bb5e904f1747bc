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
