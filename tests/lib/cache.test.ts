// The read cache's logic (lib/cache.ts) over its memory store: generations, the races a
// delete-on-write cache loses, shared loads, validity and failures. The Redis store: cache.int.test.ts.
import { describe, expect, it } from 'vitest';
import { cacheOf, coalesceUnsent, createReadCache, deferredCache, encodeEntry, keepMs, memoryCacheStore, noCache, servable, type CacheStore } from '../../src/lib/cache.ts';
import type { Clock } from '../../src/lib/clock.ts';

const read = { key: 'doctor-page:1', refs: ['doctors', 'accounts'] };

function quietLogger() {
  const lines: string[] = [];
  return { lines, warn: (_obj: object, msg: string) => void lines.push(msg), error: (_obj: object, msg: string) => void lines.push(msg) };
}

function movableClock(start = 1_000_000): Clock & { set(ms: number): void } {
  let now = start;
  return { now: () => new Date(now), set: (ms) => void (now = ms) };
}

function cacheOver(store: CacheStore = memoryCacheStore(), clock: Clock = movableClock()) {
  const logger = quietLogger();
  return { cache: createReadCache({ store, ttlSeconds: 60, clock, logger }), store, logger };
}

/** A promise and the function that resolves it: a database query held open by the test. */
function gate<T>() {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (open = resolve));
  return { promise, open };
}

describe('read cache', () => {
  it('answers from the cache until a reference it depends on is invalidated, then loads again', async () => {
    const { cache } = cacheOver();
    let loads = 0;
    const load = async () => ++loads;
    expect(await cache.read(read, load)).toBe(1);
    expect(await cache.read(read, load)).toBe(1);
    await cache.invalidate(['reviews']); // not one of its references
    expect(await cache.read(read, load)).toBe(1);
    await cache.invalidate(['accounts']);
    expect(await cache.read(read, load)).toBe(2);
    expect(await cache.read(read, load)).toBe(2);
  });

  it('never serves what a read loaded before a write to the reads after it (the reader that stores old rows after the invalidation)', async () => {
    const { cache } = cacheOver();
    const oldRows = gate<string>();
    // A reader misses and queries: the database answers the rows before the write...
    const slowReader = cache.read(read, () => oldRows.promise);
    // ...the write commits and invalidates; then the old rows arrive and are stored.
    await cache.invalidate(['doctors']);
    oldRows.open('old');
    expect(await slowReader).toBe('old');
    // The next read does not get them: they sit under the generations before the write.
    expect(await cache.read(read, async () => 'new')).toBe('new');
    expect(await cache.read(read, async () => 'newer')).toBe('new');
  });

  it('shares a load in flight only with reads that saw the same generations', async () => {
    const { cache } = cacheOver();
    const first = gate<string>();
    let loads = 0;
    const a = cache.read(read, () => {
      loads += 1;
      return first.promise;
    });
    // Same generations: joins the load in flight.
    const b = cache.read(read, async () => {
      loads += 1;
      return 'b';
    });
    await cache.invalidate(['doctors']);
    // Started after the write: never handed the answer of the read that started before it.
    const c = cache.read(read, async () => {
      loads += 1;
      return 'after the write';
    });
    expect(await c).toBe('after the write');
    first.open('before the write');
    expect(await a).toBe('before the write');
    expect(await b).toBe('before the write');
    expect(loads).toBe(2);
  });

  it('does not serve an answer past its validUntil on the app clock, and keeps it at most that long', async () => {
    const clock = movableClock(10_000);
    const { cache } = cacheOver(memoryCacheStore(), clock);
    let loads = 0;
    const load = async () => ({ n: ++loads, until: 15_000 });
    expect((await cache.read(read, load, (value) => value.until)).n).toBe(1);
    clock.set(14_999);
    expect((await cache.read(read, load, (value) => value.until)).n).toBe(1);
    clock.set(15_000);
    expect((await cache.read(read, load, (value) => value.until)).n).toBe(2);
  });

  it('keeps errors out of the cache: the next read loads again', async () => {
    const { cache } = cacheOver();
    await expect(cache.read(read, () => Promise.reject(new Error('database down')))).rejects.toThrow('database down');
    expect(await cache.read(read, async () => 'loaded')).toBe('loaded');
  });

  it('reads the database when the store fails, and logs a failed invalidation without failing the write', async () => {
    const failing: CacheStore = {
      lookup: () => Promise.reject(new Error('Redis down')),
      store: () => Promise.reject(new Error('Redis down')),
      bump: () => Promise.reject(new Error('Redis down')),
    };
    const { cache, logger } = cacheOver(failing);
    expect(await cache.read(read, async () => 'from the database')).toBe('from the database');
    await expect(cache.invalidate(['doctors'])).resolves.toBeUndefined();
    expect(logger.lines).toEqual(['cache unavailable: reading from the database', expect.stringMatching(/^cache invalidation failed/)]);
  });

  it('inside a transaction: reads load, invalidations wait in the set for the commit', async () => {
    const pending = new Set<string>();
    const cache = deferredCache(pending);
    let loads = 0;
    await cache.read(read, async () => ++loads);
    await cache.read(read, async () => ++loads);
    await cache.invalidate(['doctors', 'free-slots:1']);
    await cache.invalidate(['doctors']);
    expect(loads).toBe(2);
    expect([...pending]).toEqual(['doctors', 'free-slots:1']);
  });
});

describe('read cache pieces', () => {
  it('servable: an entry is served before its instant, not at or after it; without one, always', () => {
    const entry = (text: string, until?: number) => Buffer.from(encodeEntry(text, until));
    expect(servable(entry('[1]'), 5)?.toString()).toBe('[1]');
    expect(servable(entry('{"a":"\\n"}', 10), 9)?.toString()).toBe('{"a":"\\n"}');
    expect(servable(entry('"x"', 10), 10)).toBeUndefined();
    expect(servable(entry('null'), 0)?.toString()).toBe('null');
  });

  it('readText answers a hit as the bytes stored, the same text the load answered', async () => {
    const { cache } = cacheOver();
    const body = JSON.stringify({ count: 1, results: ['é', 'ü'] });
    expect(await cache.readText(read, async () => body)).toBe(body);
    const hit = await cache.readText(read, async () => 'not this');
    expect(Buffer.isBuffer(hit) && hit.toString('utf8')).toBe(body);
  });

  it('coalesceUnsent: calls with one id made together share one call; a call never joins one already sent', async () => {
    const sent: { id: number; answer: ReturnType<typeof gate<string>> }[] = [];
    const send = (id: number) => {
      const answer = gate<string>();
      sent.push({ id, answer });
      return answer.promise;
    };
    const coalesced = coalesceUnsent(send);
    const together = [coalesced('a', 1), coalesced('a', 2), coalesced('b', 3), coalesced('a', 4)];
    expect(sent).toHaveLength(0); // sent in the loop's check phase, after the callers of this turn
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent.map((call) => call.id)).toEqual([1, 3]);
    // Made while the first call is in flight: it may follow a write that answer predates, so it is sent on its own.
    const later = coalesced('a', 5);
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent.map((call) => call.id)).toEqual([1, 3, 5]);
    sent[0]!.answer.open('first');
    sent[1]!.answer.open('other');
    sent[2]!.answer.open('after');
    expect(await Promise.all([...together, later])).toEqual(['first', 'first', 'other', 'first', 'after']);
  });

  it('keepMs: the TTL, shortened to the validity', () => {
    expect(keepMs(60_000, 1000, undefined)).toBe(60_000);
    expect(keepMs(60_000, 1000, 5000)).toBe(4000);
    expect(keepMs(60_000, 1000, 900)).toBeLessThanOrEqual(0);
  });

  it('the memory store expires entries after their TTL and keeps at most its size in bytes, oldest out first', async () => {
    let now = 0;
    const store = memoryCacheStore(2, () => now);
    await store.store('a', '', 'A', 100);
    now = 99;
    expect((await store.lookup('a', [])).entry?.toString()).toBe('A');
    now = 100;
    expect((await store.lookup('a', [])).entry).toBeNull();
    await store.store('a', '', 'A', 100);
    await store.store('b', '', 'B', 100);
    await store.store('c', '', 'C', 100);
    expect((await store.lookup('a', [])).entry).toBeNull();
    expect((await store.lookup('c', [])).entry?.toString()).toBe('C');
  });

  it('cacheOf: off when disabled; in memory only for a process that runs its own worker, since others’ writes could not reach it', async () => {
    const parts = { redis: undefined, clock: movableClock(), logger: quietLogger() };
    expect(cacheOf({ cache: { enabled: false, ttlSeconds: 60 }, workerEnabled: true }, parts)).toBe(noCache);
    expect(cacheOf({ cache: { enabled: false, ttlSeconds: 60 }, workerEnabled: false }, parts)).toBe(noCache);
    expect(cacheOf({ cache: { enabled: true, ttlSeconds: 60 }, workerEnabled: false }, parts)).toBe(noCache);
    const memory = cacheOf({ cache: { enabled: true, ttlSeconds: 60 }, workerEnabled: true }, parts);
    expect(memory).not.toBe(noCache);
    let loads = 0;
    await memory.read(read, async () => ++loads);
    expect(await memory.read(read, async () => ++loads)).toBe(1);
  });
});
