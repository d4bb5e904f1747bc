// Patients: the role-scoped list, records by id or email, the patient's own profile, erasure, the audit of every read by someone else, and the access log.
import { createHmac } from 'node:crypto';
import { Prisma } from '../../generated/prisma/client.ts';
import type { BloodGroup } from '../../generated/prisma/enums.ts';
import { inTransaction, type Actor, type ServiceContext, type TxContext } from '../../lib/context.ts';
import type { EventPayloads } from '../../lib/events.ts';
import { ForbiddenError } from '../../lib/errors.ts';
import type { IncomingFile } from '../../lib/uploads.ts';
import { pageWindow, type PageQuery } from '../../schemas/pagination.ts';
import { ACCOUNTS_CACHE_REF, eraseAccount, setNames } from '../accounts/index.ts';
import { accessLogOf, recordAudits, type AccessEntry } from '../audit/index.ts';
import { deleteFiles, mediaUrl, removeObjects, replaceAvatar } from '../media/index.ts';
import { noShowCountsOf } from '../scheduling/index.ts';
import { dateOfBirthInFuture, noPatientProfile } from './patients.errors.ts';
import * as queries from './patients.queries.ts';
import {
  countPatients,
  lockPatientOfUser,
  patientCountCap,
  selectPatients,
  selectPatientsByIds,
  selectSearchMatches,
  type PatientFilter,
  type PatientRecord,
} from './patients.queries.ts';
import type { BloodGroupLabel, PatientListQuery, PatientProfileInput, PatientView, PutPatientInput } from './patients.schemas.ts';

const BLOOD_GROUP_OF_LABEL: Record<BloodGroupLabel, BloodGroup> = {
  'A+': 'A_POS',
  'A-': 'A_NEG',
  'B+': 'B_POS',
  'B-': 'B_NEG',
  'AB+': 'AB_POS',
  'AB-': 'AB_NEG',
  'O+': 'O_POS',
  'O-': 'O_NEG',
};

/** The profile as the API shows it; `noShowCount` only for staff (doctors and admins). */
function toPatientView(ctx: Pick<ServiceContext, 'config'>, row: PatientRecord, noShowCount?: number): PatientView {
  return {
    id: row.id,
    user: { id: row.user_id, email: row.email, firstName: row.first_name, lastName: row.last_name },
    dateOfBirth: row.date_of_birth,
    gender: row.gender as PatientView['gender'],
    phone: row.phone,
    address: row.address,
    bloodGroup: row.blood_group as PatientView['bloodGroup'],
    emergencyContact: row.emergency_contact ?? null,
    avatarUrl: mediaUrl(ctx.config, row.avatar_id),
    ...(noShowCount === undefined ? {} : { noShowCount }),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** One `patient.read` audit row per record the caller saw, naming the route and (through meta) the request. */
async function auditReads(ctx: ServiceContext, actor: Actor, rows: readonly PatientRecord[], route: string): Promise<void> {
  const entries = rows.map((row) => ({
    action: 'patient.read' as const,
    outcome: 'success' as const,
    actorId: actor.userId,
    actorRole: actor.role,
    subjectType: 'patient',
    subjectId: row.id,
    subjectUserId: row.user_id,
    metadata: { route },
  }));
  await recordAudits(ctx, entries);
}

/**
 * Admins see every patient; doctors only their patients (patients.queries.ts, TREATMENT_*); patients may not list. `email` matches exactly (FHIR search).
 * `count` is exact up to the cap (patients.queries.ts); past it, a lower bound with `countIsEstimate: true`.
 */
export async function listPatients(
  ctx: ServiceContext,
  query: PatientListQuery & { route: string; email?: string | undefined },
  actor: Actor,
): Promise<{ count: number; countIsEstimate?: true; results: PatientView[] }> {
  if (actor.role === 'patient') throw new ForbiddenError();
  const filter: PatientFilter = { search: query.search, email: query.email?.toLowerCase(), treatedBy: treatedBy(ctx, actor) };
  const window = pageWindow(query);
  const { rows, counted } = await pageOf(ctx, filter, window);
  await auditReads(ctx, actor, rows, query.route);
  const noShows = await noShowCountsOf(ctx, rows.map((row) => row.id));
  const results = rows.map((row) => toPatientView(ctx, row, noShows.get(row.id)));
  const cap = patientCountCap();
  if (counted <= cap) return { count: counted, results };
  // At least `cap` match, and at least as many as this page reaches: its links go on that far.
  // An empty page past the end reaches nothing; its offset is no evidence of matches.
  const reached = rows.length > 0 ? window.skip + rows.length : 0;
  return { count: Math.max(cap, reached), countIsEstimate: true, results };
}

/**
 * The read-cache reference (lib/cache.ts) of which patient profiles exist: bumped when one is
 * made. Names, emails and erasures are the accounts module's (ACCOUNTS_CACHE_REF).
 */
const PATIENTS_CACHE_REF = 'patients';

/** Matches an admin's search snapshot keeps in order: 50 pages of 20. Pages past them query the database. */
const SNAPSHOT_MATCHES = 1_000;

/**
 * How long a snapshot may be served at most. The references make it right after every write of
 * the app; this bounds what one outside them leaves stale (a row changed in SQL by hand, the
 * create-admin script where the servers cache in their own memory): pages then re-check their
 * rows (selectPatientsByIds).
 */
const SNAPSHOT_VALID_MS = 60_000;

/**
 * An admin's search (every patient, no email): the capped count and the ids of the first
 * SNAPSHOT_MATCHES matches in list order, from the read cache. Its key holds an HMAC of the term
 * under the app's secret, never the term (a patient's name in Redis); a plain hash of a surname is
 * reversed by hashing a list of surnames. The term is not case-folded: ILIKE folds case the
 * database's way, so a term in another case is another entry, never another's answer.
 */
function searchSnapshot(ctx: ServiceContext, search: string): Promise<{ total: number; ids: string[] }> {
  const cap = patientCountCap();
  const term = createHmac('sha256', ctx.config.secretKey).update(`patient-search\n${search}`).digest('base64url');
  return ctx.cache.read(
    { key: `patient-search:${cap}:${term}`, refs: [PATIENTS_CACHE_REF, ACCOUNTS_CACHE_REF] },
    () => selectSearchMatches(ctx.db, search, SNAPSHOT_MATCHES),
    () => ctx.clock.now().getTime() + SNAPSHOT_VALID_MS,
  );
}

/**
 * The page's records and the matches counted up to the cap plus one. An admin's search cuts the
 * page from its snapshot and reads only the page's rows; doctors' lists (which change with their
 * appointments and the clock), email lookups and pages past the snapshot query the database.
 */
async function pageOf(ctx: ServiceContext, filter: PatientFilter, window: { skip: number; take: number }): Promise<{ rows: PatientRecord[]; counted: number }> {
  if (filter.search && filter.treatedBy === undefined && filter.email === undefined) {
    const snapshot = await searchSnapshot(ctx, filter.search);
    // Fewer ids than it keeps: the snapshot holds every match, so every page.
    if (window.skip + window.take <= snapshot.ids.length || snapshot.ids.length < SNAPSHOT_MATCHES) {
      const ids = snapshot.ids.slice(window.skip, window.skip + window.take);
      return { rows: ids.length > 0 ? await selectPatientsByIds(ctx.db, ids, filter.search) : [], counted: snapshot.total };
    }
  }
  const rows = await selectPatients(ctx.db, filter, window);
  const counted = rows[0] ? rows[0].total : window.skip > 0 ? await countPatients(ctx.db, filter) : 0;
  return { rows, counted };
}

/** For a doctor, the condition that limits them to their own patients now; nothing for admins. */
function treatedBy(ctx: ServiceContext, actor: Actor): PatientFilter['treatedBy'] {
  return actor.role === 'doctor' ? { doctorUserId: actor.userId, at: ctx.clock.now() } : undefined;
}

/** A patient by profile id or email: to admins, to the patient's doctors (as in the list), and to the patient; 404 to anyone else. */
export async function getPatient(ctx: ServiceContext, input: { patient: string; route: string }, actor: Actor): Promise<PatientView> {
  const key = input.patient.includes('@') ? { email: input.patient.toLowerCase() } : { id: input.patient };
  const filter: PatientFilter = { ...key, treatedBy: treatedBy(ctx, actor) };
  if (actor.role === 'patient') filter.userId = actor.userId;
  const [row] = await selectPatients(ctx.db, filter, { skip: 0, take: 1 });
  if (!row) throw noPatientProfile();
  if (row.user_id === actor.userId) return toPatientView(ctx, row);
  await auditReads(ctx, actor, [row], input.route);
  const noShows = await noShowCountsOf(ctx, [row.id]);
  return toPatientView(ctx, row, noShows.get(row.id));
}

/** The patient profile of an account as the API shows it (null for none), for the data export. */
export async function patientDataOf(ctx: Pick<ServiceContext, 'db' | 'config'>, userId: string): Promise<PatientView | null> {
  const [row] = await selectPatients(ctx.db, { userId }, { skip: 0, take: 1 });
  return row ? toPatientView(ctx, row) : null;
}

/** The caller's access log: every read or change of their record by someone else, newest first. */
export async function getMyAccessLog(ctx: ServiceContext, query: PageQuery, actor: Actor): Promise<{ count: number; results: AccessEntry[] }> {
  if (!(await ctx.db.patient.count({ where: { userId: actor.userId } }))) throw noPatientProfile();
  return accessLogOf(ctx, { userId: actor.userId, ...pageWindow(query) });
}

export async function getMyPatient(ctx: ServiceContext, actor: Actor): Promise<PatientView> {
  const [row] = await selectPatients(ctx.db, { userId: actor.userId }, { skip: 0, take: 1 });
  if (!row) throw noPatientProfile();
  return toPatientView(ctx, row);
}

/** Sets the caller's avatar and answers the updated profile (404 without a patient profile). */
export async function setMyAvatar(ctx: ServiceContext, input: { file: IncomingFile }, actor: Actor): Promise<PatientView> {
  await replaceAvatar(ctx, { file: input.file, ownerId: actor.userId }, (tx, mediaId) => queries.swapAvatar(tx.db, actor.userId, mediaId, tx.clock.now()));
  return getMyPatient(ctx, actor);
}

/** PUT: every field is sent (the optional ones as null). */
export function replaceMyPatient(ctx: ServiceContext, input: PutPatientInput, actor: Actor): Promise<PatientView> {
  return updateMyPatient(ctx, input, actor);
}

/** PATCH of the caller's own profile: only the fields sent change; names live on the account. */
export async function updateMyPatient(ctx: ServiceContext, input: PatientProfileInput, actor: Actor): Promise<PatientView> {
  const now = ctx.clock.now();
  if (input.dateOfBirth && input.dateOfBirth > now.toISOString().slice(0, 10)) throw dateOfBirthInFuture();
  const { firstName, lastName, dateOfBirth, bloodGroup, emergencyContact, gender, ...rest } = input;
  await inTransaction(ctx, async (tx) => {
    const patient = await tx.db.patient.findUnique({ where: { userId: actor.userId }, select: { id: true } });
    if (!patient) throw noPatientProfile();
    await setNames(tx, { userId: actor.userId, firstName, lastName });
    await tx.db.patient.update({
      where: { id: patient.id },
      data: {
        ...rest,
        ...(gender === undefined ? {} : { gender: gender }),
        ...(dateOfBirth === undefined ? {} : { dateOfBirth: dateOfBirth === null ? null : new Date(`${dateOfBirth}T00:00:00Z`) }),
        ...(bloodGroup === undefined ? {} : { bloodGroup: bloodGroup === null ? null : BLOOD_GROUP_OF_LABEL[bloodGroup] }),
        ...(emergencyContact === undefined ? {} : { emergencyContact: emergencyContact === null ? Prisma.DbNull : emergencyContact }),
        updatedAt: now,
      },
    });
  });
  return getMyPatient(ctx, actor);
}

/**
 * Erases the caller's account: deactivates it, revokes every session, erases name, phone,
 * address, date of birth, emergency contact and avatar, and frees the email (tombstone) so it
 * can register again. The patient row stays, anonymised, for appointments and reviews.
 */
export async function deleteMyPatient(ctx: ServiceContext, actor: Actor): Promise<void> {
  const now = ctx.clock.now();
  const obsoleteKeys = await inTransaction(ctx, async (tx) => {
    const patient = await lockPatientOfUser(tx.db, actor.userId);
    if (!patient) throw noPatientProfile();
    await eraseAccount(tx, { userId: actor.userId });
    await tx.db.patient.update({
      where: { id: patient.id },
      data: {
        dateOfBirth: null,
        gender: 'unknown',
        phone: null,
        address: null,
        bloodGroup: null,
        emergencyContact: Prisma.DbNull,
        avatarId: null,
        updatedAt: now,
      },
    });
    // Every avatar the account uploaded goes too (only the account was served by them).
    return deleteFiles(tx, { ids: patient.avatarId ? [patient.avatarId] : [], ownerId: actor.userId, kind: 'avatar' });
  });
  await removeObjects(ctx, obsoleteKeys);
}

/**
 * An appointment change is a change of the patient's record: audited with the patient as the
 * subject user, so it shows in their access log when someone else made it. Runs in the change's
 * transaction (`appointment.created`, `appointment.status_changed`), after its other locks; the
 * changes of a batch (the no-show sweep's) in one statement, which is when the chain's head is locked.
 */
export async function auditAppointmentChanges(tx: TxContext, events: readonly EventPayloads['appointment.created'][]): Promise<void> {
  const patientIds = [...new Set(events.map((event) => event.appointment.patient.id))];
  const patients = await tx.db.patient.findMany({ where: { id: { in: patientIds } }, select: { id: true, userId: true } });
  const userIdOf = new Map(patients.map((patient) => [patient.id, patient.userId]));
  await recordAudits(
    tx,
    events.map(({ appointment, actor, previousStatus }) => ({
      action: previousStatus === null ? 'appointment.create' : 'appointment.status_change',
      outcome: 'success',
      actorId: actor?.userId ?? null,
      actorRole: actor?.role ?? 'system',
      subjectType: 'appointment',
      subjectId: appointment.id,
      // The appointment's foreign key keeps its patient.
      subjectUserId: userIdOf.get(appointment.patient.id)!,
      metadata: { status: appointment.status, ...(previousStatus === null ? {} : { previousStatus }) },
    })),
  );
}

/** A newly activated account's patient profile, with the phone given at registration (`account.activated`). */
export async function createProfile(tx: TxContext, input: { userId: string; phone: string | null }): Promise<void> {
  await tx.db.patient.upsert({ where: { userId: input.userId }, create: { userId: input.userId, phone: input.phone }, update: {} });
  await tx.cache.invalidate([PATIENTS_CACHE_REF]);
}
