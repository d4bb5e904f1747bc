// Reviews in one SQL statement each: a page (or one review) with the reviewer's first name and the total.
import { Prisma } from '../../generated/prisma/client.ts';
import type { DbClient } from '../../lib/db.ts';

export interface ReviewRow {
  id: string;
  doctor_id: string;
  rating: number;
  comment: string;
  created_at: Date;
  /** Null for erased accounts and empty names. */
  first_name: string | null;
  total: bigint;
}

export interface ReviewFilter {
  id?: string | undefined;
  doctorId?: string | undefined;
  /** Leave out reviews of hidden doctors (the public reads). */
  visibleOnly: boolean;
}

function whereOf(filter: ReviewFilter): Prisma.Sql {
  const conditions: Prisma.Sql[] = [];
  if (filter.visibleOnly) {
    // The doctor list's visibility: hidden profiles and inactive doctor accounts show no reviews either.
    conditions.push(Prisma.sql`EXISTS (SELECT 1 FROM doctors d JOIN users du ON du.id = d.user_id
                     WHERE d.id = r.doctor_id AND d.deleted_at IS NULL AND du.is_active AND du.deleted_at IS NULL AND du.role = 'doctor')`);
  }
  if (filter.id !== undefined) conditions.push(Prisma.sql`r.id = ${filter.id}::uuid`);
  if (filter.doctorId !== undefined) conditions.push(Prisma.sql`r.doctor_id = ${filter.doctorId}::uuid`);
  return conditions.length ? Prisma.sql`WHERE ${Prisma.join(conditions, ' AND ')}` : Prisma.empty;
}

/** Newest first (then by id, so pages are stable). */
export function selectReviews(db: DbClient, filter: ReviewFilter, window: { skip: number; take: number }): Promise<ReviewRow[]> {
  return db.$queryRaw<ReviewRow[]>`
    SELECT r.id, r.doctor_id, r.rating::int AS rating, r.comment, r.created_at,
           CASE WHEN u.deleted_at IS NULL AND u.first_name <> '' THEN u.first_name END AS first_name,
           count(*) OVER () AS total
      FROM reviews r
      JOIN patients p ON p.id = r.patient_id
      JOIN users u ON u.id = p.user_id
      ${whereOf(filter)}
     ORDER BY r.created_at DESC, r.id DESC
     LIMIT ${window.take} OFFSET ${window.skip}`;
}

export async function countReviews(db: DbClient, filter: ReviewFilter): Promise<number> {
  const rows = await db.$queryRaw<{ total: bigint }[]>`SELECT count(*) AS total FROM reviews r ${whereOf(filter)}`;
  return Number(rows[0]?.total ?? 0);
}

/** Whether the doctor profile exists (hidden or not). */
export async function doctorExists(db: DbClient, doctorId: string): Promise<boolean> {
  const rows = await db.$queryRaw<{ id: string }[]>`SELECT id FROM doctors WHERE id = ${doctorId}::uuid`;
  return rows.length > 0;
}
