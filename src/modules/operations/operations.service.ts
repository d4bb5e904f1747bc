// Doctor applications: a patient applies (one open application at a time), admins approve or reject in one transaction.
import { inTransaction, type Actor, type ServiceContext, type TxContext } from '../../lib/context.ts';
import type { DbClient } from '../../lib/db.ts';
import { enqueueMail } from '../../lib/mail-queue.ts';
import { lockKey } from '../../lib/locks.ts';
import type { IncomingFile } from '../../lib/uploads.ts';
import { pageWindow } from '../../schemas/pagination.ts';
import { activeAdminEmails, grantRole } from '../accounts/index.ts';
import { recordAudit } from '../audit/index.ts';
import { checkCatalogueIds, createProfileFromApplication } from '../doctors/index.ts';
import { reviewedDocumentView, storeOptionalFile } from '../media/index.ts';
import { alreadyDecided, applicationNotFound, applicationPending } from './operations.errors.ts';
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

/** Inside the transaction: at most one pending application per user, under any concurrency. */
async function createApplication(tx: TxContext, input: ApplyInput, actor: Actor, documentId: string | null): Promise<ApplicationRow> {
  await lockKey(tx.db, 'doctor-application', actor.userId);
  const open = await tx.db.doctorApplication.count({ where: { userId: actor.userId, status: 'pending' } });
  if (open) throw applicationPending();
  const now = tx.clock.now();
  const row = await tx.db.doctorApplication.create({
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
  const applicant = await tx.db.user.findUniqueOrThrow({ where: { id: actor.userId }, select: { email: true } });
  const mail = operationsMails.newApplication({ applicantEmail: applicant.email, licenseNumber: input.licenseNumber });
  for (const email of await activeAdminEmails(tx)) await enqueueMail(tx.jobs, tx.db, { to: email, ...mail });
  await tx.events.publish(tx, 'doctor_application.submitted', { application: toView(tx, row) });
  return row;
}

/** A patient applies to become a doctor, optionally with a document (PDF, JPEG or PNG, at most 5 MiB). */
export async function apply(ctx: ServiceContext, input: ApplyInput & { document?: IncomingFile | undefined }, actor: Actor): Promise<ApplicationView> {
  try {
    await checkCatalogueIds(ctx, { specializationIds: input.specializationIds, designationIds: input.designationIds ?? [] });
    // Checked before the upload too, so a second application does not store a file first.
    const open = await ctx.db.doctorApplication.count({ where: { userId: actor.userId, status: 'pending' } });
    if (open) throw applicationPending();
  } catch (error) {
    input.document?.stream.resume();
    throw error;
  }
  const row = await storeOptionalFile(ctx, { file: input.document, kind: 'application_document', ownerId: actor.userId }, (tx, documentId) =>
    createApplication(tx, input, actor, documentId),
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
export async function decide(ctx: ServiceContext, input: DecisionInput & { id: string }, actor: Actor): Promise<ApplicationView> {
  const { id } = input;
  return inTransaction(ctx, async (tx) => {
    const now = tx.clock.now();
    const { count } = await tx.db.doctorApplication.updateMany({
      where: { id, status: 'pending' },
      data: { status: input.status, note: input.note ?? null, reviewedById: actor.userId, reviewedAt: now, updatedAt: now },
    });
    if (count === 0) {
      if (!(await tx.db.doctorApplication.count({ where: { id } }))) throw applicationNotFound();
      throw alreadyDecided();
    }
    const application = await tx.db.doctorApplication.findUniqueOrThrow({ where: { id }, select: applicationSelect });
    const applicant = await tx.db.user.findUniqueOrThrow({ where: { id: application.userId }, select: { email: true } });
    if (input.status === 'approved') {
      await createProfileFromApplication(tx, application);
      await grantRole(tx, { userId: application.userId, role: 'doctor' }, actor);
    }
    await recordAudit(tx, {
      action: 'doctor_application.review',
      outcome: 'success',
      actorId: actor.userId,
      subjectType: 'doctor_application',
      subjectId: id,
      subjectUserId: application.userId,
      metadata: { status: input.status },
    });
    await enqueueMail(tx.jobs, tx.db, { to: applicant.email, ...operationsMails.decision({ approved: input.status === 'approved', note: application.note }) });
    const view = toView(ctx, application);
    await tx.events.publish(tx, 'doctor_application.decided', { application: view });
    return view;
  });
}

/** A user's applications, oldest first, for their data export. */
export function applicationsDataOf(db: DbClient, userId: string) {
  return db.doctorApplication.findMany({ where: { userId }, select: applicationSelect, orderBy: { createdAt: 'asc' } });
}
