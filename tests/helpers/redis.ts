// The Redis of the tests (TEST_REDIS_URL, or a local one), and `describe` for blocks that need it.
import { redisAnswers } from '../../src/lib/redis.ts';
import { describeWith } from './environment.ts';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** `describe` when Redis answers (or in CI); otherwise skipped, saying so in the summary. */
export const describeWithRedis = describeWith(await redisAnswers(TEST_REDIS_URL), `no Redis at ${TEST_REDIS_URL}`);
