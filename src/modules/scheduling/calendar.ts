// What every writer of a doctor's calendar shares: the calendar lock and the caller's profiles.
import type { Actor, TxContext } from '../../lib/context.ts';
import type { DbClient } from '../../lib/db.ts';
import { lockKey } from '../../lib/locks.ts';
import { noDoctorProfile, noPatientProfile } from './scheduling.errors.ts';

/**
 * The doctor's calendar lock: bookings, holds, reschedules and sweeps of one doctor's calendar
 * run one at a time, so checks made under it (free slots, live holds) stay true until commit.
 */
export const lockCalendar = (tx: TxContext, doctorId: string) => lockKey(tx.db, 'appointments', doctorId);

export async function patientIdOf(db: DbClient, actor: Actor): Promise<string> {
  const patient = await db.patient.findUnique({ where: { userId: actor.userId }, select: { id: true } });
  if (!patient) throw noPatientProfile();
  return patient.id;
}

export async function doctorIdOf(db: DbClient, actor: Actor): Promise<string> {
  const doctor = await db.doctor.findUnique({ where: { userId: actor.userId }, select: { id: true } });
  if (!doctor) throw noDoctorProfile();
  return doctor.id;
}

/** The read-cache reference (lib/cache.ts) of one doctor's free slots. */
export const freeSlotsCacheRef = (doctorId: string) => `free-slots:${doctorId}`;

/**
 * A write changed what the doctors' free slots are (a booking, a status change, a hold, a window,
 * time off, rules, the doctor's profile): their cached free slots are invalidated after the commit.
 */
export const freeSlotsChanged = (ctx: Pick<TxContext, 'cache'>, ...doctorIds: string[]) => ctx.cache.invalidate(doctorIds.map(freeSlotsCacheRef));
