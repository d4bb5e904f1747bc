// Background jobs on pg-boss in the application's database. Queues are declared once (name,
// retry policy, encryption, optional schedule); jobs are enqueued inside the caller's
// transaction so they exist only if it commits; handlers are attached with work().
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { fromPrisma, PgBoss, type Job, type JobResult, type SendOptions } from 'pg-boss';
import type { DbClient } from './db.ts';
import { deriveKey } from './keys.ts';
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
  /** Jobs a worker fetches and runs at once (default 5); 1 keeps a worker's jobs in order. */
  batchSize?: number;
}

/** Runs one job; throwing retries it, throwing PermanentJobError gives up at once. */
export type JobHandler<T = unknown> = (payload: T, job: { id: string }) => Promise<void>;

/** A failure no retry can fix (a payload that cannot be read, a recipient refused for good). */
export class PermanentJobError extends Error {
  override name = 'PermanentJobError';
}

export interface EnqueueOptions {
  /** Not before this instant (reminders). */
  startAfter?: Date;
  /** At most one queued job with this key: a second enqueue is a no-op. */
  singletonKey?: string;
}

export interface JobsOptions {
  databaseUrl: string;
  poolSize: number;
  secretKey: string;
  logger: Logger;
  queues: readonly QueueSpec[];
  /** Overrides per queue name, e.g. a short retry policy in tests. */
  retryOverrides?: Record<string, RetryPolicy>;
  /** How often an idle worker asks for jobs (pg-boss accepts >= 0.5). */
  pollingIntervalSeconds?: number;
  /** How long stop() waits for jobs in flight before giving up on them (they are retried later). */
  stopTimeoutMs?: number;
}

export interface Jobs {
  /** Installs or migrates the `pgboss` schema, the queues and their schedules. */
  start(): Promise<void>;
  /** Stops fetching, waits for in-flight jobs (up to the timeout) and closes the pool. */
  stop(): Promise<void>;
  /**
   * Adds a job through `tx`: it exists only if that transaction commits. Returns the job id, or
   * null when a job with the same singleton key is already queued.
   */
  enqueue(tx: DbClient, queue: string, payload: object, options?: EnqueueOptions): Promise<string | null>;
  /** Starts processing `queue` with `handler` in this process. */
  work<T>(queue: string, handler: JobHandler<T>): Promise<void>;
}

const DEFAULT_RETRY: RetryPolicy = { limit: 5, delaySeconds: 10, maxDelaySeconds: 600 };
const DEFAULT_EXPIRE_SECONDS = 120;
const DEFAULT_DELETE_AFTER_SECONDS = 7 * 24 * 3600;
const MAINTENANCE_INTERVAL_SECONDS = 300;
const BATCH_SIZE = 5;

interface EncryptedPayload {
  v: 1;
  iv: string;
  data: string;
  tag: string;
}

export function createJobs(options: JobsOptions): Jobs {
  const { logger } = options;
  const key = deriveKey(options.secretKey, 'mail-payload');
  const specs = new Map(options.queues.map((spec) => [spec.name, spec]));
  const boss = new PgBoss({
    connectionString: options.databaseUrl,
    max: options.poolSize,
    schema: 'pgboss',
    application_name: 'clinic-api-jobs',
    maintenanceIntervalSeconds: MAINTENANCE_INTERVAL_SECONDS,
  });
  // An 'error' event without a listener would crash the process; pg-boss reports and recovers.
  boss.on('error', (error) => logger.error({ err: error }, 'pg-boss error'));

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
    };
  }

  async function run<T>(spec: QueueSpec, handler: JobHandler<T>, job: Job<unknown>): Promise<JobResult> {
    try {
      const payload = (spec.encrypted ? decrypt(key, spec.name, job.data as EncryptedPayload) : job.data) as T;
      await handler(payload, { id: job.id });
      return { id: job.id, status: 'completed' };
    } catch (error) {
      const permanent = error instanceof PermanentJobError || error instanceof DecryptError;
      const text = error instanceof Error ? error.message : String(error);
      const details = { jobId: job.id, queue: spec.name, error: text };
      if (permanent) logger.error(details, 'job failed for good; not retrying');
      else logger.warn(details, 'job failed; it will be retried');
      return { id: job.id, status: permanent ? 'deadletter' : 'failed', output: { error: text } };
    }
  }

  return {
    async start() {
      await boss.start();
      for (const spec of specs.values()) {
        // createQueue keeps an existing queue's options, so updateQueue applies changed ones.
        await boss.createQueue(spec.name, queueOptions(spec));
        await boss.updateQueue(spec.name, queueOptions(spec));
        if (spec.cron) await boss.schedule(spec.name, spec.cron, {});
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
      return boss.send(queue, data, sendOptions);
    },

    async work<T>(queue: string, handler: JobHandler<T>) {
      const spec = specOf(queue);
      await boss.work(
        queue,
        { batchSize: spec.batchSize ?? BATCH_SIZE, perJobResults: true, pollingIntervalSeconds: options.pollingIntervalSeconds ?? 2 },
        (jobs) => Promise.all(jobs.map((job) => run(spec, handler, job))),
      );
    },
  };
}

class DecryptError extends Error {}

// AES-256-GCM with a random IV per payload, bound to its queue by the additional data.
function encrypt(key: Buffer, queue: string, payload: object): EncryptedPayload {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(queue));
  const data = Buffer.concat([cipher.update(JSON.stringify(payload), 'utf8'), cipher.final()]);
  return { v: 1, iv: iv.toString('base64'), data: data.toString('base64'), tag: cipher.getAuthTag().toString('base64') };
}

function decrypt(key: Buffer, queue: string, payload: EncryptedPayload): unknown {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(payload.iv, 'base64'));
    decipher.setAAD(Buffer.from(queue));
    decipher.setAuthTag(Buffer.from(payload.tag, 'base64'));
    const text = Buffer.concat([decipher.update(Buffer.from(payload.data, 'base64')), decipher.final()]).toString('utf8');
    return JSON.parse(text) as unknown;
  } catch {
    // Another SECRET_KEY or a damaged row: no retry can ever read it.
    throw new DecryptError('payload cannot be decrypted');
  }
}
