// Background work of the appointments module: the reminder 24 h before a confirmed appointment,
// and the hourly purge of expired idempotency keys.
import type { QueueSpec } from '../../lib/jobs.ts';
import { purgeExpiredIdempotencyKeys } from '../../plugins/idempotency.ts';
import type { ModuleJob } from '../module.ts';
import { REMINDER_QUEUE, sendReminder, type ReminderJob } from './appointments.mails.ts';

export const APPOINTMENT_QUEUES = {
  reminder: { name: REMINDER_QUEUE },
  purgeIdempotencyKeys: { name: 'appointments.purge-idempotency-keys', cron: '23 * * * *' },
} as const satisfies Record<string, QueueSpec>;

export const appointmentJobs: ModuleJob[] = [
  {
    queue: APPOINTMENT_QUEUES.reminder,
    handler: (deps) => async (job: ReminderJob) => {
      const sent = await sendReminder(deps, job);
      deps.logger.info({ appointmentId: job.appointmentId, sent }, sent ? 'appointment reminder queued' : 'appointment reminder skipped');
    },
  },
  {
    queue: APPOINTMENT_QUEUES.purgeIdempotencyKeys,
    handler: (deps) => async () => {
      const count = await purgeExpiredIdempotencyKeys(deps.db, deps.clock.now());
      if (count > 0) deps.logger.info({ count }, 'deleted expired idempotency keys');
    },
  },
];
