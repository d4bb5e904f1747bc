// The SMS queue: every text message is a job enqueued in the transaction of the change that
// causes it, stored encrypted (a number, maybe a code), retried with backoff until the provider
// accepts it, and enqueued at most once per idempotency key.
import type { DbClient } from './db.ts';
import type { JobHandler, Jobs, QueueSpec } from './jobs.ts';
import type { Logger } from './mailer.ts';
import { smsDeliveries } from './metrics.ts';
import type { SmsMessage, SmsSender } from './sms.ts';

export const SMS_QUEUE: QueueSpec = {
  name: 'sms',
  encrypted: true,
  // Like mail: about 5 s, 10 s, 20 s ... then every 15 minutes, for some hours of provider outage.
  retry: { limit: 25, delaySeconds: 5, maxDelaySeconds: 900 },
  // A send takes at most 10 s: a job still active after this belonged to a worker that died.
  expireInSeconds: 30,
  batchSize: 25,
  concurrency: 2,
  parallel: true,
  // Kept a day after it finished: the window in which the same idempotency key enqueues nothing.
  deleteAfterSeconds: 24 * 3600,
};

/**
 * Enqueues `message` through `tx` (sent only if that transaction commits). A message whose
 * idempotency key was enqueued before is not enqueued again: answers false then.
 */
export async function enqueueSms(jobs: Pick<Jobs, 'enqueue'>, tx: DbClient, message: SmsMessage): Promise<boolean> {
  const id = await jobs.enqueue(tx, SMS_QUEUE.name, message, { onceKey: message.idempotencyKey });
  return id !== null;
}

/** Sends one queued message. Logs the job id, attempt and provider, never the number or the text. */
export function smsHandler(sender: SmsSender, logger: Logger): JobHandler<SmsMessage> {
  const { provider } = sender;
  return async (message, job) => {
    try {
      await sender.send(message);
    } catch (error) {
      smsDeliveries.inc({ provider, result: 'failed' });
      throw error;
    }
    smsDeliveries.inc({ provider, result: 'sent' });
    logger.info({ jobId: job.id, attempt: job.attempt, provider }, 'sms delivered');
  };
}
