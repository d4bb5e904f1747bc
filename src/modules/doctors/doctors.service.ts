// Doctors: the public list and profiles, the doctor's own profile, and what other modules change
// on a doctor (a profile from an approved application, the rating). `listDoctors` also serves
// `public-portal/list/doctor/`.
import { inTransaction, type Actor, type ServiceContext, type TxContext } from '../../lib/context.ts';
import type { DbClient } from '../../lib/db.ts';
import type { IncomingFile } from '../../lib/uploads.ts';
import type { z } from 'zod';
import { pageWindow, toPage } from '../../schemas/pagination.ts';
import { ACCOUNTS_CACHE_REF } from '../accounts/index.ts';
import { mediaUrl, replaceAvatar } from '../media/index.ts';
import { cancelUpcomingOfDoctor, doctorsAvailableOn, freeSlotsChanged } from '../scheduling/index.ts';
import { noDoctorProfile, unknownCatalogueIds } from './doctors.errors.ts';
import * as queries from './doctors.queries.ts';
import { countDoctors, selectDoctorIds, selectDoctors, type DoctorFilter, type DoctorRow } from './doctors.queries.ts';
import { doctorPageSchema, type DoctorListQuery, type DoctorProfileInput, type DoctorView, type PutDoctorInput } from './doctors.schemas.ts';

/** The read-cache reference (lib/cache.ts) of the doctors' public data: profiles, catalogue links, ratings, visibility. */
export const DOCTORS_CACHE_REF = 'doctors';

/** What a public doctor answer shows: doctors, their accounts' names, and the catalogues' names (each catalogue's reference is its table, lib/catalogue.ts). */
const doctorAnswerRefs = () => [DOCTORS_CACHE_REF, ACCOUNTS_CACHE_REF, 'specializations', 'designations'];

/** The list's parameters: a URL with others (kept in its links) is answered uncached, so junk parameters cannot fill the cache. */
const LIST_PARAMETERS = new Set(['search', 'specialization', 'designation', 'available', 'ordering', 'page', 'pageSize']);

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

/** The public doctor list: visible doctors only, one SQL statement per page. Default order: by name. Cached (not `available`). */
export function listDoctors(ctx: ServiceContext, query: DoctorListQuery): Promise<{ count: number; results: DoctorView[] }> {
  // Not cached: which doctors have a free slot that day changes with every booking and with the clock.
  if (query.available !== undefined) return loadDoctors(ctx, query);
  const key = `doctor-page:${JSON.stringify([query.search, query.specialization, query.designation, query.ordering, query.page, query.pageSize])}`;
  return ctx.cache.read({ key, refs: doctorAnswerRefs() }, () => loadDoctors(ctx, query));
}

/**
 * The route's answer of the public list, `doctor/list/` with links to `url`, as the JSON text of its
 * response schema: cached whole, so a hit is sent as it is (no parse, no serialization).
 */
export function doctorListPage(ctx: ServiceContext, query: DoctorListQuery, url: URL): Promise<string | Buffer> {
  const render = async () => {
    const { count, results } = await loadDoctors(ctx, query);
    // Built to the wire type of its schema, which has no transforms: zod's run-time encode would only
    // re-check it, as long again as JSON.stringify of a 50-doctor page. Tests hold the body to the schema.
    const page: z.input<typeof doctorPageSchema> = toPage(url, query, count, results);
    return JSON.stringify(page);
  };
  const cacheable = query.available === undefined && [...url.searchParams.keys()].every((name) => LIST_PARAMETERS.has(name));
  if (!cacheable) return render();
  return ctx.cache.readText({ key: `doctor-list:${url.href}`, refs: doctorAnswerRefs() }, render);
}

async function loadDoctors(ctx: ServiceContext, query: DoctorListQuery): Promise<{ count: number; results: DoctorView[] }> {
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
  const count = rows[0] ? rows[0].total : query.page > 1 ? await countDoctors(ctx.db, filter) : 0;
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
  const free = candidates.length ? await doctorsAvailableOn(ctx, { doctorIds: candidates, date }) : new Set<string>();
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
export async function getDoctorByEmail(ctx: ServiceContext, input: { email: string }): Promise<DoctorView> {
  const email = input.email.toLowerCase();
  // An unknown email caches null, answered 404 like the first time.
  const view = await ctx.cache.read({ key: `doctor-profile:${email}`, refs: doctorAnswerRefs() }, async () => {
    const row = await findDoctor(ctx.db, { email });
    return row ? toDoctorView(ctx, row) : null;
  });
  if (!view) throw noDoctorProfile();
  return view;
}

/** A visible doctor by profile id (the FHIR Practitioner read). */
export async function getDoctor(ctx: ServiceContext, input: { id: string }): Promise<DoctorView> {
  const row = await findDoctor(ctx.db, { ids: [input.id] });
  if (!row) throw noDoctorProfile();
  return toDoctorView(ctx, row);
}

/** The caller's own doctor profile (hidden or not): 404 when the account has none. */
export async function getMyDoctor(ctx: ServiceContext, actor: Actor): Promise<DoctorView> {
  const row = await findDoctor(ctx.db, { userId: actor.userId, includeHidden: true });
  if (!row) throw noDoctorProfile();
  return toDoctorView(ctx, row);
}

/** Sets the caller's avatar and answers the updated profile (404 without a doctor profile). */
export async function setMyAvatar(ctx: ServiceContext, input: { file: IncomingFile }, actor: Actor): Promise<DoctorView> {
  await replaceAvatar(ctx, { file: input.file, ownerId: actor.userId }, async (tx, mediaId) => {
    const replaced = await queries.swapAvatar(tx.db, actor.userId, mediaId, tx.clock.now());
    await tx.cache.invalidate([DOCTORS_CACHE_REF]);
    return replaced;
  });
  return getMyDoctor(ctx, actor);
}

/** 400 naming each id list that holds a specialization or designation that does not exist (doctor applications check theirs too). */
export async function checkCatalogueIds(
  ctx: Pick<ServiceContext, 'db'> | TxContext,
  input: { specializationIds?: readonly string[] | undefined; designationIds?: readonly string[] | undefined },
): Promise<void> {
  const unknown: ('specializationIds' | 'designationIds')[] = [];
  if (input.specializationIds?.length) {
    const found = await ctx.db.specialization.count({ where: { id: { in: [...input.specializationIds] } } });
    if (found !== input.specializationIds.length) unknown.push('specializationIds');
  }
  if (input.designationIds?.length) {
    const found = await ctx.db.designation.count({ where: { id: { in: [...input.designationIds] } } });
    if (found !== input.designationIds.length) unknown.push('designationIds');
  }
  if (unknown.length) throw unknownCatalogueIds(unknown);
}

/** Replaces the doctor's specializations and/or designations (each list when given). */
async function setCatalogueLinks(tx: TxContext, doctorId: string, links: { specializationIds?: readonly string[] | undefined; designationIds?: readonly string[] | undefined }) {
  if (links.specializationIds) {
    await tx.db.doctorSpecialization.deleteMany({ where: { doctorId } });
    await tx.db.doctorSpecialization.createMany({ data: links.specializationIds.map((specializationId) => ({ doctorId, specializationId })) });
  }
  if (links.designationIds) {
    await tx.db.doctorDesignation.deleteMany({ where: { doctorId } });
    await tx.db.doctorDesignation.createMany({ data: links.designationIds.map((designationId) => ({ doctorId, designationId })) });
  }
}

/** PUT of the caller's profile: every field is sent. */
export function replaceMyDoctor(ctx: ServiceContext, input: PutDoctorInput, actor: Actor): Promise<DoctorView> {
  return updateMyDoctor(ctx, input, actor);
}

/** PATCH of the caller's profile: only the fields sent change; relation lists are replaced as a whole when sent. */
export async function updateMyDoctor(ctx: ServiceContext, input: DoctorProfileInput, actor: Actor): Promise<DoctorView> {
  const { specializationIds, designationIds, ...fields } = input;
  await inTransaction(ctx, async (tx) => {
    const doctor = await tx.db.doctor.findUnique({ where: { userId: actor.userId }, select: { id: true } });
    if (!doctor) throw noDoctorProfile();
    await checkCatalogueIds(tx, input);
    await tx.db.doctor.update({ where: { id: doctor.id }, data: { ...fields, updatedAt: tx.clock.now() } });
    await setCatalogueLinks(tx, doctor.id, { specializationIds, designationIds });
    await tx.cache.invalidate([DOCTORS_CACHE_REF]);
    // The time zone and acceptingPatients shape the free slots.
    await freeSlotsChanged(tx, doctor.id);
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
  await inTransaction(ctx, async (tx) => {
    const doctor = await tx.db.doctor.findUnique({ where: { userId: actor.userId }, select: { id: true, deletedAt: true } });
    if (!doctor) throw noDoctorProfile();
    if (!doctor.deletedAt) {
      const now = tx.clock.now();
      await tx.db.doctor.update({ where: { id: doctor.id }, data: { deletedAt: now, acceptingPatients: false, updatedAt: now }, select: { id: true } });
      await tx.cache.invalidate([DOCTORS_CACHE_REF]);
      await freeSlotsChanged(tx, doctor.id);
    }
    await cancelUpcomingOfDoctor(tx, { doctorId: doctor.id, note: CLOSED_PROFILE_NOTE }, actor);
  });
}

// --- For other modules (through index.ts) -------------------------------------------------------

/**
 * Creates (or restores) the doctor profile of an approved application, inside the caller's
 * transaction: bio, experience, and the specializations and designations that still exist.
 */
export async function createProfileFromApplication(
  tx: TxContext,
  input: { userId: string; bio: string; yearsOfExperience: number; specializationIds: readonly string[]; designationIds: readonly string[] },
): Promise<void> {
  const now = tx.clock.now();
  // Catalogue entries deleted since the application are skipped.
  const specializations = await tx.db.specialization.findMany({ where: { id: { in: [...input.specializationIds] } }, select: { id: true } });
  const designations = await tx.db.designation.findMany({ where: { id: { in: [...input.designationIds] } }, select: { id: true } });
  const profile = { bio: input.bio, yearsOfExperience: input.yearsOfExperience, deletedAt: null, updatedAt: now };
  const doctor = await tx.db.doctor.upsert({
    where: { userId: input.userId },
    create: { userId: input.userId, ...profile, createdAt: now },
    update: profile,
    select: { id: true },
  });
  await setCatalogueLinks(tx, doctor.id, { specializationIds: specializations.map((s) => s.id), designationIds: designations.map((d) => d.id) });
  await tx.cache.invalidate([DOCTORS_CACHE_REF]);
  await freeSlotsChanged(tx, doctor.id);
}

/** Recounts the doctor's rating from the reviews, inside the caller's transaction (which holds the doctor's review lock). */
export async function recountRating(tx: Pick<TxContext, 'db' | 'cache'>, input: { doctorId: string }): Promise<void> {
  await queries.updateRatingFromReviews(tx.db, input.doctorId);
  await tx.cache.invalidate([DOCTORS_CACHE_REF]);
}
