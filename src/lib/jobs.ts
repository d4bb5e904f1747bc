// Background jobs on pg-boss in the application's database: mail is enqueued inside the caller's
// transaction, stored encrypted, and retried with backoff until the SMTP server accepts it.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { fromPrisma, PgBoss, type Job, type JobResult } from 'pg-boss';
import type { DbClient } from './db.ts';
import { deriveKey } from './keys.ts';
import type { Logger, Mailer, MailMessage } from './mailer.ts';

export const MAIL_QUEUE = 'mail';

export interface MailRetryPolicy {
  /** Attempts after the first one before the job is failed for good. */
  limit: number;
  /** First delay in seconds; it doubles (with jitter) on every retry... */
  delaySeconds: number;
  /** ...up to this many seconds. */
  maxDelaySeconds: number;
}

export interface JobsOptions {
  databaseUrl: string;
  poolSize: number;
  secretKey: string;
  logger: Logger;
  /** How often an idle worker asks for jobs (pg-boss accepts >= 0.5). */
  pollingIntervalSeconds?: number;
  mailRetry?: MailRetryPolicy;
  /** How long stop() waits for mails being sent before giving up on them (they are retried later). */
  stopTimeoutMs?: number;
}

export interface Jobs {
  /** Installs or migrates the `pgboss` schema and the mail queue; needed before enqueueing. */
  start(): Promise<void>;
  /** Stops fetching, waits for in-flight jobs (up to the timeout) and closes the pool. */
  stop(): Promise<void>;
  /** Adds a mail job through `tx`: it exists only if that transaction commits. Returns the job id. */
  enqueueMail(tx: DbClient, message: MailMessage): Promise<string>;
  /** Starts delivering queued mail through `mailer` in this process. */
  workMail(mailer: Mailer): Promise<void>;
}

// Roughly 5-6 hours of attempts (after about 5 s, 10 s, 20 s ... then every 15 minutes) ride out
// an SMTP outage of an afternoon; after that the job fails and the failure is logged.
const DEFAULT_MAIL_RETRY: MailRetryPolicy = { limit: 30, delaySeconds: 5, maxDelaySeconds: 900 };

// Finished mail jobs (completed or failed) are deleted an hour later: even encrypted, OTP mail
// has no reason to stay. Maintenance must run often enough for that hour to mean something.
const MAIL_DELETE_AFTER_SECONDS = 3600;
const MAINTENANCE_INTERVAL_SECONDS = 300;
// A send takes seconds (SMTP timeouts are 10 s); a job active for longer belongs to a crashed
// worker and is handed out again.
const MAIL_EXPIRE_SECONDS = 120;
const MAIL_BATCH_SIZE = 5;

interface EncryptedPayload {
  v: 1;
  iv: string;
  data: string;
  tag: string;
}

export function createJobs(options: JobsOptions): Jobs {
  const { logger } = options;
  const retry = options.mailRetry ?? DEFAULT_MAIL_RETRY;
  const key = deriveKey(options.secretKey, 'mail-payload');
  const boss = new PgBoss({
    connectionString: options.databaseUrl,
    max: options.poolSize,
    schema: 'pgboss',
    application_name: 'clinic-api-jobs',
    maintenanceIntervalSeconds: MAINTENANCE_INTERVAL_SECONDS,
  });
  // An 'error' event without a listener would crash the process; pg-boss reports and recovers.
  boss.on('error', (error) => logger.error({ err: error }, 'pg-boss error'));

  const queueOptions = {
    retryLimit: retry.limit,
    retryDelay: retry.delaySeconds,
    retryBackoff: true,
    retryDelayMax: retry.maxDelaySeconds,
    expireInSeconds: MAIL_EXPIRE_SECONDS,
    deleteAfterSeconds: MAIL_DELETE_AFTER_SECONDS,
  };

  async function deliver(mailer: Mailer, job: Job<EncryptedPayload>): Promise<JobResult> {
    let message: MailMessage;
    try {
      message = decrypt(key, job.data);
    } catch {
      // Another SECRET_KEY or a damaged row: no retry can ever read it.
      logger.error({ jobId: job.id }, 'mail job payload cannot be decrypted; dropping it');
      return { id: job.id, status: 'deadletter', output: { error: 'payload cannot be decrypted' } };
    }
    try {
      await mailer.send(message);
      logger.info({ jobId: job.id, to: message.to }, 'mail delivered');
      return { id: job.id, status: 'completed' };
    } catch (error) {
      const { code, responseCode, text } = describeSendError(error);
      // A recipient the server refuses for good (5xx on RCPT) will be refused on every retry too.
      const permanent = code === 'EENVELOPE' && responseCode !== undefined && responseCode >= 500;
      const details = { jobId: job.id, to: message.to, code, responseCode, error: text };
      if (permanent) logger.error(details, 'mail rejected by the SMTP server; not retrying');
      else logger.warn(details, 'mail delivery failed; it will be retried');
      return { id: job.id, status: permanent ? 'deadletter' : 'failed', output: { code, responseCode, error: text } };
    }
  }

  return {
    async start() {
      await boss.start();
      // createQueue keeps an existing queue's options, so updateQueue applies changed ones.
      await boss.createQueue(MAIL_QUEUE, queueOptions);
      await boss.updateQueue(MAIL_QUEUE, queueOptions);
    },

    async stop() {
      await boss.stop({ graceful: true, close: true, timeout: options.stopTimeoutMs ?? 15_000 });
    },

    async enqueueMail(tx, message) {
      const id = await boss.send(MAIL_QUEUE, encrypt(key, message), { db: fromPrisma(tx) });
      // A standard queue always inserts; throwing keeps the caller's change from committing mail-less.
      if (!id) throw new Error('pg-boss did not create the mail job');
      return id;
    },

    async workMail(mailer) {
      await boss.work<EncryptedPayload>(
        MAIL_QUEUE,
        {
          batchSize: MAIL_BATCH_SIZE,
          perJobResults: true,
          pollingIntervalSeconds: options.pollingIntervalSeconds ?? 2,
        },
        (jobs) => Promise.all(jobs.map((job) => deliver(mailer, job))),
      );
    },
  };
}

// AES-256-GCM with a random IV per message: OTP codes must not sit in clear in pgboss.job.
function encrypt(key: Buffer, message: MailMessage): EncryptedPayload {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(MAIL_QUEUE));
  const data = Buffer.concat([cipher.update(JSON.stringify(message), 'utf8'), cipher.final()]);
  return { v: 1, iv: iv.toString('base64'), data: data.toString('base64'), tag: cipher.getAuthTag().toString('base64') };
}

function decrypt(key: Buffer, payload: EncryptedPayload): MailMessage {
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(payload.iv, 'base64'));
  decipher.setAAD(Buffer.from(MAIL_QUEUE));
  decipher.setAuthTag(Buffer.from(payload.tag, 'base64'));
  const text = Buffer.concat([decipher.update(Buffer.from(payload.data, 'base64')), decipher.final()]).toString('utf8');
  return JSON.parse(text) as MailMessage;
}

// nodemailer errors carry `code` (ECONNECTION, EAUTH, EENVELOPE...) and the SMTP `responseCode`.
function describeSendError(error: unknown): { code: string | undefined; responseCode: number | undefined; text: string } {
  const fields = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; responseCode?: unknown };
  return {
    code: typeof fields.code === 'string' ? fields.code : undefined,
    responseCode: typeof fields.responseCode === 'number' ? fields.responseCode : undefined,
    text: error instanceof Error ? error.message : String(error),
  };
}
