// Hot reads of patients in one SQL statement: the page and its total (count(*) OVER ()), scoped to what the caller may see.
import { Prisma } from '../../generated/prisma/client.ts';
import type { DbClient } from '../../lib/db.ts';
import { containsPattern } from '../../lib/sql.ts';

export interface PatientRow {
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
  total: bigint;
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
    // One branch per column: each is planned on its own trigram index. As one OR the planner
    // tends to pick a sequential scan at 100,000 users (it underestimates ILIKE's cost), 5-10× slower.
    conditions.push(Prisma.sql`u.id IN (SELECT id FROM users WHERE first_name ILIKE ${pattern}
                                        UNION ALL SELECT id FROM users WHERE last_name ILIKE ${pattern}
                                        UNION ALL SELECT id FROM users WHERE email ILIKE ${pattern})`);
  }
  return Prisma.sql`WHERE ${Prisma.join(conditions, ' AND ')}`;
}

/** A page of patients ordered by last then first name, with the total on every row. */
export function selectPatients(db: DbClient, filter: PatientFilter, window: { skip: number; take: number }): Promise<PatientRow[]> {
  return db.$queryRaw<PatientRow[]>`
    SELECT p.id, p.user_id, u.email, u.first_name, u.last_name, to_char(p.date_of_birth, 'YYYY-MM-DD') AS date_of_birth,
           p.gender::text AS gender, p.phone, p.address, p.blood_group::text AS blood_group, p.emergency_contact,
           p.avatar_id, p.created_at, p.updated_at, count(*) OVER () AS total
      FROM patients p JOIN users u ON u.id = p.user_id
      ${whereOf(filter)}
     ORDER BY u.last_name, u.first_name, p.id
     LIMIT ${window.take} OFFSET ${window.skip}`;
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

/** The total alone: only needed when a page past the end came back empty. */
export async function countPatients(db: DbClient, filter: PatientFilter): Promise<number> {
  const rows = await db.$queryRaw<{ total: bigint }[]>`SELECT count(*) AS total FROM patients p JOIN users u ON u.id = p.user_id ${whereOf(filter)}`;
  return Number(rows[0]?.total ?? 0);
}
