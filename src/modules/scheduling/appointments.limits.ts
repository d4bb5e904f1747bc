// Per-patient caps on requests and bookings (API.md, "Requests and limits per patient"), so one
// patient can neither flood a doctor with requests nor fill a calendar with bookings.
import type { TxContext } from '../../lib/context.ts';
import { lockKey } from '../../lib/locks.ts';
import { patientLoad } from './appointments.queries.ts';
import { limitReached } from './scheduling.errors.ts';

export const PATIENT_LIMITS = {
  requestedPerDoctor: 3,
  requestedInAll: 10,
  upcomingPerDoctor: 5,
  upcomingInAll: 20,
} as const;

/**
 * Refuses (422 limit_reached) when the patient's appointments, counted with the one being made
 * in this transaction (and `adding` not yet written: a hold counts as the booking it leads to),
 * pass a cap. Callers write the appointment first, so a taken slot still
 * answers 409; the patient's advisory lock makes concurrent requests of one patient count one
 * after the other, so none slips past a cap. Taken after the doctor's calendar lock.
 */
export async function checkPatientLimits(
  tx: TxContext,
  input: { patientId: string; doctorId: string; kind: 'requested' | 'upcoming'; adding?: number },
): Promise<void> {
  await lockKey(tx.db, 'patient-appointments', input.patientId);
  const counted = await patientLoad(tx.db, input.patientId, input.doctorId, tx.clock.now());
  const adding = input.adding ?? 0;
  const load = {
    requestedWithDoctor: counted.requestedWithDoctor + adding,
    requested: counted.requested + adding,
    upcomingWithDoctor: counted.upcomingWithDoctor + adding,
    upcoming: counted.upcoming + adding,
  };
  if (input.kind === 'requested') {
    if (load.requestedWithDoctor > PATIENT_LIMITS.requestedPerDoctor) {
      throw limitReached(`You may have at most ${PATIENT_LIMITS.requestedPerDoctor} requested appointments with one doctor.`);
    }
    if (load.requested > PATIENT_LIMITS.requestedInAll) {
      throw limitReached(`You may have at most ${PATIENT_LIMITS.requestedInAll} requested appointments in all.`);
    }
    return;
  }
  if (load.upcomingWithDoctor > PATIENT_LIMITS.upcomingPerDoctor) {
    throw limitReached(`You may have at most ${PATIENT_LIMITS.upcomingPerDoctor} upcoming appointments with one doctor.`);
  }
  if (load.upcoming > PATIENT_LIMITS.upcomingInAll) {
    throw limitReached(`You may have at most ${PATIENT_LIMITS.upcomingInAll} upcoming appointments in all.`);
  }
}
