// SQL of slot holds. Every statement compares `expires_at` with the caller's clock, so an
// expired hold blocks nothing whether or not it has been deleted yet. A patient's own hold has no
// `waitlist_entry_id`; a waitlist offer held for them has one and is reached only through the
// waitlist (accept, decline), never as "their hold" here.
import type { DbClient } from '../../lib/db.ts';

export interface HoldRow {
  id: string;
  doctorId: string;
  startsAt: Date;
  endsAt: Date;
  expiresAt: Date;
}

/** A padded span to compare holds with: the appointment or slot and its buffers. */
export interface PaddedSpan {
  startsAt: Date;
  endsAt: Date;
  bufferBeforeMinutes: number;
  bufferAfterMinutes: number;
}

/** Deletes the doctor's expired holds (run under the calendar lock before a hold is written: the exclusion constraint cannot see the clock). */
export function deleteExpiredOfDoctor(db: DbClient, doctorId: string, now: Date): Promise<number> {
  return db.$executeRaw`DELETE FROM slot_holds WHERE doctor_id = ${doctorId}::uuid AND expires_at <= ${now}`;
}

/** Deletes every expired hold: the tidy-up job. */
export function deleteExpired(db: DbClient, now: Date): Promise<number> {
  return db.$executeRaw`DELETE FROM slot_holds WHERE expires_at <= ${now}`;
}

/** The patient's live hold with this id. */
export async function findLive(db: DbClient, id: string, patientId: string, now: Date): Promise<HoldRow | undefined> {
  const rows = await db.$queryRaw<HoldRow[]>`
    SELECT id::text AS id, doctor_id::text AS "doctorId", starts_at AS "startsAt", ends_at AS "endsAt", expires_at AS "expiresAt"
      FROM slot_holds WHERE id = ${id}::uuid AND patient_id = ${patientId}::uuid AND waitlist_entry_id IS NULL AND expires_at > ${now}`;
  return rows[0];
}

/** Deletes the patient's live hold with this id and answers it, or undefined when there was none. */
export async function deleteLive(db: DbClient, id: string, patientId: string, now: Date): Promise<HoldRow | undefined> {
  const rows = await db.$queryRaw<HoldRow[]>`
    DELETE FROM slot_holds WHERE id = ${id}::uuid AND patient_id = ${patientId}::uuid AND waitlist_entry_id IS NULL AND expires_at > ${now}
    RETURNING id::text AS id, doctor_id::text AS "doctorId", starts_at AS "startsAt", ends_at AS "endsAt", expires_at AS "expiresAt"`;
  return rows[0];
}

/** Deletes the patient's own hold, live or not (a new hold replaces it), and answers it if there was one. */
export async function deleteOwn(db: DbClient, patientId: string): Promise<HoldRow | undefined> {
  const rows = await db.$queryRaw<HoldRow[]>`
    DELETE FROM slot_holds WHERE patient_id = ${patientId}::uuid AND waitlist_entry_id IS NULL
    RETURNING id::text AS id, doctor_id::text AS "doctorId", starts_at AS "startsAt", ends_at AS "endsAt", expires_at AS "expiresAt"`;
  return rows[0];
}

/** Whether a live hold of the doctor held by someone other than `patientId` overlaps `span` (both padded). */
export async function othersHoldOverlaps(db: DbClient, doctorId: string, patientId: string, span: PaddedSpan, now: Date): Promise<boolean> {
  const rows = await db.$queryRaw<{ found: boolean }[]>`
    SELECT EXISTS (
      SELECT 1 FROM slot_holds
       WHERE doctor_id = ${doctorId}::uuid AND patient_id <> ${patientId}::uuid AND expires_at > ${now}
         AND padded_range(starts_at, ends_at, buffer_before_minutes, buffer_after_minutes)
             && padded_range(${span.startsAt}::timestamptz, ${span.endsAt}::timestamptz, ${span.bufferBeforeMinutes}::int, ${span.bufferAfterMinutes}::int)
    ) AS found`;
  return rows[0]!.found;
}
