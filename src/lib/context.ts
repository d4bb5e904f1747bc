// What every service receives: `ctx` (the application's parts and where the call came from) and,
// on authenticated routes, the `actor` who is calling. Inside a transaction the same ctx is
// passed on with `db` set to the transaction (`TxContext`, made by `inTransaction`).
import type { Config } from '../config.ts';
import { deferredCache, type ReadCache } from './cache.ts';
import type { Role } from '../generated/prisma/enums.ts';
import type { Clock } from './clock.ts';
import type { Db, DbClient } from './db.ts';
import type { DomainEvents } from './events.ts';
import { lockAndFindAnswer, storeAnswer, type IdempotencyClaim } from './idempotency.ts';
import type { Jobs } from './jobs.ts';
import type { HostLookup } from './lookup.ts';
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
  /** The request's User-Agent, shown in the caller's session list (user/sessions/). */
  userAgent?: string | null;
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
  /** Resolves host names for outbound calls that check their target (webhooks). */
  lookup: HostLookup;
  /** The shared read cache of public hot reads (lib/cache.ts); writes invalidate what they change. */
  cache: ReadCache;
}

/** A service's first argument: the application's parts plus the call's origin. */
export interface ServiceContext extends AppDeps {
  meta: RequestMeta;
  /** The request's Idempotency-Key (plugins/idempotency.ts): its answer is stored by inTransaction. */
  idempotency?: IdempotencyClaim | undefined;
}

/** The same context inside a transaction: every query through `db` runs in it. */
export type TxContext = Omit<ServiceContext, 'db'> & { db: DbClient };

/** What inTransaction needs of a context: a service's, or the smaller one of a command-line script (scripts/create-admin.ts). */
export type TransactionalContext = Pick<ServiceContext, 'db' | 'clock' | 'cache' | 'idempotency'>;

/**
 * Runs `work` in one transaction, handing it the context with `db` set to the transaction. When
 * the call carries an Idempotency-Key, the transaction first waits for any other request with
 * that key and answers the answer it committed instead of working (the stored JSON of an earlier
 * `work` of the same route and body); otherwise it stores `work`'s result as the key's answer
 * before committing, so the change and its answer commit together. One transaction per request
 * may carry the key: the one whose result the route answers. The cache invalidations `work` asks
 * for are made after the commit, before this resolves (so before the write is answered).
 */
export async function inTransaction<C extends TransactionalContext, T>(ctx: C, work: (tx: Omit<C, 'db'> & { db: DbClient }) => Promise<T>): Promise<T> {
  // Cache invalidations asked for inside the transaction are made once it has committed (lib/cache.ts).
  const invalidated = new Set<string>();
  const cache = deferredCache(invalidated);
  const claim = ctx.idempotency;
  const result = await (claim
    ? ctx.db.$transaction(async (db) => {
        const now = ctx.clock.now();
        const stored = await lockAndFindAnswer(db, claim, now);
        if (stored) {
          claim.replayed = true;
          return stored.body as T;
        }
        const answer = await work({ ...ctx, db, cache, idempotency: undefined });
        await storeAnswer(db, claim, answer, now);
        return answer;
      })
    : ctx.db.$transaction((db) => work({ ...ctx, db, cache })));
  await ctx.cache.invalidate([...invalidated]);
  return result;
}
