// Doctor applications: a patient applies (one open application at a time), admins approve or reject in one transaction.
import type { Actor, ServiceContext } from '../../lib/context.ts';
import type { DbClient } from '../../lib/db.ts';
import { ConflictError, NotFoundError, UnprocessableError, ValidationError } from '../../lib/errors.ts';
import { enqueueMail } from '../../lib/mail-queue.ts';
import { pageWindow } from '../../schemas/pagination.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { createWithDocument, type IncomingFile } from '../media/media.service.ts';
import { reviewedDocumentView, type MediaContext } from '../media/media.storage.ts';
import { operationsMails } from './operations.mails.ts';
import type { ApplicationListQuery, ApplicationView, ApplyInput, DecisionInput } from './operations.schemas.ts';

const applicationSelect = {
  id: true,
  userId: true,
  licenseNumber: true,
  bio: true,
  specializationIds: true,
  designationIds: true,
  yearsOfExperience: true,
  documentId: true,
  status: true,
  note: true,
  createdAt: true,
  reviewedAt: true,
} as const;

interface ApplicationRow {
  id: string;
  userId: string;
  licenseNumber: string;
  bio: string;
  specializationIds: string[];
  designationIds: string[];
  yearsOfExperience: number;
  documentId: string | null;
  status: ApplicationView['status'];
  note: string | null;
  createdAt: Date;
  reviewedAt: Date | null;
}

function toView(ctx: Pick<ServiceContext, 'config'>, row: ApplicationRow): ApplicationView {
  return reviewedDocumentView(ctx.config, row);
}

/** 400 naming the field when a specialization or designation does not exist. */
async function assertCatalogueIds(db: DbClient, input: ApplyInput): Promise<void> {
  const errors: { path: string; message: string }[] = [];
  const specializations = await db.specialization.count({ where: { id: { in: input.specializationIds } } });
  if (specializations !== input.specializationIds.length) errors.push({ path: 'specializationIds', message: 'names an unknown specialization' });
  const designationIds = input.designationIds ?? [];
  if (designationIds.length && (await db.designation.count({ where: { id: { in: designationIds } } })) !== designationIds.length) {
    errors.push({ path: 'designationIds', message: 'names an unknown designation' });
  }
  if (errors.length) throw new ValidationError({ errors });
}

/** Inside the transaction: at most one pending application per user, under any concurrency. */
async function createApplication(tx: DbClient, ctx: ServiceContext, input: ApplyInput, actor: Actor, documentId: string | null): Promise<ApplicationRow> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`doctor-application:${actor.userId}`}))`;
  const open = await tx.doctorApplication.count({ where: { userId: actor.userId, status: 'pending' } });
  if (open) throw new ConflictError({ detail: 'You already have an application waiting for review.' });
  const now = ctx.clock.now();
  const row = await tx.doctorApplication.create({
    data: {
      userId: actor.userId,
      licenseNumber: input.licenseNumber,
      bio: input.bio,
      specializationIds: input.specializationIds,
      designationIds: input.designationIds ?? [],
      yearsOfExperience: input.yearsOfExperience,
      documentId,
      createdAt: now,
      updatedAt: now,
    },
    select: applicationSelect,
  });
  // Every active admin hears of it, in the same transaction.
  const applicant = await tx.user.findUniqueOrThrow({ where: { id: actor.userId }, select: { email: true } });
  const admins = await tx.user.findMany({ where: { role: 'admin', isActive: true, deletedAt: null }, select: { email: true } });
  const mail = operationsMails.newApplication({ applicantEmail: applicant.email, licenseNumber: input.licenseNumber });
  for (const admin of admins) await enqueueMail(ctx.jobs, tx, { to: admin.email, ...mail });
  return row;
}

/** A patient applies to become a doctor, optionally with a document (PDF, JPEG or PNG, at most 5 MiB). */
export async function apply(ctx: MediaContext, input: ApplyInput & { document?: IncomingFile | undefined }, actor: Actor): Promise<ApplicationView> {
  try {
    await assertCatalogueIds(ctx.db, input);
    // Checked before the upload too, so a second application does not store a file first.
    const open = await ctx.db.doctorApplication.count({ where: { userId: actor.userId, status: 'pending' } });
    if (open) throw new ConflictError({ detail: 'You already have an application waiting for review.' });
  } catch (error) {
    input.document?.stream.resume();
    throw error;
  }
  const row = await createWithDocument(ctx, input.document, { kind: 'application_document', ownerId: actor.userId }, (tx, documentId) =>
    createApplication(tx, ctx, input, actor, documentId),
  );
  return toView(ctx, row);
}

/** Admins see every application (optionally by status); anyone else only their own. Newest first. */
export async function listApplications(ctx: ServiceContext, query: ApplicationListQuery, actor: Actor): Promise<{ count: number; results: ApplicationView[] }> {
  const where = { ...(actor.role === 'admin' ? {} : { userId: actor.userId }), ...(query.status ? { status: query.status } : {}) };
  const [count, rows] = await Promise.all([
    ctx.db.doctorApplication.count({ where }),
    ctx.db.doctorApplication.findMany({ where, select: applicationSelect, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], ...pageWindow(query) }),
  ]);
  return { count, results: rows.map((row) => toView(ctx, row)) };
}

/**
 * Approves or rejects a pending application in one transaction. Approval creates (or restores) the
 * doctor profile from the application and makes the user a doctor, which takes effect on their
 * next request; the applicant is mailed the decision either way.
 */
export async function decide(ctx: ServiceContext, id: string, input: DecisionInput, actor: Actor): Promise<ApplicationView> {
  return ctx.db.$transaction(async (tx) => {
    const now = ctx.clock.now();
    const { count } = await tx.doctorApplication.updateMany({
      where: { id, status: 'pending' },
      data: { status: input.status, note: input.note ?? null, reviewedById: actor.userId, reviewedAt: now, updatedAt: now },
    });
    if (count === 0) {
      if (!(await tx.doctorApplication.count({ where: { id } }))) throw new NotFoundError();
      throw new UnprocessableError({ code: 'invalid_transition', detail: 'The application has already been decided.' });
    }
    const application = await tx.doctorApplication.findUniqueOrThrow({ where: { id }, select: applicationSelect });
    const applicant = await tx.user.findUniqueOrThrow({ where: { id: application.userId }, select: { email: true, role: true } });
    if (input.status === 'approved') {
      // Catalogue entries deleted since the application are skipped.
      const specializations = await tx.specialization.findMany({ where: { id: { in: application.specializationIds } }, select: { id: true } });
      const designations = await tx.designation.findMany({ where: { id: { in: application.designationIds } }, select: { id: true } });
      const profile = { bio: application.bio, yearsOfExperience: application.yearsOfExperience, deletedAt: null, updatedAt: now };
      const doctor = await tx.doctor.upsert({
        where: { userId: application.userId },
        create: { userId: application.userId, ...profile, createdAt: now },
        update: profile,
        select: { id: true },
      });
      await tx.doctorSpecialization.deleteMany({ where: { doctorId: doctor.id } });
      await tx.doctorSpecialization.createMany({ data: specializations.map((s) => ({ doctorId: doctor.id, specializationId: s.id })) });
      await tx.doctorDesignation.deleteMany({ where: { doctorId: doctor.id } });
      await tx.doctorDesignation.createMany({ data: designations.map((d) => ({ doctorId: doctor.id, designationId: d.id })) });
      // Admins stay admins; anyone else becomes a doctor.
      if (applicant.role !== 'admin') {
        await tx.user.update({ where: { id: application.userId }, data: { role: 'doctor', updatedAt: now } });
        await recordAudit(tx, ctx.meta, { action: 'role.change', outcome: 'success', actorId: actor.userId, subject: application.userId, metadata: { role: 'doctor' } }, now);
      }
    }
    await recordAudit(tx, ctx.meta, { action: 'doctor_application.review', outcome: 'success', actorId: actor.userId, subject: id, metadata: { status: input.status } }, now);
    await enqueueMail(ctx.jobs, tx, { to: applicant.email, ...operationsMails.decision({ approved: input.status === 'approved', note: application.note }) });
    return toView(ctx, application);
  });
}
