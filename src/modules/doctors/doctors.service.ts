// Doctors: the public list and profiles, and the doctor's own profile. `listDoctors` also serves `public-portal/list/doctor/`.
import type { Actor, ServiceContext } from '../../lib/context.ts';
import type { DbClient } from '../../lib/db.ts';
import { NotFoundError, ValidationError } from '../../lib/errors.ts';
import { pageWindow } from '../../schemas/pagination.ts';
import { replaceAvatar, type IncomingFile } from '../media/media.service.ts';
import { mediaUrl, type MediaContext } from '../media/media.storage.ts';
import { cancelUpcomingOfDoctor } from '../appointments/appointments.service.ts';
import { doctorsAvailableOn } from '../availability/availability.service.ts';
import { countDoctors, selectDoctorIds, selectDoctors, type DoctorFilter, type DoctorRow } from './doctors.queries.ts';
import type { DoctorListQuery, DoctorProfileInput, DoctorView } from './doctors.schemas.ts';

export function toDoctorView(ctx: Pick<ServiceContext, 'config'>, row: DoctorRow): DoctorView {
  return {
    id: row.id,
    user: { id: row.user_id, email: row.email, firstName: row.first_name, lastName: row.last_name },
    bio: row.bio,
    fee: row.fee,
    yearsOfExperience: row.years_of_experience,
    specializations: row.specializations,
    designations: row.designations,
    acceptingPatients: row.accepting_patients,
    autoConfirm: row.auto_confirm,
    timezone: row.timezone,
    avatarUrl: mediaUrl(ctx.config, row.avatar_id),
    rating: { average: row.rating_average, count: row.rating_count },
  };
}

/** The public doctor list: visible doctors only, one SQL statement per page. Default order: by name. */
export async function listDoctors(ctx: ServiceContext, query: DoctorListQuery): Promise<{ count: number; results: DoctorView[] }> {
  const filter: DoctorFilter = {
    search: query.search,
    specialization: query.specialization,
    designation: query.designation,
    available: query.available,
  };
  const ordering = query.ordering ?? 'name';
  if (query.available !== undefined) return listDoctorsAvailableOn(ctx, query, filter, query.available);
  const rows = await selectDoctors(ctx.db, filter, ordering, pageWindow(query));
  // count(*) OVER () rides on the rows; a page past the end has none, so count separately (rare).
  const count = rows[0] ? Number(rows[0].total) : query.page > 1 ? await countDoctors(ctx.db, filter) : 0;
  return { count, results: rows.map((row) => toDoctorView(ctx, row)) };
}

/**
 * `?available=`: SQL narrows the candidates (a window that weekday, not wholly off), the
 * availability module keeps those with a free slot that day, then one statement loads the page.
 */
async function listDoctorsAvailableOn(
  ctx: ServiceContext,
  query: DoctorListQuery,
  filter: DoctorFilter,
  date: string,
): Promise<{ count: number; results: DoctorView[] }> {
  const ordering = query.ordering ?? 'name';
  const candidates = await selectDoctorIds(ctx.db, filter, ordering);
  const free = candidates.length ? await doctorsAvailableOn(ctx.db, candidates, date, ctx.clock.now()) : new Set<string>();
  const ids = candidates.filter((id) => free.has(id));
  const { skip, take } = pageWindow(query);
  const pageIds = ids.slice(skip, skip + take);
  const rows = pageIds.length ? await selectDoctors(ctx.db, { ids: pageIds }, ordering, { skip: 0, take }) : [];
  return { count: ids.length, results: rows.map((row) => toDoctorView(ctx, row)) };
}

async function findDoctor(db: DbClient, filter: DoctorFilter): Promise<DoctorRow | undefined> {
  const rows = await selectDoctors(db, filter, 'name', { skip: 0, take: 1 });
  return rows[0];
}

/** A visible doctor by the account's email, in any case. */
export async function getDoctorByEmail(ctx: ServiceContext, email: string): Promise<DoctorView> {
  const row = await findDoctor(ctx.db, { email: email.toLowerCase() });
  if (!row) throw new NotFoundError();
  return toDoctorView(ctx, row);
}

/** The caller's own doctor profile (hidden or not): 404 when the account has none. */
export async function getMyDoctor(ctx: ServiceContext, actor: Actor): Promise<DoctorView> {
  const row = await findDoctor(ctx.db, { userId: actor.userId, includeHidden: true });
  if (!row) throw new NotFoundError();
  return toDoctorView(ctx, row);
}

/** Sets the caller's avatar and answers the updated profile. */
export async function setMyAvatar(ctx: MediaContext, file: IncomingFile, actor: Actor): Promise<DoctorView> {
  await replaceAvatar(ctx, file, 'doctor', actor);
  return getMyDoctor(ctx, actor);
}

/** 400 naming the field when an id does not exist. */
async function assertCatalogueIds(db: DbClient, input: DoctorProfileInput): Promise<void> {
  const errors: { path: string; message: string }[] = [];
  if (input.specializationIds?.length) {
    const found = await db.specialization.count({ where: { id: { in: input.specializationIds } } });
    if (found !== input.specializationIds.length) errors.push({ path: 'specializationIds', message: 'names an unknown specialization' });
  }
  if (input.designationIds?.length) {
    const found = await db.designation.count({ where: { id: { in: input.designationIds } } });
    if (found !== input.designationIds.length) errors.push({ path: 'designationIds', message: 'names an unknown designation' });
  }
  if (errors.length) throw new ValidationError({ errors });
}

/** PUT and PATCH of the caller's profile; relation lists are replaced as a whole when sent. */
export async function updateMyDoctor(ctx: ServiceContext, input: DoctorProfileInput, actor: Actor): Promise<DoctorView> {
  const { specializationIds, designationIds, ...fields } = input;
  await ctx.db.$transaction(async (tx) => {
    const doctor = await tx.doctor.findUnique({ where: { userId: actor.userId }, select: { id: true } });
    if (!doctor) throw new NotFoundError();
    await assertCatalogueIds(tx, input);
    await tx.doctor.update({ where: { id: doctor.id }, data: { ...fields, updatedAt: ctx.clock.now() } });
    if (specializationIds) {
      await tx.doctorSpecialization.deleteMany({ where: { doctorId: doctor.id } });
      await tx.doctorSpecialization.createMany({ data: specializationIds.map((specializationId) => ({ doctorId: doctor.id, specializationId })) });
    }
    if (designationIds) {
      await tx.doctorDesignation.deleteMany({ where: { doctorId: doctor.id } });
      await tx.doctorDesignation.createMany({ data: designationIds.map((designationId) => ({ doctorId: doctor.id, designationId })) });
    }
  });
  return getMyDoctor(ctx, actor);
}

/** The note on the status row of each appointment cancelled because the doctor left. */
export const CLOSED_PROFILE_NOTE = 'The doctor closed their profile.';

/**
 * Hides the caller's profile from public lists and profiles and, in the same transaction,
 * cancels its appointments that have not started yet (the appointments module mails each
 * patient the cancellation). Past appointments stay. Deleting again is a no-op 204.
 */
export async function deleteMyDoctor(ctx: ServiceContext, actor: Actor): Promise<void> {
  const now = ctx.clock.now();
  await ctx.db.$transaction(async (tx) => {
    const doctor = await tx.doctor.findUnique({ where: { userId: actor.userId }, select: { id: true, deletedAt: true } });
    if (!doctor) throw new NotFoundError();
    if (!doctor.deletedAt) {
      await tx.doctor.update({ where: { id: doctor.id }, data: { deletedAt: now, acceptingPatients: false, updatedAt: now }, select: { id: true } });
    }
    await cancelUpcomingOfDoctor(ctx, tx, doctor.id, actor, CLOSED_PROFILE_NOTE);
  });
}
