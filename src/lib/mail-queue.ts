// The mail queue: every e-mail is a job enqueued in the transaction of the change that causes
// it, stored encrypted (it may hold an OTP), and retried with backoff until SMTP accepts it.
import type { DbClient } from './db.ts';
import { PermanentJobError, type JobHandler, type Jobs, type QueueSpec } from './jobs.ts';
import type { Logger, Mailer, MailMessage } from './mailer.ts';
import { mailDeliveries } from './metrics.ts';

export const MAIL_QUEUE: QueueSpec = {
  name: 'mail',
  encrypted: true,
  // Roughly 5-6 hours of attempts (after about 5 s, 10 s, 20 s ... then every 15 minutes) ride
  // out an SMTP outage of an afternoon; after that the job fails and the failure is logged.
  retry: { limit: 30, delaySeconds: 5, maxDelaySeconds: 900 },
  // A send takes seconds (SMTP timeouts are 10 s): a job still active after this belonged to a
  // worker that died, maybe after the server accepted the mail, and is sent again (same Message-ID).
  expireInSeconds: 30,
  // Sending is waiting on the SMTP server: up to 4 batches of 25 at once per worker process.
  batchSize: 25,
  concurrency: 4,
  parallel: true,
  // Even encrypted, OTP mail has no reason to stay once sent.
  deleteAfterSeconds: 3600,
};

/** Enqueues `message` through `tx`: it is sent only if that transaction commits. */
export async function enqueueMail(jobs: Pick<Jobs, 'enqueue'>, tx: DbClient, message: MailMessage): Promise<string> {
  const id = await jobs.enqueue(tx, MAIL_QUEUE.name, message);
  // A standard queue always inserts; throwing keeps the caller's change from committing mail-less.
  if (!id) throw new Error('pg-boss did not create the mail job');
  return id;
}

/** Delivers one queued mail, its Message-ID made from the job id. Logs the job id and attempt, never the recipient. */
export function mailHandler(mailer: Mailer, logger: Logger): JobHandler<MailMessage> {
  return async (message, job) => {
    try {
      await mailer.send(message, job.id);
      mailDeliveries.inc({ result: 'sent' });
      logger.info({ jobId: job.id, attempt: job.attempt }, 'mail delivered');
    } catch (error) {
      mailDeliveries.inc({ result: 'failed' });
      const { code, responseCode } = describeSendError(error);
      // A recipient the server refuses for good (5xx on RCPT) will be refused on every retry too.
      if (code === 'EENVELOPE' && responseCode !== undefined && responseCode >= 500) {
        throw new PermanentJobError(`mail rejected by the SMTP server (${responseCode})`);
      }
      throw error;
    }
  };
}

// nodemailer errors carry `code` (ECONNECTION, EAUTH, EENVELOPE...) and the SMTP `responseCode`.
function describeSendError(error: unknown): { code: string | undefined; responseCode: number | undefined } {
  const fields = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; responseCode?: unknown };
  return {
    code: typeof fields.code === 'string' ? fields.code : undefined,
    responseCode: typeof fields.responseCode === 'number' ? fields.responseCode : undefined,
  };
}
