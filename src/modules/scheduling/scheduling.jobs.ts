// Background work of the scheduling module: the reminders before a confirmed appointment,
// the hourly purge of expired idempotency keys, the tidy-up of expired slot holds (which block
// nothing already: the job only keeps the table small), the waitlist's offers of freed time and of
// lapsed offers, the tidy-up of waiting list entries whose dates have passed, and the no-show
// sweep every minute.
import type { QueueSpec } from '../../lib/jobs.ts';
import { purgeExpiredIdempotencyKeys } from '../../lib/idempotency.ts';
import type { ModuleJob } from '../module.ts';
import { REMINDER_QUEUE, sendReminder, type ReminderJob } from './appointments.mails.ts';
import { purgeExpiredHolds } from './holds.service.ts';
import { sweepNoShows } from './noshows.service.ts';
import { WAITLIST_OFFER_QUEUE, type FreedTimeJob } from './waitlist.freed.ts';
import { expireOffer, offerFreedTime, WAITLIST_EXPIRY_QUEUE, type OfferLapsedJob } from './waitlist.offers.ts';
import { expirePastEntries } from './waitlist.service.ts';

export const SCHEDULING_QUEUES = {
  reminder: { name: REMINDER_QUEUE },
  purgeIdempotencyKeys: { name: 'appointments.purge-idempotency-keys', cron: '23 * * * *' },
  purgeExpiredHolds: { name: 'appointments.purge-expired-holds', cron: '*/15 * * * *' },
  // One short transaction each: a worker that dies mid-job hands it on within a minute.
  waitlistOffer: { name: WAITLIST_OFFER_QUEUE, expireInSeconds: 30 },
  waitlistExpiry: { name: WAITLIST_EXPIRY_QUEUE, expireInSeconds: 30 },
  expirePastWaitlistEntries: { name: 'waitlist.expire-past-entries', cron: '*/15 * * * *' },
  // A failed run is not retried (the next minute's marks what is overdue by then); 1,440 runs a day are kept an hour, not a week.
  sweepNoShows: { name: 'appointments.sweep-no-shows', cron: '* * * * *', retry: { limit: 0, delaySeconds: 10, maxDelaySeconds: 10 }, deleteAfterSeconds: 3600 },
} as const satisfies Record<string, QueueSpec>;

export const schedulingJobs: ModuleJob[] = [
  {
    queue: SCHEDULING_QUEUES.reminder,
    handle: async (ctx, job: ReminderJob) => {
      const sent = await sendReminder(ctx, job);
      ctx.logger.info({ appointmentId: job.appointmentId, hours: job.hours, channel: job.channel, sent }, sent ? 'appointment reminder queued' : 'appointment reminder skipped');
    },
  },
  {
    queue: SCHEDULING_QUEUES.purgeIdempotencyKeys,
    handle: async (ctx) => {
      const count = await purgeExpiredIdempotencyKeys(ctx.db, ctx.clock.now());
      if (count > 0) ctx.logger.info({ count }, 'deleted expired idempotency keys');
    },
  },
  {
    queue: SCHEDULING_QUEUES.purgeExpiredHolds,
    handle: async (ctx) => {
      const count = await purgeExpiredHolds(ctx);
      if (count > 0) ctx.logger.info({ count }, 'deleted expired slot holds');
    },
  },
  {
    queue: SCHEDULING_QUEUES.waitlistOffer,
    handle: async (ctx, job: FreedTimeJob) => {
      const offers = await offerFreedTime(ctx, job);
      if (offers > 0) ctx.logger.info({ doctorId: job.doctorId, offers }, 'waitlist offers made');
    },
  },
  {
    queue: SCHEDULING_QUEUES.waitlistExpiry,
    handle: async (ctx, job: OfferLapsedJob) => {
      if (await expireOffer(ctx, job)) ctx.logger.info({ entryId: job.entryId }, 'waitlist offer lapsed');
    },
  },
  {
    queue: SCHEDULING_QUEUES.expirePastWaitlistEntries,
    handle: async (ctx) => {
      const count = await expirePastEntries(ctx);
      if (count > 0) ctx.logger.info({ count }, 'waiting list entries past their dates expired');
    },
  },
  {
    queue: SCHEDULING_QUEUES.sweepNoShows,
    handle: async (ctx) => {
      const marked = await sweepNoShows(ctx);
      if (marked.length > 0) ctx.logger.info({ count: marked.length }, 'marked overdue appointments no_show');
    },
  },
];
