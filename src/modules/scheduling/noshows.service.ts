// No-shows: the sweep that marks confirmed appointments nobody closed once the doctor's grace
// period is over (doctors with `autoNoShow`), the doctor's 24-hour correction window, and the
// counts behind `noShowCount` and `confirmAfterNoShows`.
import { inTransaction, type ServiceContext, type TxContext } from '../../lib/context.ts';
import type { DbClient } from '../../lib/db.ts';
import { notifyParty } from './appointments.mails.ts';
import { freeSlotsChanged } from './calendar.ts';
import * as appointments from './appointments.queries.ts';
import * as queries from './noshows.queries.ts';
import type { AppointmentEvent } from './appointments.schemas.ts';
import type { BookingRules } from './rules.schemas.ts';
import { invalidTransition } from './scheduling.errors.ts';

/**
 * Appointments one sweep transaction marks at most: each costs a mail and its events in that
 * transaction, which holds the audit chain's head, so a backlog (a doctor turning `autoNoShow` on)
 * goes in short transactions one after another instead of one long one.
 */
const SWEEP_BATCH = 50;
/**
 * The sweep looks at appointments that started this long ago at most: a worker that was down for
 * days still catches up, but the confirmed appointments nobody closed before that (a doctor
 * turning `autoNoShow` on, years of them) stay as they are instead of becoming no-shows mailed
 * about today, counted against patients, and scanned by every sweep until done.
 */
export const NO_SHOW_LOOKBACK_MS = 7 * 24 * 3600 * 1000;
/** How long after being marked a no-show may still be corrected to `completed`. */
export const NO_SHOW_CORRECTION_MS = 24 * 3600 * 1000;

/**
 * Marks every overdue confirmed appointment of doctors with `autoNoShow` that started within
 * NO_SHOW_LOOKBACK_MS as `no_show`, by the system, in batches of one statement for all doctors.
 * In each batch's transaction the patient is mailed and `appointment.status_changed` is published
 * for the batch (audit, webhooks). Safe to run on several instances at once. Answers the ids it marked.
 */
export async function sweepNoShows(ctx: ServiceContext): Promise<string[]> {
  const marked: string[] = [];
  for (;;) {
    const batch = await inTransaction(ctx, async (tx) => {
      const now = tx.clock.now();
      const ids = await queries.markOverdueNoShows(tx.db, { now, startedSince: new Date(now.getTime() - NO_SHOW_LOOKBACK_MS), limit: SWEEP_BATCH });
      for (const id of ids) await notifyParty(tx, { appointmentId: id, recipient: 'patient' });
      const changes: AppointmentEvent[] = [];
      for (const id of ids) {
        const appointment = (await appointments.findAppointment(tx.db, id))!;
        // A no-show holds no time: free slots in its buffer after it come back.
        await freeSlotsChanged(tx, appointment.doctor.id);
        changes.push({ appointment, actor: null, previousStatus: 'confirmed' });
      }
      // Events last and all at once: the audit subscriber appends the batch in one statement,
      // which locks the chain's head until commit.
      await tx.events.publishAll(tx, 'appointment.status_changed', changes);
      return ids;
    });
    marked.push(...batch);
    if (batch.length < SWEEP_BATCH) return marked;
  }
}

/** Refuses correcting a no-show to `completed` more than 24 hours after it was marked (422 invalid_transition). */
export async function checkNoShowCorrection(tx: TxContext, appointmentId: string): Promise<void> {
  const markedAt = await queries.markedNoShowAt(tx.db, appointmentId);
  if (!markedAt || tx.clock.now().getTime() - markedAt.getTime() > NO_SHOW_CORRECTION_MS) {
    throw invalidTransition('no_show', 'completed', 'A no-show can be corrected to completed only within 24 hours of being marked.');
  }
}

/** Whether the patient's no-shows with the doctor reach the doctor's `confirmAfterNoShows`: their bookings then wait for the doctor. */
export async function needsConfirmation(db: DbClient, rules: Pick<BookingRules, 'confirmAfterNoShows'>, input: { patientId: string; doctorId: string }): Promise<boolean> {
  if (rules.confirmAfterNoShows === null) return false;
  return (await queries.noShowsWithDoctor(db, input.patientId, input.doctorId)) >= rules.confirmAfterNoShows;
}

/** How many `no_show` appointments each patient has, with every doctor (0 for none), by patient profile id. */
export async function noShowCountsOf(ctx: Pick<ServiceContext, 'db'>, patientIds: readonly string[]): Promise<Map<string, number>> {
  const counts = await queries.noShowCounts(ctx.db, patientIds);
  return new Map(patientIds.map((id) => [id, counts.get(id) ?? 0]));
}
