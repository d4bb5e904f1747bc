// The process's Redis connection (REDIS_URL): shared by the rate limits (plugins/security.ts) and
// the read cache (lib/cache.ts). ioredis is imported only when REDIS_URL asks for it. Also the
// probe the tests and benchmarks use to decide whether their Redis is there.
import type { Redis } from 'ioredis';
import type { Logger } from './mailer.ts';

const CONNECT_WAIT_MS = 2000;
/** A Redis that stops answering fails a command after this long (rate limits and the cache then fall back). */
const COMMAND_TIMEOUT_MS = 1000;

/** Resolves when `redis` is ready, has failed to connect, or after `timeoutMs`; never throws. */
async function waitUntilConnected(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off('ready', done);
      redis.off('error', done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    redis.once('ready', done);
    redis.once('error', done);
  });
}

/**
 * Connects to `url` and resolves once connected (or failed to connect, or after 2 s): callers
 * start serving with their shared state in reach, not in a per-instance fallback they would
 * only leave later. Commands fail fast while Redis is down instead of queueing behind it.
 */
export async function connectRedis(url: string, logger: Pick<Logger, 'warn'>): Promise<Redis> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 1000,
    commandTimeout: COMMAND_TIMEOUT_MS,
    // Commands issued in the same tick (concurrent requests' cache lookups) go out in one write.
    enableAutoPipelining: true,
    lazyConnect: false,
  });
  redis.on('error', (error) => logger.warn({ err: error }, 'Redis unavailable'));
  await waitUntilConnected(redis, CONNECT_WAIT_MS);
  return redis;
}

/** Whether Redis answers at `url` within a second; never throws. */
export async function redisAnswers(url: string): Promise<boolean> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, enableOfflineQueue: false });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}
