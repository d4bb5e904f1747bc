// Time that leaves a doctor's calendar (a cancellation, a reschedule away, deleted time off, a
// released or lapsing hold) is announced to the waitlist by a job enqueued in the transaction that
// frees it, so a crash between the two loses nothing; the job offers the freed slots
// (waitlist.offers.ts). Kept apart from the offers so every writer of the calendar can import it.
import type { TxContext } from '../../lib/context.ts';
import type { TimeSpan } from './availability.slots.ts';

export const WAITLIST_OFFER_QUEUE = 'waitlist.offer-freed-time';

export interface FreedTimeJob {
  doctorId: string;
  startsAt: string;
  endsAt: string;
}

/** Enqueues the offer of `span` to the doctor's waitlist; `at` delays it (a hold freeing its slot when it lapses). */
export async function announceFreedTime(tx: Pick<TxContext, 'db' | 'jobs'>, doctorId: string, span: TimeSpan, at?: Date): Promise<void> {
  const job: FreedTimeJob = { doctorId, startsAt: span.startsAt.toISOString(), endsAt: span.endsAt.toISOString() };
  await tx.jobs.enqueue(tx.db, WAITLIST_OFFER_QUEUE, job, at ? { startAfter: at } : {});
}
