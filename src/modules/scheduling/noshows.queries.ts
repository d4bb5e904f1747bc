// SQL of no-shows: the sweep that marks overdue confirmed appointments of doctors with
// `autoNoShow` (one statement for every doctor), and the no-show counts of patients.
import type { DbClient } from '../../lib/db.ts';

/**
 * Marks at most `limit` appointments `no_show`, oldest first: those started since `startedSince`
 * and still `confirmed` `noShowGraceMinutes` after their start, of doctors with `autoNoShow`,
 * each with a history row by the system (no user). Answers their ids. One statement for all
 * doctors: rows another sweep has locked are skipped, and a row it has already marked is no
 * longer `confirmed` when this one gets to it, so concurrent sweeps (other instances) mark each
 * appointment once.
 */
export async function markOverdueNoShows(tx: DbClient, input: { now: Date; startedSince: Date; limit: number }): Promise<string[]> {
  const { now, startedSince, limit } = input;
  const rows = await tx.$queryRaw<{ id: string }[]>`
    WITH due AS (
      SELECT a.id FROM appointments a
        JOIN doctor_booking_rules r ON r.doctor_id = a.doctor_id AND r.auto_no_show
       WHERE a.status = 'confirmed' AND a.starts_at >= ${startedSince}::timestamptz
         AND a.starts_at <= ${now}::timestamptz - make_interval(mins => r.no_show_grace_minutes)
       ORDER BY a.starts_at, a.id
       LIMIT ${limit}
         FOR UPDATE OF a SKIP LOCKED
    ), marked AS (
      UPDATE appointments a SET status = 'no_show', updated_at = ${now}
        FROM due WHERE a.id = due.id AND a.status = 'confirmed'
      RETURNING a.id
    ), history AS (
      INSERT INTO appointment_status_history (id, appointment_id, status, changed_by_id, note, at)
      SELECT gen_random_uuid(), marked.id, 'no_show', NULL, NULL, ${now} FROM marked
    )
    SELECT id::text AS id FROM marked`;
  return rows.map((row) => row.id);
}

/** When the appointment last became `no_show` (undefined if it never did). */
export async function markedNoShowAt(tx: DbClient, appointmentId: string): Promise<Date | undefined> {
  const rows = await tx.$queryRaw<{ at: Date | null }[]>`
    SELECT max(at) AS at FROM appointment_status_history WHERE appointment_id = ${appointmentId}::uuid AND status = 'no_show'`;
  return rows[0]?.at ?? undefined;
}

/** The patients' `no_show` appointments with every doctor, by patient profile id (absent: none). */
export async function noShowCounts(db: DbClient, patientIds: readonly string[]): Promise<Map<string, number>> {
  if (patientIds.length === 0) return new Map();
  const rows = await db.$queryRaw<{ patientId: string; count: number }[]>`
    SELECT patient_id::text AS "patientId", count(*)::int AS count FROM appointments
     WHERE patient_id = ANY(${[...patientIds]}::uuid[]) AND status = 'no_show'
     GROUP BY patient_id`;
  return new Map(rows.map((row) => [row.patientId, row.count]));
}

/** The patient's `no_show` appointments with one doctor. */
export async function noShowsWithDoctor(db: DbClient, patientId: string, doctorId: string): Promise<number> {
  const rows = await db.$queryRaw<{ count: number }[]>`
    SELECT count(*)::int AS count FROM appointments
     WHERE patient_id = ${patientId}::uuid AND doctor_id = ${doctorId}::uuid AND status = 'no_show'`;
  return rows[0]!.count;
}
