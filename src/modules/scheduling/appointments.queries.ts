// SQL of appointments: an appointment is built as JSON by the database, so one statement answers
// a whole page (with counts, parties and status history); and the row locks of the workflow.
import { Prisma } from '../../generated/prisma/client.ts';
import type { DbClient } from '../../lib/db.ts';
import type { AppointmentOut, AppointmentStatus } from './appointments.schemas.ts';

const iso = (column: Prisma.Sql) => Prisma.sql`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * Who made a status change (`h`), as `{role, id, firstName, lastName}`: the appointment's own
 * patient or doctor with their profile id, the system (no user) for sweeps, or anyone else (an
 * admin) by their account.
 */
const CHANGED_BY = Prisma.sql`CASE
    WHEN h.changed_by_id IS NULL THEN json_build_object('role', 'system', 'id', NULL, 'firstName', NULL, 'lastName', NULL)
    WHEN h.changed_by_id = pu.id THEN json_build_object('role', 'patient', 'id', p.id, 'firstName', pu.first_name, 'lastName', pu.last_name)
    WHEN h.changed_by_id = du.id THEN json_build_object('role', 'doctor', 'id', d.id, 'firstName', du.first_name, 'lastName', du.last_name)
    ELSE (SELECT json_build_object('role', u.role,
                   'id', CASE u.role WHEN 'doctor' THEN (SELECT od.id FROM doctors od WHERE od.user_id = u.id)
                                     WHEN 'patient' THEN (SELECT op.id FROM patients op WHERE op.user_id = u.id)
                                     ELSE u.id END,
                   'firstName', u.first_name, 'lastName', u.last_name)
            FROM users u WHERE u.id = h.changed_by_id)
  END`;

const APPOINTMENT_JSON = Prisma.sql`json_build_object(
  'id', a.id,
  'patient', json_build_object('id', p.id, 'firstName', pu.first_name, 'lastName', pu.last_name, 'email', pu.email),
  'doctor', json_build_object('id', d.id, 'firstName', du.first_name, 'lastName', du.last_name),
  'startsAt', ${iso(Prisma.sql`a.starts_at`)},
  'endsAt', ${iso(Prisma.sql`a.ends_at`)},
  'type', a.type,
  'reason', a.reason,
  'status', a.status,
  'statusHistory', COALESCE((
    SELECT json_agg(json_build_object('status', h.status, 'at', ${iso(Prisma.sql`h.at`)}, 'by', ${CHANGED_BY}, 'note', h.note)
                    ORDER BY h.at, h.id)
      FROM appointment_status_history h WHERE h.appointment_id = a.id), '[]'::json),
  'rescheduledFromId', a.rescheduled_from_id,
  'rescheduledToId', (SELECT n.id FROM appointments n WHERE n.rescheduled_from_id = a.id),
  'lateCancel', a.late_cancel,
  'createdAt', ${iso(Prisma.sql`a.created_at`)})`;

const JOINS = Prisma.sql`
  JOIN patients p ON p.id = a.patient_id JOIN users pu ON pu.id = p.user_id
  JOIN doctors d ON d.id = a.doctor_id JOIN users du ON du.id = d.user_id`;

/** Whose appointments: the patient's or the doctor's, by the caller's user id. */
export type Owner = { patientUserId: string } | { doctorUserId: string };

const ownerCondition = (owner: Owner) =>
  'patientUserId' in owner
    ? Prisma.sql`a.patient_id = (SELECT id FROM patients WHERE user_id = ${owner.patientUserId}::uuid)`
    : Prisma.sql`a.doctor_id = (SELECT id FROM doctors WHERE user_id = ${owner.doctorUserId}::uuid)`;

/** One appointment as the API answers it, if `owner` may see it. */
export async function findAppointment(db: DbClient, id: string, owner?: Owner): Promise<AppointmentOut | undefined> {
  const rows = await db.$queryRaw<{ appointment: AppointmentOut }[]>`
    SELECT ${APPOINTMENT_JSON} AS appointment FROM appointments a ${JOINS}
     WHERE a.id = ${id}::uuid AND ${owner ? ownerCondition(owner) : Prisma.sql`TRUE`}`;
  return rows[0]?.appointment;
}

export interface ListFilter {
  statuses: AppointmentStatus[] | undefined;
  from: Date | undefined;
  /** Exclusive. */
  to: Date | undefined;
  skip: number;
  take: number;
  /** Only this patient's (profile id). */
  patientId?: string | undefined;
  /** Only this doctor's (profile id). */
  doctorId?: string | undefined;
}

/** A page of the owner's appointments (everyone's without one), by start time, and the total count: one statement. */
export async function listAppointments(db: DbClient, owner: Owner | undefined, filter: ListFilter): Promise<{ count: number; results: AppointmentOut[] }> {
  const conditions = [owner ? ownerCondition(owner) : Prisma.sql`TRUE`];
  if (filter.patientId) conditions.push(Prisma.sql`a.patient_id = ${filter.patientId}::uuid`);
  if (filter.doctorId) conditions.push(Prisma.sql`a.doctor_id = ${filter.doctorId}::uuid`);
  if (filter.statuses) conditions.push(Prisma.sql`a.status::text IN (${Prisma.join(filter.statuses)})`);
  if (filter.from) conditions.push(Prisma.sql`a.starts_at >= ${filter.from}`);
  if (filter.to) conditions.push(Prisma.sql`a.starts_at < ${filter.to}`);
  const rows = await db.$queryRaw<{ count: number; results: AppointmentOut[] }[]>`
    WITH filtered AS (
      SELECT a.id, a.starts_at FROM appointments a WHERE ${Prisma.join(conditions, ' AND ')}
    ), page AS (
      SELECT id FROM filtered ORDER BY starts_at, id LIMIT ${filter.take} OFFSET ${filter.skip}
    )
    SELECT (SELECT count(*)::int FROM filtered) AS count,
           COALESCE((SELECT json_agg(${APPOINTMENT_JSON} ORDER BY a.starts_at, a.id)
                       FROM page JOIN appointments a ON a.id = page.id ${JOINS}), '[]'::json) AS results`;
  return rows[0] ?? { count: 0, results: [] };
}

/** An appointment locked for a status change. */
export interface LockedAppointment {
  id: string;
  doctorId: string;
  status: AppointmentStatus;
  startsAt: Date;
  endsAt: Date;
}

/** Locks the appointment row if `owner` may see it (FOR UPDATE), for the rest of the transaction. */
export async function lockAppointment(tx: DbClient, id: string, owner: Owner): Promise<LockedAppointment | undefined> {
  const rows = await tx.$queryRaw<LockedAppointment[]>`
    SELECT a.id::text AS id, a.doctor_id::text AS "doctorId", a.status::text AS status, a.starts_at AS "startsAt", a.ends_at AS "endsAt" FROM appointments a
     WHERE a.id = ${id}::uuid AND ${ownerCondition(owner)} FOR UPDATE OF a`;
  return rows[0];
}

/** Locks the doctor's active appointments that start after `now`, by start time. */
export function lockUpcomingOfDoctor(tx: DbClient, doctorId: string, statuses: readonly AppointmentStatus[], now: Date): Promise<LockedAppointment[]> {
  return tx.$queryRaw<LockedAppointment[]>`
    SELECT id::text AS id, doctor_id::text AS "doctorId", status::text AS status, starts_at AS "startsAt", ends_at AS "endsAt" FROM appointments
     WHERE doctor_id = ${doctorId}::uuid AND status::text = ANY(${[...statuses]}::text[]) AND starts_at > ${now}
     ORDER BY starts_at FOR UPDATE`;
}

/** The appointment's status and start, locked: what a reminder re-checks when it is due. */
export async function lockForReminder(tx: DbClient, id: string): Promise<{ status: AppointmentStatus; startsAt: Date } | undefined> {
  const rows = await tx.$queryRaw<{ status: AppointmentStatus; startsAt: Date }[]>`
    SELECT status::text AS status, starts_at AS "startsAt" FROM appointments WHERE id = ${id}::uuid FOR UPDATE`;
  return rows[0];
}

/** What the per-patient caps count: requested and upcoming (pending or confirmed, not started) appointments, with one doctor and in all. */
export interface PatientLoad {
  requestedWithDoctor: number;
  requested: number;
  upcomingWithDoctor: number;
  upcoming: number;
}

export async function patientLoad(db: DbClient, patientId: string, doctorId: string, now: Date): Promise<PatientLoad> {
  const rows = await db.$queryRaw<PatientLoad[]>`
    SELECT count(*) FILTER (WHERE status = 'requested' AND doctor_id = ${doctorId}::uuid)::int AS "requestedWithDoctor",
           count(*) FILTER (WHERE status = 'requested')::int AS "requested",
           count(*) FILTER (WHERE status IN ('pending', 'confirmed') AND starts_at > ${now} AND doctor_id = ${doctorId}::uuid)::int AS "upcomingWithDoctor",
           count(*) FILTER (WHERE status IN ('pending', 'confirmed') AND starts_at > ${now})::int AS "upcoming"
      FROM appointments WHERE patient_id = ${patientId}::uuid AND status IN ('requested', 'pending', 'confirmed')`;
  return rows[0]!;
}

/** The first appointment of the reschedule chain `id` belongs to, and how many reschedules the chain has had. */
export async function seriesOf(db: DbClient, id: string): Promise<{ seriesId: string; reschedules: number }> {
  const rows = await db.$queryRaw<{ seriesId: string; reschedules: number }[]>`
    SELECT COALESCE(a.series_id, a.id)::text AS "seriesId",
           (SELECT count(*)::int FROM appointments s WHERE s.series_id = COALESCE(a.series_id, a.id)) AS reschedules
      FROM appointments a WHERE a.id = ${id}::uuid`;
  return rows[0]!;
}
