// Hot reads of patients in one SQL statement: the page and its total counted up to a cap, scoped to what the caller may see.
import { Prisma } from '../../generated/prisma/client.ts';
import type { DbClient } from '../../lib/db.ts';
import { containsPattern } from '../../lib/sql.ts';

/** A patient profile with its account's name and email, as the lists and records read it. */
export interface PatientRecord {
  id: string;
  user_id: string;
  email: string;
  first_name: string;
  last_name: string;
  date_of_birth: string | null;
  gender: string;
  phone: string | null;
  address: string | null;
  blood_group: string | null;
  emergency_contact: { name?: string; phone?: string; relationship?: string } | null;
  avatar_id: string | null;
  created_at: Date;
  updated_at: Date;
}

/** A row of a page: the record and the matches counted up to the cap plus one (more than the cap means "at least that many"). */
export interface PatientRow extends PatientRecord {
  total: number;
}

export interface PatientFilter {
  search?: string | undefined;
  /** Only the patients of this doctor at `at` (API.md, "A doctor's patients"). */
  treatedBy?: { doctorUserId: string; at: Date } | undefined;
  email?: string | undefined;
  id?: string | undefined;
  userId?: string | undefined;
}

/**
 * A doctor's patients: a `confirmed` or `completed` appointment together starting within the last
 * 365 days or the next 30. Cancelled, rejected, requested and pending ones grant nothing, so a
 * walk-in a doctor books and cancels is no way into a stranger's record.
 */
const TREATMENT_STATUSES = ['confirmed', 'completed'];
const TREATMENT_PAST = '365 days';
const TREATMENT_AHEAD = '30 days';

function whereOf(filter: PatientFilter): Prisma.Sql {
  // Erased accounts keep their (anonymised) profile row for the clinic's records, never for lists.
  const conditions: Prisma.Sql[] = [Prisma.sql`u.deleted_at IS NULL`];
  if (filter.email !== undefined) conditions.push(Prisma.sql`u.email = ${filter.email}`);
  if (filter.id !== undefined) conditions.push(Prisma.sql`p.id = ${filter.id}::uuid`);
  if (filter.userId !== undefined) conditions.push(Prisma.sql`p.user_id = ${filter.userId}::uuid`);
  if (filter.treatedBy !== undefined) {
    const { doctorUserId, at } = filter.treatedBy;
    conditions.push(Prisma.sql`EXISTS (SELECT 1 FROM appointments a JOIN doctors d ON d.id = a.doctor_id
                                        WHERE a.patient_id = p.id AND d.user_id = ${doctorUserId}::uuid
                                          AND a.status::text = ANY(${TREATMENT_STATUSES})
                                          AND a.starts_at >= ${at}::timestamptz - ${TREATMENT_PAST}::interval
                                          AND a.starts_at <= ${at}::timestamptz + ${TREATMENT_AHEAD}::interval)`);
  }
  if (filter.search) {
    const pattern = containsPattern(filter.search);
    conditions.push(Prisma.sql`(u.first_name ILIKE ${pattern} OR u.last_name ILIKE ${pattern} OR u.email ILIKE ${pattern})`);
  }
  return Prisma.sql`WHERE ${Prisma.join(conditions, ' AND ')}`;
}

/**
 * Counting stops here: a broad search on a large clinic would otherwise count (and sort) every
 * match on every page. Past it the answer's count is a lower bound (API.md, `countIsEstimate`).
 */
const COUNT_CAP = 10_000;
let countCap = COUNT_CAP;

/** The count cap in force; tests lower it with `setPatientCountCap` rather than insert 10,000 patients. */
export function patientCountCap(): number {
  return countCap;
}

/** Sets the count cap (tests only); no argument restores the default. */
export function setPatientCountCap(cap: number = COUNT_CAP): void {
  countCap = cap;
}

/** The columns of a PatientRecord, from `patients p` joined with `users u`. */
const RECORD_COLUMNS = Prisma.sql`p.id, p.user_id, u.email, u.first_name, u.last_name, to_char(p.date_of_birth, 'YYYY-MM-DD') AS date_of_birth,
           p.gender::text AS gender, p.phone, p.address, p.blood_group::text AS blood_group, p.emergency_contact,
           p.avatar_id, p.created_at, p.updated_at`;

/** The CTE `matched` (id and names of the filter's matches): see selectPatients for when it is materialized. */
function matchedOf(filter: PatientFilter): Prisma.Sql {
  const materialized = filter.search ? Prisma.sql`MATERIALIZED` : Prisma.sql`NOT MATERIALIZED`;
  return Prisma.sql`WITH matched AS ${materialized} (
      SELECT p.id, u.last_name, u.first_name FROM patients p JOIN users u ON u.id = p.user_id ${whereOf(filter)}
    )`;
}

/** The rows of `matched` counted up to the cap plus one. */
const CAPPED_COUNT = () => Prisma.sql`(SELECT count(*) FROM (SELECT 1 FROM matched LIMIT ${countCap + 1}) capped)::int`;

/**
 * A page of patients ordered by last then first name, each row carrying the matches counted up to
 * the cap plus one. A search reads its matches once (MATERIALIZED: the trigram indexes, OR'ed
 * into one bitmap) and both the count and the page's top-N sort take them from there; the
 * unfiltered list is left to the planner, which walks users_last_name_first_name_idx in order
 * for the page and stops counting at the cap. A search does not walk that index: its matches
 * cluster by last name, so a surname search would first filter every earlier surname (measured:
 * 40,000 rows before the first of 10,000 "Novak"s of 100,000 patients, slower than the bitmap).
 */
export function selectPatients(db: DbClient, filter: PatientFilter, window: { skip: number; take: number }): Promise<PatientRow[]> {
  return db.$queryRaw<PatientRow[]>`
    ${matchedOf(filter)}
    SELECT ${RECORD_COLUMNS}, ${CAPPED_COUNT()} AS total
      FROM (SELECT id, last_name, first_name FROM matched ORDER BY last_name, first_name, id LIMIT ${window.take} OFFSET ${window.skip}) m
      JOIN patients p ON p.id = m.id JOIN users u ON u.id = p.user_id
     ORDER BY m.last_name, m.first_name, m.id`;
}

/**
 * The ids of a search's first `size` matches in list order, and its matches counted up to the cap
 * plus one: what an admin's search pages are cut from (patients.service.ts, searchSnapshot).
 */
export async function selectSearchMatches(db: DbClient, search: string, size: number): Promise<{ total: number; ids: string[] }> {
  const [row] = await db.$queryRaw<{ total: number; ids: string[] }[]>`
    ${matchedOf({ search })}
    SELECT ${CAPPED_COUNT()} AS total, ARRAY(SELECT id::text FROM matched ORDER BY last_name, first_name, id LIMIT ${size}) AS ids`;
  return row!;
}

/**
 * The records of `ids` in that order, each only while it still matches `search` and its account
 * is not erased (a check on the snapshot the ids came from, for a change it missed).
 */
export function selectPatientsByIds(db: DbClient, ids: readonly string[], search: string): Promise<PatientRecord[]> {
  return db.$queryRaw<PatientRecord[]>`
    SELECT ${RECORD_COLUMNS}
      FROM unnest(${ids}::uuid[]) WITH ORDINALITY AS page(id, position)
      JOIN patients p ON p.id = page.id JOIN users u ON u.id = p.user_id ${whereOf({ search })}
     ORDER BY page.position`;
}

/**
 * Points the account's patient profile at a new avatar, the row locked so concurrent uploads
 * cannot both keep the old file; answers the replaced avatar (null for none), or undefined
 * when the account has no patient profile.
 */
export async function swapAvatar(tx: DbClient, userId: string, mediaId: string, now: Date): Promise<string | null | undefined> {
  const rows = await tx.$queryRaw<{ replaced: string | null }[]>`
    UPDATE patients p SET avatar_id = ${mediaId}::uuid, updated_at = ${now}
      FROM (SELECT id, avatar_id FROM patients WHERE user_id = ${userId}::uuid FOR UPDATE) old
     WHERE p.id = old.id
    RETURNING old.avatar_id::text AS replaced`;
  return rows[0] === undefined ? undefined : rows[0].replaced;
}

/** The patient profile of an account (any state), locked for the rest of the transaction. */
export async function lockPatientOfUser(tx: DbClient, userId: string): Promise<{ id: string; avatarId: string | null } | undefined> {
  const rows = await tx.$queryRaw<{ id: string; avatarId: string | null }[]>`
    SELECT id::text AS id, avatar_id::text AS "avatarId" FROM patients WHERE user_id = ${userId}::uuid FOR UPDATE`;
  return rows[0];
}

/** The matches counted up to the cap plus one, alone: only needed when a page past the end came back empty. */
export async function countPatients(db: DbClient, filter: PatientFilter): Promise<number> {
  const rows = await db.$queryRaw<{ total: number }[]>`
    SELECT count(*)::int AS total FROM (SELECT 1 FROM patients p JOIN users u ON u.id = p.user_id ${whereOf(filter)} LIMIT ${countCap + 1}) capped`;
  return rows[0]?.total ?? 0;
}
