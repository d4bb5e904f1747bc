// Queues ordered by a payload field (the account jobs, by email): one key's jobs run one at a
// time and in the order they were enqueued, across workers and retries, while other keys' jobs
// go ahead; a queue that gains the order keeps its jobs.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../src/lib/db.ts';
import { createJobs, type JobHandler, type Jobs, type QueueSpec } from '../../src/lib/jobs.ts';
import type { Logger } from '../../src/lib/mailer.ts';
import { createTestDatabase, TEST_POOL_SIZE, type TestDatabase } from '../helpers/database.ts';
import { waitUntil } from '../helpers/wait.ts';

const SECRET_KEY = 'ordered-jobs-test-secret-key-0123456789';
const silent: Logger = { info() {}, warn() {}, error() {}, debug() {} };

interface KeyedJob {
  key: string;
  n: number;
}

let database: TestDatabase;
let db: Db;
const started: Jobs[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDb({ url: database.url, poolSize: TEST_POOL_SIZE });
});

afterEach(async () => {
  await Promise.all(started.splice(0).map((jobs) => jobs.stop()));
});

afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

/** A started Jobs of `queue` (a worker process, as far as pg-boss can tell), stopped after the test. */
async function startJobs(queue: QueueSpec, logger: Logger = silent): Promise<Jobs> {
  const jobs = createJobs({
    databaseUrl: database.url,
    poolSize: 2,
    secretKey: SECRET_KEY,
    logger,
    queues: [queue],
    pollingIntervalSeconds: 0.5,
    retryOverrides: { [queue.name]: { limit: 3, delaySeconds: 2, maxDelaySeconds: 2 } },
    stopTimeoutMs: 5_000,
  });
  started.push(jobs);
  await jobs.start();
  return jobs;
}

async function enqueueAll(jobs: Jobs, queue: string, payloads: KeyedJob[]): Promise<void> {
  await db.$transaction(async (tx) => {
    for (const payload of payloads) await jobs.enqueue(tx, queue, payload);
  });
}

const policyOf = async (queue: string) =>
  (await db.$queryRaw<{ policy: string }[]>`SELECT policy FROM pgboss.queue WHERE name = ${queue}`)[0]?.policy;

describe('a queue ordered by a payload field', () => {
  const ORDERED: QueueSpec = { name: 'test.ordered', orderBy: 'key' };

  it('runs one key’s jobs one at a time and in order, across two workers', async () => {
    const done: KeyedJob[] = [];
    const running = new Map<string, number>();
    let overlaps = 0;
    const handler: JobHandler<KeyedJob> = async (job) => {
      running.set(job.key, (running.get(job.key) ?? 0) + 1);
      if (running.get(job.key)! > 1) overlaps += 1;
      await sleep(2 + Math.random() * 8);
      done.push(job);
      running.set(job.key, running.get(job.key)! - 1);
    };
    const first = await startJobs(ORDERED);
    const second = await startJobs(ORDERED);
    const keys = ['ann@example.com', 'bob@example.com', 'cy@example.com'];
    const payloads = Array.from({ length: 10 }, (_, n) => keys.map((key) => ({ key, n }))).flat();
    await enqueueAll(first, ORDERED.name, payloads);
    await first.work(ORDERED.name, handler);
    await second.work(ORDERED.name, handler);

    await waitUntil('every job done', () => done.length === payloads.length, { timeoutMs: 20_000 });
    expect(overlaps).toBe(0);
    for (const key of keys) expect(done.filter((job) => job.key === key).map((job) => job.n)).toEqual([...Array(10).keys()]);
    // The key is stored as an HMAC: the email is nowhere in the job rows.
    const rows = await db.$queryRaw<{ row: string }[]>`SELECT row_to_json(job)::text AS row FROM pgboss.job WHERE name = ${ORDERED.name}`;
    expect(rows.map((row) => row.row).join('\n')).not.toMatch(/"singleton_key":"[^"]*@/);
  });

  it('holds a key’s later jobs back while its earlier one waits for a retry, and not other keys’ jobs', async () => {
    const events: string[] = [];
    const handler: JobHandler<KeyedJob> = async (job, info) => {
      const name = `${job.key}${job.n}`;
      if (name === 'a0' && info.attempt === 1) {
        events.push('a0 failed');
        throw new Error('first attempt fails');
      }
      events.push(`${name} done`);
    };
    const jobs = await startJobs(ORDERED);
    await enqueueAll(jobs, ORDERED.name, [
      { key: 'a', n: 0 },
      { key: 'a', n: 1 },
      { key: 'b', n: 0 },
    ]);
    await jobs.work(ORDERED.name, handler);

    await waitUntil('every job done', () => events.length === 4, { timeoutMs: 20_000 });
    // a1 waited for a0's retry (2 s later); b0 did not.
    expect(events.slice(0, 2).sort()).toEqual(['a0 failed', 'b0 done']);
    expect(events.slice(2)).toEqual(['a0 done', 'a1 done']);
  });
});

describe('a queue that gains an order', () => {
  const NAME = 'test.reordered';

  it('keeps its policy while it holds jobs, running one at a time, and is recreated ordered once empty', async () => {
    const earlier = await startJobs({ name: NAME });
    await enqueueAll(earlier, NAME, [{ key: 'a', n: 0 }]);
    await earlier.stop();
    expect(await policyOf(NAME)).toBe('standard');

    const warnings: string[] = [];
    const logger: Logger = { ...silent, warn: (_details, message) => warnings.push(message) };
    const done: KeyedJob[] = [];
    const meanwhile = await startJobs({ name: NAME, orderBy: 'key' }, logger);
    expect(await policyOf(NAME)).toBe('standard');
    expect(warnings.some((message) => message.includes('keeps its earlier policy'))).toBe(true);
    await enqueueAll(meanwhile, NAME, [{ key: 'a', n: 1 }]);
    await meanwhile.work<KeyedJob>(NAME, async (job) => {
      done.push(job);
    });
    await waitUntil('both jobs done', () => done.length === 2, { timeoutMs: 20_000 });
    expect(done.map((job) => job.n)).toEqual([0, 1]);
    await meanwhile.stop();

    await startJobs({ name: NAME, orderBy: 'key' });
    expect(await policyOf(NAME)).toBe('key_strict_fifo');
  });
});
