// Hot reads of doctors in one SQL statement each: the page with its relations (json_agg subselects) and the total (count(*) OVER ()).
import { Prisma } from '../../generated/prisma/client.ts';
import { preparedStatementOf, queryPrepared, type DbClient } from '../../lib/db.ts';
import { containsPattern } from '../../lib/sql.ts';
import type { DoctorOrdering } from './doctors.schemas.ts';

export interface DoctorRow {
  id: string;
  user_id: string;
  email: string;
  first_name: string;
  last_name: string;
  bio: string;
  fee: string;
  years_of_experience: number;
  accepting_patients: boolean;
  auto_confirm: boolean;
  timezone: string;
  avatar_id: string | null;
  rating_average: number | null;
  rating_count: number;
  specializations: { id: string; name: string; slug: string }[];
  designations: { id: string; name: string; slug: string }[];
  total: number;
  position: number;
}

export interface DoctorFilter {
  search?: string | undefined;
  specialization?: string | undefined;
  designation?: string | undefined;
  /**
   * `YYYY-MM-DD` in each doctor's time zone: doctors accepting patients with a weekly window that
   * day not wholly inside a time off. A cheap SQL pre-filter: the service then keeps only doctors
   * with a free slot that day (the availability module's slot computation).
   */
  available?: string | undefined;
  /** Only these doctors (profile ids). */
  ids?: readonly string[] | undefined;
  /** One doctor by user email (already lower-cased). */
  email?: string | undefined;
  /** One doctor by user id (the caller's own profile). */
  userId?: string | undefined;
  /** Include hidden (deleted) profiles and inactive accounts: only for the doctor's own profile. */
  includeHidden?: boolean;
}

// Every ordering ends on the id, so pages are stable. Unrated doctors sort last both ways.
const ORDER_BY: Record<DoctorOrdering, Prisma.Sql> = {
  rating: Prisma.sql`d.rating_average ASC NULLS LAST, d.id`,
  '-rating': Prisma.sql`d.rating_average DESC NULLS LAST, d.id`,
  fee: Prisma.sql`d.fee ASC, d.id`,
  '-fee': Prisma.sql`d.fee DESC, d.id`,
  name: Prisma.sql`u.last_name, u.first_name, d.id`,
};

function whereOf(filter: DoctorFilter): Prisma.Sql {
  const conditions: Prisma.Sql[] = [];
  if (!filter.includeHidden) {
    conditions.push(Prisma.sql`d.deleted_at IS NULL AND u.is_active AND u.deleted_at IS NULL AND u.role = 'doctor'`);
  }
  if (filter.ids !== undefined) conditions.push(Prisma.sql`d.id = ANY(${[...filter.ids]}::uuid[])`);
  if (filter.email !== undefined) conditions.push(Prisma.sql`u.email = ${filter.email}`);
  if (filter.userId !== undefined) conditions.push(Prisma.sql`d.user_id = ${filter.userId}::uuid`);
  if (filter.search) {
    const pattern = containsPattern(filter.search);
    conditions.push(Prisma.sql`(u.first_name ILIKE ${pattern} OR u.last_name ILIKE ${pattern} OR u.email ILIKE ${pattern}
      OR EXISTS (SELECT 1 FROM doctor_specializations ds JOIN specializations s ON s.id = ds.specialization_id
                  WHERE ds.doctor_id = d.id AND s.name ILIKE ${pattern}))`);
  }
  if (filter.specialization !== undefined) {
    conditions.push(Prisma.sql`EXISTS (SELECT 1 FROM doctor_specializations ds JOIN specializations s ON s.id = ds.specialization_id
                  WHERE ds.doctor_id = d.id AND s.slug = ${filter.specialization})`);
  }
  if (filter.designation !== undefined) {
    conditions.push(Prisma.sql`EXISTS (SELECT 1 FROM doctor_designations dd JOIN designations g ON g.id = dd.designation_id
                  WHERE dd.doctor_id = d.id AND g.slug = ${filter.designation})`);
  }
  if (filter.available !== undefined) {
    // Booked slots are not subtracted here (that is the free-slot query's job, per doctor): a
    // fully booked day still lists the doctor.
    const day = filter.available;
    conditions.push(Prisma.sql`d.accepting_patients AND EXISTS (
      SELECT 1 FROM available_times w
       WHERE w.doctor_id = d.id AND w.weekday = extract(dow FROM ${day}::date)
         AND (w.valid_from IS NULL OR w.valid_from <= ${day}::date)
         AND (w.valid_until IS NULL OR w.valid_until >= ${day}::date)
         AND NOT EXISTS (SELECT 1 FROM doctor_time_off o
                          WHERE o.doctor_id = d.id
                            AND o.starts_at <= ((${day}::date + w.start_time) AT TIME ZONE d.timezone)
                            AND o.ends_at >= ((${day}::date + w.end_time) AT TIME ZONE d.timezone)))`);
  }
  return conditions.length ? Prisma.sql`WHERE ${Prisma.join(conditions, ' AND ')}` : Prisma.empty;
}

/**
 * One page of doctors with their specializations and designations and the total count, in one
 * statement: the page is cut first, then only its rows get their relations aggregated. Run
 * prepared (lib/db.ts, queryPrepared): the public list is a hot read, and the Prisma client's own
 * work on it cost a third of the plain-pg throughput (bench `doctors`). The counts are int4 so
 * they read as numbers on both paths.
 */
export function selectDoctors(
  db: DbClient,
  filter: DoctorFilter,
  ordering: DoctorOrdering,
  window: { skip: number; take: number },
): Promise<DoctorRow[]> {
  const orderBy = ORDER_BY[ordering];
  const sql = Prisma.sql`
    WITH page AS (
      SELECT d.id, d.user_id, u.email, u.first_name, u.last_name, d.bio, d.fee::text AS fee,
             d.years_of_experience::int AS years_of_experience, d.accepting_patients, d.auto_confirm, d.timezone,
             d.avatar_id, d.rating_average::float8 AS rating_average, d.rating_count,
             (count(*) OVER ())::int AS total, (row_number() OVER (ORDER BY ${orderBy}))::int AS position
        FROM doctors d JOIN users u ON u.id = d.user_id
        ${whereOf(filter)}
       ORDER BY ${orderBy}
       LIMIT ${window.take} OFFSET ${window.skip}
    )
    SELECT d.*,
           COALESCE((SELECT json_agg(json_build_object('id', s.id, 'name', s.name, 'slug', s.slug) ORDER BY s.name)
                       FROM doctor_specializations ds JOIN specializations s ON s.id = ds.specialization_id
                      WHERE ds.doctor_id = d.id), '[]'::json) AS specializations,
           COALESCE((SELECT json_agg(json_build_object('id', g.id, 'name', g.name, 'slug', g.slug) ORDER BY g.name)
                       FROM doctor_designations dd JOIN designations g ON g.id = dd.designation_id
                      WHERE dd.doctor_id = d.id), '[]'::json) AS designations
      FROM page d
     ORDER BY d.position`;
  return queryPrepared<DoctorRow>(db, preparedStatementOf('doctor_page', sql.text), sql.values);
}

/** The ids of every doctor the filter keeps, in the list's order (for filters finished outside SQL). */
export async function selectDoctorIds(db: DbClient, filter: DoctorFilter, ordering: DoctorOrdering): Promise<string[]> {
  const rows = await db.$queryRaw<{ id: string }[]>`
    SELECT d.id FROM doctors d JOIN users u ON u.id = d.user_id ${whereOf(filter)} ORDER BY ${ORDER_BY[ordering]}`;
  return rows.map((row) => row.id);
}

/** The total alone: only needed when a page past the end came back empty. */
export async function countDoctors(db: DbClient, filter: DoctorFilter): Promise<number> {
  const rows = await db.$queryRaw<{ total: bigint }[]>`SELECT count(*) AS total FROM doctors d JOIN users u ON u.id = d.user_id ${whereOf(filter)}`;
  return Number(rows[0]?.total ?? 0);
}

/**
 * Points the account's doctor profile at a new avatar, the row locked so concurrent uploads
 * cannot both keep the old file; answers the replaced avatar (null for none), or undefined
 * when the account has no doctor profile.
 */
export async function swapAvatar(tx: DbClient, userId: string, mediaId: string, now: Date): Promise<string | null | undefined> {
  const rows = await tx.$queryRaw<{ replaced: string | null }[]>`
    UPDATE doctors d SET avatar_id = ${mediaId}::uuid, updated_at = ${now}
      FROM (SELECT id, avatar_id FROM doctors WHERE user_id = ${userId}::uuid FOR UPDATE) old
     WHERE d.id = old.id
    RETURNING old.avatar_id::text AS replaced`;
  return rows[0] === undefined ? undefined : rows[0].replaced;
}

/**
 * Sets the doctor's `rating_count` and `rating_average` (two places, null without reviews) from
 * the reviews. The caller holds the doctor's review lock, so under READ COMMITTED this statement
 * sees every review change committed before its own.
 */
export async function updateRatingFromReviews(tx: DbClient, doctorId: string): Promise<void> {
  await tx.$executeRaw`
    UPDATE doctors d
       SET rating_count = s.count, rating_average = s.average
      FROM (SELECT count(*)::int AS count, round(avg(rating), 2) AS average FROM reviews WHERE doctor_id = ${doctorId}::uuid) s
     WHERE d.id = ${doctorId}::uuid`;
}
