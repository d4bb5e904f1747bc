// What every service receives: `ctx` (the application's parts and where the call came from) and,
// on authenticated routes, the `actor` who is calling. Inside a transaction the same ctx is
// passed on with `db` set to the transaction (`TxContext`, made by `inTransaction`).
import type { Config } from '../config.ts';
import type { Role } from '../generated/prisma/enums.ts';
import type { Clock } from './clock.ts';
import type { Db, DbClient } from './db.ts';
import type { DomainEvents } from './events.ts';
import type { Jobs } from './jobs.ts';
import type { Logger } from './mailer.ts';
import type { Storage } from './storage.ts';
import type { AccessTokens } from './tokens.ts';

/** Who is calling: what services receive to decide what the caller may do. */
export interface Actor {
  userId: string;
  role: Role;
  /** The session (refresh-token family) of the access token. */
  sessionId: string;
}

/** Where a call came from, for the audit trail: a request, or a job (no address). */
export interface RequestMeta {
  ip: string | null;
  requestId: string | null;
}

/** The meta of work no request asked for (schedules, sweeps). */
export const SYSTEM_META: RequestMeta = { ip: null, requestId: null };

/** The application's long-lived parts, shared by every request and by the workers. */
export interface AppDeps {
  config: Config;
  db: Db;
  clock: Clock;
  jobs: Pick<Jobs, 'enqueue'>;
  storage: Storage;
  tokens: AccessTokens;
  events: DomainEvents<TxContext>;
  logger: Logger;
}

/** A service's first argument: the application's parts plus the call's origin. */
export interface ServiceContext extends AppDeps {
  meta: RequestMeta;
}

/** The same context inside a transaction: every query through `db` runs in it. */
export type TxContext = Omit<ServiceContext, 'db'> & { db: DbClient };

/** Runs `work` in one transaction, handing it the context with `db` set to the transaction. */
export function inTransaction<T>(ctx: ServiceContext, work: (tx: TxContext) => Promise<T>): Promise<T> {
  return ctx.db.$transaction((db) => work({ ...ctx, db }));
}
