// SQL of the waitlist: entries of a patient, the next entry in line for a freed slot, and the
// locks every change of an entry takes (the doctor's calendar lock first, then the entry's row).
import { Prisma } from '../../generated/prisma/client.ts';
import type { DbClient } from '../../lib/db.ts';
import type { EntryOut, WaitlistStatus } from './waitlist.schemas.ts';

export interface EntryRow {
  id: string;
  patientId: string;
  doctorId: string;
  from: string;
  to: string;
  status: WaitlistStatus;
  offerHoldId: string | null;
  offerStartsAt: Date | null;
  offerEndsAt: Date | null;
  offerExpiresAt: Date | null;
  createdAt: Date;
}

const COLUMNS = Prisma.sql`e.id::text AS id, e.patient_id::text AS "patientId", e.doctor_id::text AS "doctorId",
  to_char(e.from_date, 'YYYY-MM-DD') AS "from", to_char(e.to_date, 'YYYY-MM-DD') AS "to", e.status::text AS status,
  e.offer_hold_id::text AS "offerHoldId", e.offer_starts_at AS "offerStartsAt", e.offer_ends_at AS "offerEndsAt",
  e.offer_expires_at AS "offerExpiresAt", e.created_at AS "createdAt"`;

export function toEntry(row: EntryRow): EntryOut {
  const offered = row.status === 'offered';
  return {
    id: row.id,
    doctorId: row.doctorId,
    from: row.from,
    to: row.to,
    status: row.status,
    offer: offered
      ? { holdId: row.offerHoldId!, startsAt: row.offerStartsAt!.toISOString(), endsAt: row.offerEndsAt!.toISOString(), expiresAt: row.offerExpiresAt!.toISOString() }
      : null,
    createdAt: row.createdAt.toISOString(),
  };
}

/** A page of the patient's entries, newest first, and how many they have. */
export async function listOfPatient(db: DbClient, patientId: string, window: { skip: number; take: number }): Promise<{ count: number; results: EntryOut[] }> {
  const [rows, [total]] = await Promise.all([
    db.$queryRaw<EntryRow[]>`
      SELECT ${COLUMNS} FROM waitlist_entries e WHERE e.patient_id = ${patientId}::uuid
       ORDER BY e.created_at DESC, e.id DESC OFFSET ${window.skip} LIMIT ${window.take}`,
    db.$queryRaw<{ count: number }[]>`SELECT count(*)::int AS count FROM waitlist_entries WHERE patient_id = ${patientId}::uuid`,
  ]);
  return { count: total!.count, results: rows.map(toEntry) };
}

/** The entry, if `patientId` owns it (any entry when null), locked for the rest of the transaction. */
export async function lockEntry(db: DbClient, id: string, patientId: string | null): Promise<EntryRow | undefined> {
  const rows = await db.$queryRaw<EntryRow[]>`
    SELECT ${COLUMNS} FROM waitlist_entries e
     WHERE e.id = ${id}::uuid AND (${patientId}::uuid IS NULL OR e.patient_id = ${patientId}::uuid) FOR UPDATE`;
  return rows[0];
}

export async function findEntry(db: DbClient, id: string): Promise<EntryRow | undefined> {
  const rows = await db.$queryRaw<EntryRow[]>`SELECT ${COLUMNS} FROM waitlist_entries e WHERE e.id = ${id}::uuid`;
  return rows[0];
}

/** Whether the entry's last date is past in its doctor's time zone (`e` joined with its doctor `d`). */
const datesPassed = (now: Date) => Prisma.sql`e.to_date < (${now}::timestamptz AT TIME ZONE d.timezone)::date`;

/** How many entries the patient has waiting or offered (the cap counts them), leaving out waiting ones whose dates have passed. */
export async function openCount(db: DbClient, patientId: string, now: Date): Promise<number> {
  const [row] = await db.$queryRaw<{ count: number }[]>`
    SELECT count(*)::int AS count FROM waitlist_entries e JOIN doctors d ON d.id = e.doctor_id
     WHERE e.patient_id = ${patientId}::uuid AND (e.status = 'offered' OR (e.status = 'waiting' AND NOT ${datesPassed(now)}))`;
  return row!.count;
}

/** Waiting entries whose dates have passed become `expired`; answers how many. */
export function expirePast(db: DbClient, now: Date): Promise<number> {
  return db.$executeRaw`
    UPDATE waitlist_entries e SET status = 'expired', updated_at = ${now}
      FROM doctors d WHERE d.id = e.doctor_id AND e.status = 'waiting' AND ${datesPassed(now)}`;
}

/** Whether the doctor has a waiting entry whose dates meet `from`..`to` (local dates). */
export async function anyWaiting(db: DbClient, doctorId: string, from: string, to: string): Promise<boolean> {
  const [row] = await db.$queryRaw<{ found: boolean }[]>`
    SELECT EXISTS (SELECT 1 FROM waitlist_entries WHERE doctor_id = ${doctorId}::uuid AND status = 'waiting'
                      AND from_date <= ${to}::date AND to_date >= ${from}::date) AS found`;
  return row!.found;
}

/**
 * The oldest waiting entry of the doctor covering the local date `date`, locked, leaving out an
 * entry whose last offer was this very slot (it declined it or let it lapse: the slot passes on).
 */
export async function lockNextInLine(db: DbClient, doctorId: string, date: string, startsAt: Date): Promise<EntryRow | undefined> {
  const rows = await db.$queryRaw<EntryRow[]>`
    SELECT ${COLUMNS} FROM waitlist_entries e
     WHERE e.doctor_id = ${doctorId}::uuid AND e.status = 'waiting' AND e.from_date <= ${date}::date AND e.to_date >= ${date}::date
       AND e.offer_starts_at IS DISTINCT FROM ${startsAt}::timestamptz
     ORDER BY e.created_at, e.id LIMIT 1 FOR UPDATE`;
  return rows[0];
}

/** Whether a live hold of the doctor (anyone's) overlaps the padded span. */
export async function liveHoldOverlaps(
  db: DbClient,
  doctorId: string,
  span: { startsAt: Date; endsAt: Date; bufferBeforeMinutes: number; bufferAfterMinutes: number },
  now: Date,
): Promise<boolean> {
  const [row] = await db.$queryRaw<{ found: boolean }[]>`
    SELECT EXISTS (
      SELECT 1 FROM slot_holds
       WHERE doctor_id = ${doctorId}::uuid AND expires_at > ${now}
         AND padded_range(starts_at, ends_at, buffer_before_minutes, buffer_after_minutes)
             && padded_range(${span.startsAt}::timestamptz, ${span.endsAt}::timestamptz, ${span.bufferBeforeMinutes}::int, ${span.bufferAfterMinutes}::int)
    ) AS found`;
  return row!.found;
}
