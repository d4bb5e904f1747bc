// The shared read cache of the public hot reads (doctor list and profiles, catalogues, reviews,
// free slots) and of the admin patient search's matches: in Redis when REDIS_URL is set (shared
// by every instance and the stand-alone worker), in this process's memory otherwise (one process only).
//
// Correctness comes from generations, not from deleting keys. Each reference (a name for some
// data: `doctors`, `reviews`, `slots:<doctorId>`...) has a generation counter. A read fetches the
// generations of the references it depends on BEFORE it queries the database, and its answer is
// stored under a key that includes them. A write bumps (increments) the generations of what it
// changed AFTER its transaction commits, before it answers. So:
// - a reader that queried old rows stores them under the old generations, which no read after
//   the bump asks for (deleting keys instead would let that reader put the old rows back after
//   the delete: stale until the TTL; that is why async-cache-dedupe's references are not used);
// - concurrent identical reads share one database query only when they saw the same
//   generations, so a read that started after a bump never gets the answer of one before it.
// In Redis one script reads the generations and the entry in one round trip, shared by the
// identical lookups that arrive in one turn of the event loop (never by one that came after it
// was sent); a bump is one round trip. Entries also carry an optional instant (the app clock's)
// after which they are not served: answers that change with time as well as with writes (free
// slots) set it.
// If Redis fails, reads go to the database uncached; a bump that fails is logged, and entries
// then live at most CACHE_TTL.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { Counter } from 'prom-client';
import type { Config } from '../config.ts';
import type { Clock } from './clock.ts';
import type { DbClient } from './db.ts';
import type { Logger } from './mailer.ts';
import { processRegistry } from './metrics.ts';

/** What one cached read answers: its name and parameters, and the references whose writes change it. */
export interface CachedRead {
  /** The answer's name and parameters, e.g. `doctor-page:-rating:1:50`; must not contain `@`. */
  key: string;
  refs: readonly string[];
}

export interface ReadCache {
  /**
   * The answer of `read`: cached, or `load`'s (stored for later reads). `validUntil` (epoch ms of
   * the app clock) stops the answer from being served past the first time it would change by
   * itself. Inside a transaction it always loads.
   */
  read<T>(read: CachedRead, load: () => Promise<T>, validUntil?: (value: T) => number | undefined): Promise<T>;
  /**
   * As `read`, for an answer that is JSON text already (a route's serialized body): a hit answers
   * its bytes as stored, neither parsed nor serialized again.
   */
  readText(read: CachedRead, load: () => Promise<string>): Promise<string | Buffer>;
  /**
   * Makes every cached answer that depends on `refs` unreachable, on every instance. Call it after
   * the write committed; inside a transaction (lib/context.ts inTransaction) it runs after the commit.
   */
  invalidate(refs: readonly string[]): Promise<void>;
}

/** Where entries and generations live. */
export interface CacheStore {
  /** The generations of `refs` (joined) and the entry stored under `key` at those generations, in one step. */
  lookup(key: string, refs: readonly string[]): Promise<{ generations: string; entry: Buffer | null }>;
  store(key: string, generations: string, entry: string, ttlMs: number): Promise<void>;
  bump(refs: readonly string[]): Promise<void>;
}

/** The key of an entry: its read's key at the generations of its references. */
export const entryKey = (key: string, generations: string) => `${key}@${generations}`;

const NEWLINE = 0x0a;

/** An entry: the instant (epoch ms) it may be served until, if any, a newline, and the answer's JSON text. */
export const encodeEntry = (text: string, validUntil: number | undefined) => `${validUntil ?? ''}\n${text}`;

/** Entries already split into validity and text: a copy served again and again is split once. */
const splitEntries = new WeakMap<Buffer, { until: number | undefined; text: Buffer }>();

/** Serves `entry` at `now`: the answer's JSON text (bytes), or undefined when it is past its validity. */
export function servable(entry: Buffer, now: number): Buffer | undefined {
  let split = splitEntries.get(entry);
  if (!split) {
    const end = entry.indexOf(NEWLINE);
    split = { until: end > 0 ? Number(entry.toString('latin1', 0, end)) : undefined, text: entry.subarray(end + 1) };
    splitEntries.set(entry, split);
  }
  return split.until === undefined || now < split.until ? split.text : undefined;
}

/** How long to keep an answer: the TTL, shortened to its validity; 0 or less: not at all. */
export function keepMs(ttlMs: number, now: number, validUntil: number | undefined): number {
  return validUntil === undefined ? ttlMs : Math.min(ttlMs, validUntil - now);
}


/**
 * KEYS: the generation counters; ARGV[1]: the read's key; ARGV[2]: the generations of the entry
 * this instance holds a copy of ('' for none). Answers the generations joined with `.` (0 for a
 * counter never bumped) and the entry at those generations (false when missing), or 1 instead of
 * the entry when the copy is of those generations and the entry is still stored (its TTL holds
 * for the copy too): the body then does not travel.
 */
const LOOKUP_SCRIPT = `
local generations = #KEYS > 0 and redis.call('MGET', unpack(KEYS)) or {}
for i, value in ipairs(generations) do
  if not value then generations[i] = '0' end
end
local joined = table.concat(generations, '.')
local key = ARGV[1] .. '@' .. joined
if ARGV[2] == joined then
  if redis.call('EXISTS', key) == 1 then return { joined, 1 } end
  return { joined, false }
end
return { joined, redis.call('GET', key) }`;

type LookupCommand = (...args: (string | number)[]) => Promise<[Buffer, Buffer | 1 | null]>;

/** Counts Redis commands sent, for the bench's round trips per request. */
export const cacheRedisCommands = new Counter({
  name: 'clinic_cache_redis_commands_total',
  help: 'Round trips the read cache made to Redis, by kind (lookup, store, bump).',
  labelNames: ['kind'] as const,
  registers: [processRegistry],
});

export const cacheReads = new Counter({
  name: 'clinic_cache_reads_total',
  help: 'Cached reads by outcome: hit, miss (loaded and stored), shared (joined an identical read in flight), bypass (cache unavailable or inside a transaction).',
  labelNames: ['outcome'] as const,
  registers: [processRegistry],
});
for (const kind of ['lookup', 'store', 'bump']) cacheRedisCommands.inc({ kind }, 0);
for (const outcome of ['hit', 'miss', 'shared', 'bypass']) cacheReads.inc({ outcome }, 0);

/**
 * The database's identity (its cluster's system identifier and its name, hashed): the Redis keys'
 * namespace, the same for every instance and worker of one deployment however they reach the
 * database, and different for deployments (or test databases) that share a Redis, which must
 * never answer each other's rows.
 */
export async function cacheNamespace(db: Pick<DbClient, '$queryRaw'>): Promise<string> {
  const [row] = await db.$queryRaw<{ identity: string }[]>`SELECT current_database() AS identity`;
  // Superusers and pg_monitor only, by default: without it the database name alone.
  const system = await db.$queryRaw<{ system: string }[]>`SELECT system_identifier::text AS system FROM pg_control_system()`.then(
    (rows) => rows[0]?.system ?? '',
    () => '',
  );
  return createHash('sha256').update(`${system}/${row!.identity}`).digest('base64url').slice(0, 12);
}

/** Values holding bytes, by key, at most `maxBytes` of them: the least recently set or touched out first. */
function bytesBoundedMap<V extends { entry: Buffer }>(maxBytes: number) {
  const values = new Map<string, V>();
  let bytes = 0;
  const remove = (key: string) => {
    const found = values.get(key);
    if (!found) return;
    values.delete(key);
    bytes -= found.entry.length;
  };
  return {
    get: (key: string) => values.get(key),
    remove,
    set(key: string, value: V) {
      remove(key);
      if (value.entry.length > maxBytes) return;
      values.set(key, value);
      bytes += value.entry.length;
      while (bytes > maxBytes) remove(values.keys().next().value!);
    },
    /** Marks `key` most recently used. */
    touch(key: string) {
      const found = values.get(key);
      if (!found) return;
      values.delete(key);
      values.set(key, found);
    },
  };
}

/**
 * Calls of `send` with the same id made in one turn of the event loop share one call, made in the
 * loop's check phase (setImmediate), after the requests that arrived together have asked. A call
 * never joins one already sent: that answer may predate a write acknowledged before this call, and
 * the cache promises that a write is visible to every read that starts after it.
 */
export function coalesceUnsent<A extends unknown[], R>(send: (...args: A) => Promise<R>): (id: string, ...args: A) => Promise<R> {
  const waiting = new Map<string, Promise<R>>();
  return (id, ...args) => {
    const joined = waiting.get(id);
    if (joined) return joined;
    const call = new Promise<R>((resolve, reject) => {
      setImmediate(() => {
        waiting.delete(id);
        send(...args).then(resolve, reject);
      });
    });
    waiting.set(id, call);
    return call;
  };
}

/** Bytes of entries an instance keeps copies of, for the Redis store (see `redisCacheStore`). */
const LOCAL_COPY_BYTES = 16 * 1024 * 1024;

/**
 * Entries and generations in Redis. The instance also keeps a copy of the entries it read or
 * stored last (up to LOCAL_COPY_BYTES, the least recently used out first) with their generations:
 * a lookup whose generations are still those of the copy gets the copy, and Redis only confirms
 * (one small answer instead of the body). Correctness is unchanged: the generations are read in
 * Redis at every lookup, so a bump anywhere makes the copy unreachable at once.
 */
export function redisCacheStore(redis: Redis, namespace: string | Promise<string>): CacheStore {
  // The namespace may still be being read (app.ts reads it with the rest of the start): every
  // command waits for it, so none is sent under another.
  const prefixRead = Promise.resolve(namespace).then((resolved) => `clinic-cache:${resolved}:`);
  // Whoever started the read awaits it and fails its start; a command here would fail as Redis down.
  prefixRead.catch(() => {});
  const generationKey = (prefix: string, ref: string) => `${prefix}gen:${ref}`;
  redis.defineCommand('clinicCacheLookup', { lua: LOOKUP_SCRIPT });
  // The Buffer variant: entries stay bytes, sent as they are (no UTF-8 decoding of a large body).
  const lookup = (redis as unknown as { clinicCacheLookupBuffer: LookupCommand }).clinicCacheLookupBuffer.bind(redis);
  const copies = bytesBoundedMap<{ generations: string; entry: Buffer }>(LOCAL_COPY_BYTES);
  const send = async (key: string, refs: readonly string[]) => {
    cacheRedisCommands.inc({ kind: 'lookup' });
    const prefix = await prefixRead;
    const copy = copies.get(key);
    const [joined, found] = await lookup(refs.length, ...refs.map((ref) => generationKey(prefix, ref)), `${prefix}${key}`, copy?.generations ?? '');
    const generations = joined.toString();
    if (found === 1 && copy) {
      copies.touch(key);
      return { generations, entry: copy.entry };
    }
    if (found === null || found === 1) {
      copies.remove(key);
      return { generations, entry: null };
    }
    copies.set(key, { generations, entry: found });
    return { generations, entry: found };
  };
  const coalescedSend = coalesceUnsent(send);
  return {
    // Many requests for one page at once: the identical lookups of one turn of the event loop share
    // a round trip (a read's key has no `@`, so the id is unambiguous).
    lookup: (key, refs) => coalescedSend(`${key}@${refs.join('@')}`, key, refs),
    async store(key, generations, entry, ttlMs) {
      cacheRedisCommands.inc({ kind: 'store' });
      const bytes = Buffer.from(entry);
      await redis.set(`${await prefixRead}${entryKey(key, generations)}`, bytes, 'PX', ttlMs);
      copies.set(key, { generations, entry: bytes });
    },
    async bump(refs) {
      cacheRedisCommands.inc({ kind: 'bump' });
      const prefix = await prefixRead;
      const pipeline = redis.multi();
      for (const ref of refs) pipeline.incr(generationKey(prefix, ref));
      await pipeline.exec();
    },
  };
}

/** Entries and generations in this process's memory: right for one process only. At most `maxBytes` of entries, oldest out first. */
export function memoryCacheStore(maxBytes = 32 * 1024 * 1024, now: () => number = Date.now): CacheStore {
  const generations = new Map<string, number>();
  const entries = bytesBoundedMap<{ entry: Buffer; expiresAt: number }>(maxBytes);
  return {
    async lookup(key, refs) {
      const joined = refs.map((ref) => generations.get(ref) ?? 0).join('.');
      const full = entryKey(key, joined);
      const found = entries.get(full);
      if (found && found.expiresAt > now()) return { generations: joined, entry: found.entry };
      entries.remove(full);
      return { generations: joined, entry: null };
    },
    async store(key, joined, entry, ttlMs) {
      entries.set(entryKey(key, joined), { entry: Buffer.from(entry), expiresAt: now() + ttlMs });
    },
    async bump(refs) {
      for (const ref of refs) generations.set(ref, (generations.get(ref) ?? 0) + 1);
    },
  };
}

/** A cache that stores nothing (CACHE_ENABLED=false): every read loads. */
export const noCache: ReadCache = {
  read: (_read, load) => load(),
  readText: (_read, load) => load(),
  invalidate: async () => {},
};

export function createReadCache(options: { store: CacheStore; ttlSeconds: number; clock: Clock; logger: Pick<Logger, 'warn' | 'error'> }): ReadCache {
  const { store, clock, logger } = options;
  const ttlMs = options.ttlSeconds * 1000;
  /** Loads in flight by entry key: identical reads at the same generations share one. */
  const inFlight = new Map<string, Promise<unknown>>();
  let lastWarning = 0;
  const warn = (error: unknown, message: string) => {
    // Once a minute at most: every read would log while Redis is down.
    if (Date.now() - lastWarning < 60_000) return;
    lastWarning = Date.now();
    logger.warn({ err: error }, message);
  };

  /**
   * The cached answer (decoded from its stored JSON text) or `load`'s, stored as `encode` makes it.
   * Identical reads at the same generations share one load.
   */
  async function cached<T, Hit>(
    read: CachedRead,
    load: () => Promise<T>,
    codec: { encode: (value: T) => string; decode: (text: Buffer) => Hit },
    validUntil?: (value: T) => number | undefined,
  ): Promise<T | Hit> {
    let found: { generations: string; entry: Buffer | null };
    try {
      found = await store.lookup(read.key, read.refs);
    } catch (error) {
      warn(error, 'cache unavailable: reading from the database');
      cacheReads.inc({ outcome: 'bypass' });
      return load();
    }
    const text = found.entry && servable(found.entry, clock.now().getTime());
    if (text) {
      cacheReads.inc({ outcome: 'hit' });
      return codec.decode(text);
    }
    const key = entryKey(read.key, found.generations);
    const shared = inFlight.get(key) as Promise<T> | undefined;
    if (shared) {
      cacheReads.inc({ outcome: 'shared' });
      return shared;
    }
    cacheReads.inc({ outcome: 'miss' });
    const loading = (async () => {
      const value = await load();
      const until = validUntil?.(value);
      const keep = keepMs(ttlMs, clock.now().getTime(), until);
      // Not awaited: the answer need not wait for the store.
      if (keep > 0) store.store(read.key, found.generations, encodeEntry(codec.encode(value), until), keep).catch((error: unknown) => warn(error, 'cache store failed'));
      return value;
    })().finally(() => inFlight.delete(key));
    inFlight.set(key, loading);
    return loading;
  }

  return {
    read: <T>(read: CachedRead, load: () => Promise<T>, validUntil?: (value: T) => number | undefined) =>
      cached<T, T>(read, load, { encode: JSON.stringify, decode: (text) => JSON.parse(text.toString('utf8')) as T }, validUntil),

    readText: (read, load) => cached(read, load, { encode: (text) => text, decode: (text) => text }),

    async invalidate(refs) {
      if (refs.length === 0) return;
      try {
        await store.bump([...new Set(refs)]);
      } catch (error) {
        // The write has committed: failing its answer would not undo it. Entries live at most CACHE_TTL.
        logger.error({ err: error, refs }, 'cache invalidation failed: cached answers may be stale until CACHE_TTL');
      }
    },
  };
}

/**
 * The cache a transaction's context carries: reads load (a transaction must see its own rows),
 * invalidations are collected in `pending` and made by inTransaction once the transaction commits.
 */
export function deferredCache(pending: Set<string>): ReadCache {
  const bypass = <T>(_read: CachedRead, load: () => Promise<T>) => {
    cacheReads.inc({ outcome: 'bypass' });
    return load();
  };
  return {
    read: bypass,
    readText: bypass,
    invalidate: async (refs) => {
      for (const ref of refs) pending.add(ref);
    },
  };
}

/**
 * The process's cache from the configuration: in Redis when there is a connection; in memory
 * only for a process that does every write itself (its worker in-process), since another
 * process's writes (a stand-alone worker's waitlist offers, another instance's bookings) could
 * not reach this memory; otherwise none. With CACHE_ENABLED=false a process with Redis still
 * invalidates on its writes (it only stops reading), so instances and workers whose settings
 * differ (during a rollout) never leave the others' answers stale.
 */
export function cacheOf(
  config: Pick<Config, 'cache' | 'workerEnabled'>,
  parts: { redis: { client: Redis; namespace: string | Promise<string> } | undefined; clock: Clock; logger: Pick<Logger, 'warn' | 'error'> },
): ReadCache {
  const store = parts.redis
    ? redisCacheStore(parts.redis.client, parts.redis.namespace)
    : config.cache.enabled && config.workerEnabled
      ? memoryCacheStore()
      : undefined;
  if (!store) return noCache;
  const cache = createReadCache({ store, ttlSeconds: config.cache.ttlSeconds, clock: parts.clock, logger: parts.logger });
  return config.cache.enabled ? cache : { ...noCache, invalidate: (refs) => cache.invalidate(refs) };
}

/**
 * A process's cache (`cacheOf`) over its Redis connection, if any, with the keys' namespace read
 * from its database meanwhile: `namespaceRead` (undefined without Redis) is for the start to await,
 * since a failed read must fail it; the cache's commands wait for it themselves.
 */
export function processCacheOf(
  config: Pick<Config, 'cache' | 'workerEnabled'>,
  parts: { redis: Redis | undefined; db: Pick<DbClient, '$queryRaw'>; clock: Clock; logger: Pick<Logger, 'warn' | 'error'> },
): { cache: ReadCache; namespaceRead: Promise<string> | undefined } {
  const redis = parts.redis && { client: parts.redis, namespace: cacheNamespace(parts.db) };
  return { cache: cacheOf(config, { redis, clock: parts.clock, logger: parts.logger }), namespaceRead: redis?.namespace };
}
