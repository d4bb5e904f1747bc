// Patients: the role-scoped list, records by email, the patient's own profile, erasure, and the audit of every read by someone else.
import { Prisma } from '../../generated/prisma/client.ts';
import type { BloodGroup } from '../../generated/prisma/enums.ts';
import type { Actor, ServiceContext } from '../../lib/context.ts';
import { ForbiddenError, NotFoundError, ValidationError } from '../../lib/errors.ts';
import { pageWindow } from '../../schemas/pagination.ts';
import { recordAudit, recordAudits } from '../audit/audit.service.ts';
import { removeObjects, replaceAvatar, type IncomingFile } from '../media/media.service.ts';
import { mediaUrl, type MediaContext } from '../media/media.storage.ts';
import { countPatients, selectPatients, type PatientFilter, type PatientRow } from './patients.queries.ts';
import type { BloodGroupLabel, PatientListQuery, PatientProfileInput, PatientView } from './patients.schemas.ts';

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

function toPatientView(ctx: Pick<ServiceContext, 'config'>, row: PatientRow): PatientView {
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
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** One `patient.read` audit row per record the caller saw, naming the route and (through meta) the request. */
async function auditReads(ctx: ServiceContext, actor: Actor, patientIds: string[], route: string): Promise<void> {
  const entries = patientIds.map((id) => ({
    action: 'patient.read' as const,
    outcome: 'success' as const,
    actorId: actor.userId,
    subject: id,
    metadata: { route },
  }));
  await recordAudits(ctx.db, ctx.meta, entries, ctx.clock.now());
}

/** Admins see every patient; doctors only those with an appointment with them; patients may not list. */
export async function listPatients(
  ctx: ServiceContext,
  query: PatientListQuery & { route: string },
  actor: Actor,
): Promise<{ count: number; results: PatientView[] }> {
  if (actor.role === 'patient') throw new ForbiddenError();
  const filter: PatientFilter = { search: query.search, ...(actor.role === 'doctor' ? { doctorUserId: actor.userId } : {}) };
  const rows = await selectPatients(ctx.db, filter, pageWindow(query));
  const count = rows[0] ? Number(rows[0].total) : query.page > 1 ? await countPatients(ctx.db, filter) : 0;
  await auditReads(ctx, actor, rows.map((row) => row.id), query.route);
  return { count, results: rows.map((row) => toPatientView(ctx, row)) };
}

/** A patient by email: to admins, to doctors with an appointment with them, and to the patient; 404 to anyone else. */
export async function getPatientByEmail(ctx: ServiceContext, input: { email: string; route: string }, actor: Actor): Promise<PatientView> {
  const filter: PatientFilter = { email: input.email.toLowerCase() };
  if (actor.role === 'doctor') filter.doctorUserId = actor.userId;
  else if (actor.role === 'patient') filter.userId = actor.userId;
  const [row] = await selectPatients(ctx.db, filter, { skip: 0, take: 1 });
  if (!row) throw new NotFoundError();
  if (row.user_id !== actor.userId) await auditReads(ctx, actor, [row.id], input.route);
  return toPatientView(ctx, row);
}

export async function getMyPatient(ctx: ServiceContext, actor: Actor): Promise<PatientView> {
  const [row] = await selectPatients(ctx.db, { userId: actor.userId }, { skip: 0, take: 1 });
  if (!row) throw new NotFoundError();
  return toPatientView(ctx, row);
}

/** Sets the caller's avatar and answers the updated profile. */
export async function setMyAvatar(ctx: MediaContext, file: IncomingFile, actor: Actor): Promise<PatientView> {
  await replaceAvatar(ctx, file, 'patient', actor);
  return getMyPatient(ctx, actor);
}

/** PUT and PATCH of the caller's own profile; names live on the account. */
export async function updateMyPatient(ctx: ServiceContext, input: PatientProfileInput, actor: Actor): Promise<PatientView> {
  const now = ctx.clock.now();
  if (input.dateOfBirth && input.dateOfBirth > now.toISOString().slice(0, 10)) {
    throw new ValidationError({ errors: [{ path: 'dateOfBirth', message: 'must not be in the future' }] });
  }
  const { firstName, lastName, dateOfBirth, bloodGroup, emergencyContact, gender, ...rest } = input;
  await ctx.db.$transaction(async (tx) => {
    const patient = await tx.patient.findUnique({ where: { userId: actor.userId }, select: { id: true } });
    if (!patient) throw new NotFoundError();
    if (firstName !== undefined || lastName !== undefined) {
      await tx.user.update({
        where: { id: actor.userId },
        data: { ...(firstName === undefined ? {} : { firstName }), ...(lastName === undefined ? {} : { lastName }), updatedAt: now },
      });
    }
    await tx.patient.update({
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

/** The address an erased account's email is replaced with: unique, never deliverable (RFC 2606 `.invalid`). */
export const tombstoneEmail = (userId: string) => `erased-${userId}@erased.invalid`;

/**
 * Erases the caller's account: deactivates it, revokes every session, erases name, phone,
 * address, date of birth, emergency contact and avatar, and frees the email (tombstone) so it
 * can register again. The patient row stays, anonymised, for appointments and reviews.
 */
export async function deleteMyPatient(ctx: MediaContext, actor: Actor): Promise<void> {
  const now = ctx.clock.now();
  const obsoleteKeys = await ctx.db.$transaction(async (tx) => {
    const patient = await tx.patient.findUnique({ where: { userId: actor.userId }, select: { id: true, avatarId: true } });
    if (!patient) throw new NotFoundError();
    await tx.user.update({
      where: { id: actor.userId },
      data: {
        email: tombstoneEmail(actor.userId),
        firstName: '',
        lastName: '',
        phone: null,
        isActive: false,
        twoStepLogin: false,
        deletedAt: now,
        updatedAt: now,
      },
    });
    await tx.patient.update({
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
    await tx.refreshToken.updateMany({ where: { userId: actor.userId, revokedAt: null }, data: { revokedAt: now } });
    await tx.otpCode.deleteMany({ where: { userId: actor.userId } });
    // Every file the account uploaded that only served the account goes too.
    const files = await tx.mediaFile.findMany({ where: { ownerId: actor.userId, kind: 'avatar' }, select: { id: true, storageKey: true } });
    if (patient.avatarId && !files.some((file) => file.id === patient.avatarId)) {
      const avatar = await tx.mediaFile.findUnique({ where: { id: patient.avatarId }, select: { id: true, storageKey: true } });
      if (avatar) files.push(avatar);
    }
    await tx.mediaFile.deleteMany({ where: { id: { in: files.map((file) => file.id) } } });
    await recordAudit(tx, ctx.meta, { action: 'account.erase', outcome: 'success', actorId: actor.userId }, now);
    return files.map((file) => file.storageKey);
  });
  await removeObjects(ctx, obsoleteKeys);
}
