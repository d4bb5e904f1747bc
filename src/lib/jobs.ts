// Background jobs on pg-boss in the application's database. Queues are declared once (name,
// retry policy, encryption, optional schedule, per-key order); jobs are enqueued inside the
// caller's transaction so they exist only if it commits; handlers are attached with work().
// Workers wake on the enqueue's NOTIFY (LISTEN/NOTIFY), poll as well (a backstop), and fetch in
// batches with no pause while the batches come back full.
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { fromPrisma, PgBoss, type Job, type JobResult, type SendOptions } from 'pg-boss';
import type { DbClient } from './db.ts';
import { deriveKey } from './keys.ts';
import { containClientErrors } from './pg.ts';
import type { Logger } from './mailer.ts';

export interface RetryPolicy {
  /** Attempts after the first one before the job is failed for good. */
  limit: number;
  /** First delay in seconds; it doubles (with jitter) on every retry... */
  delaySeconds: number;
  /** ...up to this many seconds. */
  maxDelaySeconds: number;
}

export interface QueueSpec {
  name: string;
  /** The payload holds secrets (OTPs, personal data): stored AES-256-GCM encrypted. */
  encrypted?: boolean;
  retry?: RetryPolicy;
  /** A job active for longer belongs to a crashed worker and is handed out again. */
  expireInSeconds?: number;
  /** Finished jobs (completed or failed) are deleted this long after they finish. */
  deleteAfterSeconds?: number;
  /** Cron expression (UTC): pg-boss enqueues one job per occurrence, across all instances. */
  cron?: string;
  /** Jobs one fetch claims (default 50). */
  batchSize?: number;
  /** Fetch loops per process (default 1): how many batches of this queue run at once. */
  concurrency?: number;
  /**
   * Run a batch's jobs side by side, for jobs that wait on something else (an SMTP server).
   * Without it they run one after another: jobs that hold a connection of the process's database
   * pool, which the API shares, then take at most `concurrency` of them per queue.
   */
  parallel?: boolean;
  /**
   * A payload field (a string) whose jobs run one at a time and in the order they were enqueued,
   * across every worker (pg-boss's key_strict_fifo policy); jobs of different values run side by
   * side. The value is stored as an HMAC, never in clear. A job that fails for good holds its
   * value's later jobs back until it is deleted (deleteAfterSeconds after it failed).
   */
  orderBy?: string;
}

/** The job being run: its id, and its attempt (1 the first time, 2 on the first retry...). */
export interface JobInfo {
  id: string;
  attempt: number;
}

/** Runs one job; throwing retries it, throwing PermanentJobError gives up at once. */
export type JobHandler<T = unknown> = (payload: T, job: JobInfo) => Promise<void>;

/** A failure no retry can fix (a payload that cannot be read, a recipient refused for good). */
export class PermanentJobError extends Error {
  override name = 'PermanentJobError';
}

export interface EnqueueOptions {
  /** Not before this instant (reminders). */
  startAfter?: Date;
  /**
   * A key stored with the job (the record it is about). pg-boss does not refuse a second job with
   * the same key on these (standard) queues: a caller that must enqueue once sees to it itself.
   */
  singletonKey?: string;
  /**
   * Enqueue once: a second job of the queue with the same key is not created (enqueue answers
   * null) while the first is kept, i.e. until `deleteAfterSeconds` after it finished. The key
   * becomes the job's id (a keyed hash of it), so it is never stored in clear.
   */
  onceKey?: string;
}

export interface JobsOptions {
  databaseUrl: string;
  poolSize: number;
  secretKey: string;
  logger: Logger;
  queues: readonly QueueSpec[];
  /** Overrides per queue name, e.g. a short retry policy in tests. */
  retryOverrides?: Record<string, RetryPolicy>;
  /**
   * How often an idle worker asks for jobs (pg-boss accepts >= 0.5): what picks up a job when
   * no NOTIFY wakes the workers (LISTEN/NOTIFY off, its connection down or a notification lost),
   * and the longest a worker waits to try again after the database came back.
   */
  pollingIntervalSeconds?: number;
  /**
   * Wake the workers through LISTEN/NOTIFY the moment a job is committed (default true). It holds
   * one more connection and needs a session-pinned one: not through PgBouncer's transaction mode.
   */
  listenNotify?: boolean;
  /** How long stop() waits for jobs in flight before giving up on them (they are retried later). */
  stopTimeoutMs?: number;
}

export interface Jobs {
  /** Installs or migrates the `pgboss` schema, the queues and their schedules. */
  start(): Promise<void>;
  /** Stops fetching, waits for in-flight jobs (up to the timeout) and closes the pool. */
  stop(): Promise<void>;
  /**
   * Adds a job through `tx`: it exists only if that transaction commits. Returns the job id (null
   * only where a queue's policy refuses the job, which none of ours does).
   */
  enqueue(tx: DbClient, queue: string, payload: object, options?: EnqueueOptions): Promise<string | null>;
  /** Starts processing `queue` with `handler` in this process. */
  work<T>(queue: string, handler: JobHandler<T>): Promise<void>;
}

const DEFAULT_RETRY: RetryPolicy = { limit: 5, delaySeconds: 10, maxDelaySeconds: 600 };
const DEFAULT_EXPIRE_SECONDS = 120;
const DEFAULT_DELETE_AFTER_SECONDS = 7 * 24 * 3600;
const MAINTENANCE_INTERVAL_SECONDS = 300;
/**
 * How often expired jobs (their worker died) are handed out again, among pg-boss's other checks:
 * a job comes back within its expireInSeconds plus this.
 */
const MONITOR_INTERVAL_SECONDS = 10;
const DEFAULT_POLLING_INTERVAL_SECONDS = 2;
const DEFAULT_BATCH_SIZE = 50;
const DEFAULT_CONCURRENCY = 1;
const ORDERED_POLICY = 'key_strict_fifo';

export interface EncryptedPayload {
  v: 1;
  iv: string;
  data: string;
  tag: string;
}

export function createJobs(options: JobsOptions): Jobs {
  const { logger } = options;
  const key = deriveKey(options.secretKey, 'mail-payload');
  const orderKey = deriveKey(options.secretKey, 'job-order');
  const specs = new Map(options.queues.map((spec) => [spec.name, spec]));
  /** Ordered queues still holding jobs of their earlier, unordered policy: run one job at a time until they are recreated. */
  const awaitingOrder = new Set<string>();
  const nextOrderedId = orderedIds();
  containClientErrors();
  const boss = new PgBoss({
    connectionString: options.databaseUrl,
    max: options.poolSize,
    schema: 'pgboss',
    application_name: 'clinic-api-jobs',
    useListenNotify: options.listenNotify ?? true,
    maintenanceIntervalSeconds: MAINTENANCE_INTERVAL_SECONDS,
    superviseIntervalSeconds: MONITOR_INTERVAL_SECONDS,
    monitorIntervalSeconds: MONITOR_INTERVAL_SECONDS,
  });
  // An 'error' event without a listener would crash the process; pg-boss reports and recovers.
  boss.on('error', (error) => logger.error({ err: error }, 'pg-boss error'));
  // E.g. LISTEN/NOTIFY unavailable: polling alone then finds the jobs.
  boss.on('warning', (warning) => logger.warn({ warning: warning.message }, 'pg-boss warning'));

  const specOf = (queue: string): QueueSpec => {
    const spec = specs.get(queue);
    if (!spec) throw new Error(`unknown job queue "${queue}"`);
    return spec;
  };

  function queueOptions(spec: QueueSpec) {
    const retry = options.retryOverrides?.[spec.name] ?? spec.retry ?? DEFAULT_RETRY;
    return {
      retryLimit: retry.limit,
      retryDelay: retry.delaySeconds,
      retryBackoff: true,
      retryDelayMax: retry.maxDelaySeconds,
      expireInSeconds: spec.expireInSeconds ?? DEFAULT_EXPIRE_SECONDS,
      deleteAfterSeconds: spec.deleteAfterSeconds ?? DEFAULT_DELETE_AFTER_SECONDS,
      notify: true,
    };
  }

  const policyOf = (spec: QueueSpec) => (spec.orderBy ? ORDERED_POLICY : 'standard');

  /**
   * Creates the queue, or updates its options when they differ from `existing`'s (a restart with
   * unchanged queues writes nothing); a queue whose policy changed is recreated once it holds no job.
   */
  async function declareQueue(spec: QueueSpec, existing: Record<string, unknown> | undefined): Promise<void> {
    const settings = queueOptions(spec);
    if (existing && existing.policy !== policyOf(spec)) {
      // pg-boss cannot change a queue's policy, and deleting a queue deletes its jobs.
      const { rows } = await boss.getDb().executeSql("SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1 AND state < 'completed'", [spec.name]);
      const unfinished = (rows[0] as { n: number }).n;
      if (unfinished > 0) {
        awaitingOrder.add(spec.name);
        logger.warn({ queue: spec.name, unfinished }, 'queue keeps its earlier policy until its jobs are done: one job at a time until a restart finds it empty');
        await boss.updateQueue(spec.name, settings);
        return;
      }
      await boss.deleteQueue(spec.name);
      logger.info({ queue: spec.name, policy: policyOf(spec) }, 'queue recreated with its new policy');
    } else if (existing) {
      const changed = Object.entries(settings).some(([name, value]) => existing[name] !== value);
      if (changed) await boss.updateQueue(spec.name, settings);
      return;
    }
    await boss.createQueue(spec.name, { ...settings, policy: policyOf(spec) });
  }

  /** The key that orders a job of `queue` among the others: an HMAC of its payload's `field`. */
  function orderKeyOf(queue: string, field: string, payload: object): string {
    const value = (payload as Record<string, unknown>)[field];
    if (typeof value !== 'string') throw new Error(`a job of "${queue}" needs a string "${field}" to be ordered by`);
    return createHmac('sha256', orderKey).update(`${queue}\0${value}`).digest('base64url');
  }

  /** A UUID (v8 layout) made from an HMAC of the queue and key. */
  function onceIdOf(queue: string, onceKey: string): string {
    const bytes = createHmac('sha256', orderKey).update(`once\0${queue}\0${onceKey}`).digest().subarray(0, 16);
    bytes[6] = 0x80 | (bytes[6]! & 0x0f);
    bytes[8] = (bytes[8]! & 0x3f) | 0x80;
    const hex = bytes.toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  /** Makes this process's workers of `queue` fetch now rather than after their polling interval. */
  function wakeWorkers(queue: string): void {
    for (const worker of boss.getWipData()) if (worker.name === queue) boss.notifyWorker(worker.id);
  }

  async function run<T>(spec: QueueSpec, handler: JobHandler<T>, job: Job<unknown>): Promise<JobResult> {
    const attempt = job.retryCount + 1;
    try {
      const payload = (spec.encrypted ? decrypt(key, spec.name, job.data as EncryptedPayload) : job.data) as T;
      await handler(payload, { id: job.id, attempt });
      return { id: job.id, status: 'completed' };
    } catch (error) {
      const permanent = error instanceof PermanentJobError || error instanceof DecryptError;
      const text = error instanceof Error ? error.message : String(error);
      const details = { jobId: job.id, queue: spec.name, attempt, error: text };
      if (permanent) logger.error(details, 'job failed for good; not retrying');
      else logger.warn(details, 'job failed; it will be retried');
      return { id: job.id, status: permanent ? 'deadletter' : 'failed', output: { error: text } };
    }
  }

  return {
    async start() {
      await boss.start();
      // Two reads instead of a few per queue: start-up waits on every round trip.
      const queues = new Map((await boss.getQueues([...specs.keys()])).map((queue) => [queue.name, queue as unknown as Record<string, unknown>]));
      const crons = new Map((await boss.getSchedules()).map((schedule) => [schedule.name, schedule.cron]));
      for (const spec of specs.values()) {
        await declareQueue(spec, queues.get(spec.name));
        if (spec.cron && crons.get(spec.name) !== spec.cron) await boss.schedule(spec.name, spec.cron, {});
      }
    },

    async stop() {
      await boss.stop({ graceful: true, close: true, timeout: options.stopTimeoutMs ?? 15_000 });
    },

    async enqueue(tx, queue, payload, enqueueOptions = {}) {
      const spec = specOf(queue);
      const data = spec.encrypted ? encrypt(key, spec.name, payload) : payload;
      const sendOptions: SendOptions = { db: fromPrisma(tx) };
      if (enqueueOptions.startAfter) sendOptions.startAfter = enqueueOptions.startAfter;
      if (enqueueOptions.singletonKey) sendOptions.singletonKey = enqueueOptions.singletonKey;
      // pg-boss inserts with ON CONFLICT DO NOTHING: a job id that exists answers null.
      if (enqueueOptions.onceKey) sendOptions.id = onceIdOf(queue, enqueueOptions.onceKey);
      if (spec.orderBy) Object.assign(sendOptions, { singletonKey: orderKeyOf(queue, spec.orderBy, payload), id: nextOrderedId() });
      return boss.send(queue, data, sendOptions);
    },

    async work<T>(queue: string, handler: JobHandler<T>) {
      const spec = specOf(queue);
      const oneAtATime = awaitingOrder.has(queue);
      const pollingIntervalSeconds = options.pollingIntervalSeconds ?? DEFAULT_POLLING_INTERVAL_SECONDS;
      await boss.work(
        queue,
        {
          batchSize: oneAtATime ? 1 : (spec.batchSize ?? DEFAULT_BATCH_SIZE),
          localConcurrency: oneAtATime ? 1 : (spec.concurrency ?? DEFAULT_CONCURRENCY),
          // A full batch means more are waiting: fetch again at once instead of sleeping.
          burstWhenBatchFull: true,
          perJobResults: true,
          // The same with LISTEN/NOTIFY up: its listener reconnects with a backoff of up to 30 s
          // after an outage, while polling finds the jobs within an interval of the database's return.
          pollingIntervalSeconds,
          notifyPollingIntervalSeconds: pollingIntervalSeconds,
        },
        async (jobs) => {
          const results = spec.parallel ? await Promise.all(jobs.map((job) => run(spec, handler, job))) : await inTurn(jobs, (job) => run(spec, handler, job));
          // A finished job lets its key's next one run, and no NOTIFY says so: fetch again at once.
          if (spec.orderBy) wakeWorkers(queue);
          return results;
        },
      );
    },
  };
}

/**
 * UUIDv7 ids that sort in the order this process made them (a 12-bit counter within one
 * millisecond, RFC 9562 method 1). pg-boss breaks ties between a key's jobs by id, and jobs
 * enqueued in one transaction tie: their created_on is the transaction's start.
 */
function orderedIds(): () => string {
  let lastMs = 0;
  let counter = 0;
  return () => {
    const now = Date.now();
    if (now > lastMs) {
      lastMs = now;
      counter = 0;
    } else if (++counter > 0xfff) {
      lastMs += 1;
      counter = 0;
    }
    const bytes = randomBytes(16);
    bytes.writeUIntBE(lastMs, 0, 6);
    bytes[6] = 0x70 | (counter >> 8);
    bytes[7] = counter & 0xff;
    bytes[8] = (bytes[8]! & 0x3f) | 0x80;
    const hex = bytes.toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  };
}

async function inTurn<T, R>(items: readonly T[], step: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (const item of items) results.push(await step(item));
  return results;
}

class DecryptError extends Error {}

/**
 * AES-256-GCM with a random IV per payload, bound by the additional data to what it belongs to
 * (a job's queue, a row's id): decrypting it as anything else fails. Also used for secrets at rest.
 */
export function encrypt(key: Buffer, boundTo: string, payload: object): EncryptedPayload {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(boundTo));
  const data = Buffer.concat([cipher.update(JSON.stringify(payload), 'utf8'), cipher.final()]);
  return { v: 1, iv: iv.toString('base64'), data: data.toString('base64'), tag: cipher.getAuthTag().toString('base64') };
}

export function decrypt(key: Buffer, boundTo: string, payload: EncryptedPayload): unknown {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(payload.iv, 'base64'));
    decipher.setAAD(Buffer.from(boundTo));
    decipher.setAuthTag(Buffer.from(payload.tag, 'base64'));
    const text = Buffer.concat([decipher.update(Buffer.from(payload.data, 'base64')), decipher.final()]).toString('utf8');
    return JSON.parse(text) as unknown;
  } catch {
    // Another SECRET_KEY or a damaged row: no retry can ever read it.
    throw new DecryptError('payload cannot be decrypted');
  }
}
