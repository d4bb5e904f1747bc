// The Redis of the tests (TEST_REDIS_URL, or a local one), and `describe` for blocks that need it.
import { Redis } from 'ioredis';
import { describeWith } from './environment.ts';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function redisAnswers(url: string): Promise<boolean> {
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

/** `describe` when Redis answers (or in CI); otherwise skipped, saying so in the summary. */
export const describeWithRedis = describeWith(await redisAnswers(TEST_REDIS_URL), `no Redis at ${TEST_REDIS_URL}`);
