// SQL of availability: windows are read and written here (times as `HH:MM` text, so
// `24:00` survives), and the free-slot inputs are one statement.
import { Prisma } from '../../generated/prisma/client.ts';
import { queryPrepared, type DbClient, type PreparedStatement } from '../../lib/db.ts';
import type { TimeSpan, WeeklyWindow } from './availability.slots.ts';
import type { WindowOut } from './availability.schemas.ts';

const WINDOW_COLUMNS = Prisma.sql`
  id::text AS "id", doctor_id::text AS "doctorId", weekday::int AS "weekday",
  to_char(start_time, 'HH24:MI') AS "startTime", to_char(end_time, 'HH24:MI') AS "endTime",
  slot_minutes::int AS "slotMinutes",
  to_char(valid_from, 'YYYY-MM-DD') AS "validFrom", to_char(valid_until, 'YYYY-MM-DD') AS "validUntil"`;

export interface WindowValues {
  weekday: number;
  startTime: string;
  endTime: string;
  slotMinutes: number;
  validFrom: string | null;
  validUntil: string | null;
}

export function listWindows(db: DbClient, doctorId: string): Promise<WindowOut[]> {
  return db.$queryRaw<WindowOut[]>`
    SELECT ${WINDOW_COLUMNS} FROM available_times
     WHERE doctor_id = ${doctorId}::uuid
     ORDER BY weekday, start_time, valid_from NULLS FIRST`;
}

export async function findWindow(db: DbClient, id: string): Promise<WindowOut | undefined> {
  const rows = await db.$queryRaw<WindowOut[]>`SELECT ${WINDOW_COLUMNS} FROM available_times WHERE id = ${id}::uuid`;
  return rows[0];
}

export async function insertWindow(db: DbClient, id: string, doctorId: string, values: WindowValues, now: Date): Promise<WindowOut> {
  const rows = await db.$queryRaw<WindowOut[]>`
    INSERT INTO available_times (id, doctor_id, weekday, start_time, end_time, slot_minutes, valid_from, valid_until, created_at, updated_at)
    VALUES (${id}::uuid, ${doctorId}::uuid, ${values.weekday}::smallint, ${values.startTime}::time, ${values.endTime}::time,
            ${values.slotMinutes}::smallint, ${values.validFrom}::date, ${values.validUntil}::date, ${now}, ${now})
    RETURNING ${WINDOW_COLUMNS}`;
  return rows[0]!;
}

export async function updateWindow(db: DbClient, id: string, values: WindowValues, now: Date): Promise<WindowOut | undefined> {
  const rows = await db.$queryRaw<WindowOut[]>`
    UPDATE available_times
       SET weekday = ${values.weekday}::smallint, start_time = ${values.startTime}::time, end_time = ${values.endTime}::time,
           slot_minutes = ${values.slotMinutes}::smallint, valid_from = ${values.validFrom}::date,
           valid_until = ${values.validUntil}::date, updated_at = ${now}
     WHERE id = ${id}::uuid
    RETURNING ${WINDOW_COLUMNS}`;
  return rows[0];
}

/** The booking rules that shape the free slots (doctor_booking_rules; defaults without a row). */
export interface SlotRules {
  bufferBeforeMinutes: number;
  bufferAfterMinutes: number;
  minNoticeMinutes: number;
  horizonDays: number | null;
}

export interface SlotInputs extends SlotRules {
  timezone: string;
  acceptingPatients: boolean;
  windows: WeeklyWindow[];
  /** Busy time: appointments with the buffers they were booked with, live holds, and time off. */
  busy: TimeSpan[];
  /** When the first of the live holds among `busy` lapses (its time is free again then), if any. */
  holdsLapseAt: Date | null;
}

interface SlotInputsRow extends SlotRules {
  doctorId: string;
  timezone: string;
  acceptingPatients: boolean;
  windows: WeeklyWindow[];
  busy: [number, number][];
  holdsLapseAt: Date | null;
}

/**
 * Everything the free slots of `from`..`to` (local dates) need, in one statement: the doctor's
 * zone, flag and rules, the windows valid in that range, and the busy spans (pending and
 * confirmed appointments and live holds with their buffers, and time off; `requested`
 * appointments hold no time). The zone is not known before the statement runs, so busy time
 * is read over the UTC dates from-1 .. to+1, which covers those local dates in every zone
 * (offsets stay within ±14 h, buffers within 4 h); spans outside the range remove no slot.
 * Undefined when the doctor does not exist.
 */
export async function slotInputs(db: DbClient, doctorId: string, from: string, to: string, now: Date): Promise<SlotInputs | undefined> {
  return (await slotInputsOfMany(db, [doctorId], from, to, now)).get(doctorId);
}

/**
 * The statement of slotInputsOfMany: $1 and $2 the local dates from and to, $3 now, $4 the
 * doctor ids. Prepared: free slots are the busiest public read, and Prisma's own work on a raw
 * statement's answer costs more than the statement.
 */
const SLOT_INPUTS: PreparedStatement = {
  name: 'slot_inputs',
  text: `
    WITH bounds AS (
      SELECT ($1::date - 1)::timestamp AT TIME ZONE 'UTC' AS lo, ($2::date + 2)::timestamp AT TIME ZONE 'UTC' AS hi
    )
    SELECT d.id::text AS "doctorId", d.timezone AS "timezone", d.accepting_patients AS "acceptingPatients",
      COALESCE(r.buffer_before_minutes, 0)::int AS "bufferBeforeMinutes", COALESCE(r.buffer_after_minutes, 0)::int AS "bufferAfterMinutes",
      COALESCE(r.min_notice_minutes, 0)::int AS "minNoticeMinutes", r.horizon_days::int AS "horizonDays",
      COALESCE((
        SELECT json_agg(json_build_object(
                 'weekday', w.weekday, 'startTime', to_char(w.start_time, 'HH24:MI'), 'endTime', to_char(w.end_time, 'HH24:MI'),
                 'slotMinutes', w.slot_minutes, 'validFrom', to_char(w.valid_from, 'YYYY-MM-DD'),
                 'validUntil', to_char(w.valid_until, 'YYYY-MM-DD')))
          FROM available_times w
         WHERE w.doctor_id = d.id
           AND (w.valid_from IS NULL OR w.valid_from <= $2::date)
           AND (w.valid_until IS NULL OR w.valid_until >= $1::date)
      ), '[]'::json) AS "windows",
      COALESCE((
        SELECT json_agg(json_build_array(extract(epoch FROM b.s) * 1000, extract(epoch FROM b.e) * 1000))
          FROM (
            SELECT lower(o.span) AS s, upper(o.span) AS e
              FROM appointments a, bounds,
                   LATERAL (SELECT padded_range(a.starts_at, a.ends_at, a.buffer_before_minutes, a.buffer_after_minutes) AS span) o
             WHERE a.doctor_id = d.id AND a.status IN ('pending', 'confirmed')
               AND o.span && tstzrange(bounds.lo, bounds.hi)
            UNION ALL
            SELECT lower(o.span), upper(o.span)
              FROM slot_holds h, bounds,
                   LATERAL (SELECT padded_range(h.starts_at, h.ends_at, h.buffer_before_minutes, h.buffer_after_minutes) AS span) o
             WHERE h.doctor_id = d.id AND h.expires_at > $3::timestamptz AND o.span && tstzrange(bounds.lo, bounds.hi)
            UNION ALL
            SELECT t.starts_at, t.ends_at FROM doctor_time_off t, bounds
             WHERE t.doctor_id = d.id AND t.starts_at < bounds.hi AND t.ends_at > bounds.lo
          ) b
      ), '[]'::json) AS "busy",
      (SELECT min(h.expires_at) FROM slot_holds h, bounds
        WHERE h.doctor_id = d.id AND h.expires_at > $3::timestamptz
          AND padded_range(h.starts_at, h.ends_at, h.buffer_before_minutes, h.buffer_after_minutes) && tstzrange(bounds.lo, bounds.hi)) AS "holdsLapseAt"
    FROM doctors d LEFT JOIN doctor_booking_rules r ON r.doctor_id = d.id
    WHERE d.id = ANY($4::uuid[]) AND d.deleted_at IS NULL`,
};

/** slotInputs for several doctors in the same one statement, by doctor id (existing, not deleted ones only). */
export async function slotInputsOfMany(db: DbClient, doctorIds: readonly string[], from: string, to: string, now: Date): Promise<Map<string, SlotInputs>> {
  if (doctorIds.length === 0) return new Map();
  const rows = await queryPrepared<SlotInputsRow>(db, SLOT_INPUTS, [from, to, now, [...doctorIds]]);
  return new Map(
    rows.map((row) => [
      row.doctorId,
      {
        timezone: row.timezone,
        acceptingPatients: row.acceptingPatients,
        bufferBeforeMinutes: row.bufferBeforeMinutes,
        bufferAfterMinutes: row.bufferAfterMinutes,
        minNoticeMinutes: row.minNoticeMinutes,
        horizonDays: row.horizonDays,
        windows: row.windows,
        busy: row.busy.map(([start, end]) => ({ startsAt: new Date(Number(start)), endsAt: new Date(Number(end)) })),
        holdsLapseAt: row.holdsLapseAt,
      },
    ]),
  );
}

export interface TimeOffRow {
  id: string;
  doctorId: string;
  startsAt: Date;
  endsAt: Date;
  reason: string;
  conflictingAppointmentIds: string[];
}

/** Time off of a doctor (or one block), each with the active appointments inside it. */
export function timeOffRows(db: DbClient, doctorId: string, id?: string): Promise<TimeOffRow[]> {
  return db.$queryRaw<TimeOffRow[]>`
    SELECT t.id::text AS "id", t.doctor_id::text AS "doctorId", t.starts_at AS "startsAt", t.ends_at AS "endsAt", t.reason,
      ARRAY(SELECT a.id::text FROM appointments a
             WHERE a.doctor_id = t.doctor_id AND a.status IN ('requested', 'pending', 'confirmed')
               AND a.starts_at < t.ends_at AND a.ends_at > t.starts_at
             ORDER BY a.starts_at, a.id) AS "conflictingAppointmentIds"
      FROM doctor_time_off t
     WHERE t.doctor_id = ${doctorId}::uuid AND (${id ?? null}::uuid IS NULL OR t.id = ${id ?? null}::uuid)
     ORDER BY t.starts_at, t.id`;
}

/** Deletes the time off and answers its span, if it was there. */
export async function deleteTimeOff(db: DbClient, id: string): Promise<TimeSpan | undefined> {
  const rows = await db.$queryRaw<TimeSpan[]>`DELETE FROM doctor_time_off WHERE id = ${id}::uuid RETURNING starts_at AS "startsAt", ends_at AS "endsAt"`;
  return rows[0];
}
