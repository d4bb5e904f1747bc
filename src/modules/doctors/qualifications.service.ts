// Qualifications: doctors apply (optionally with a document), admins review; others see only approved entries.
import { inTransaction, type Actor, type ServiceContext, type TxContext } from '../../lib/context.ts';
import type { IncomingFile } from '../../lib/uploads.ts';
import { recordAudit } from '../audit/index.ts';
import { reviewedDocumentView, storeOptionalFile } from '../media/index.ts';
import { alreadyReviewedQualification, callerHasNoDoctorProfile, noDoctorProfile, noQualification } from './doctors.errors.ts';
import type { ApplyQualificationInput, QualificationView, ReviewInput } from './doctors.schemas.ts';

const qualificationSelect = {
  id: true,
  doctorId: true,
  degree: true,
  institution: true,
  year: true,
  documentId: true,
  status: true,
  note: true,
  createdAt: true,
  reviewedAt: true,
} as const;

type QualificationRow = {
  id: string;
  doctorId: string;
  degree: string;
  institution: string;
  year: number;
  documentId: string | null;
  status: QualificationView['status'];
  note: string | null;
  createdAt: Date;
  reviewedAt: Date | null;
};

function toView(ctx: Pick<ServiceContext, 'config'>, row: QualificationRow): QualificationView {
  return reviewedDocumentView(ctx.config, row);
}

/**
 * A doctor's qualifications, newest first: the doctor and admins see every status, anyone else only
 * approved ones of a visible doctor (404 for a hidden or unknown doctor).
 */
export async function listQualifications(ctx: ServiceContext, input: { doctorId: string }, actor: Actor): Promise<QualificationView[]> {
  const doctor = await ctx.db.doctor.findUnique({ where: { id: input.doctorId }, select: { userId: true, deletedAt: true } });
  const seesAll = actor.role === 'admin' || doctor?.userId === actor.userId;
  if (!doctor || (!seesAll && doctor.deletedAt)) throw noDoctorProfile();
  const rows = await ctx.db.qualification.findMany({
    where: { doctorId: input.doctorId, ...(seesAll ? {} : { status: 'approved' }) },
    select: qualificationSelect,
    orderBy: [{ year: 'desc' }, { createdAt: 'desc' }],
  });
  return rows.map((row) => toView(ctx, row));
}

async function createQualification(tx: TxContext, doctorId: string, input: ApplyQualificationInput, documentId: string | null) {
  const now = tx.clock.now();
  return tx.db.qualification.create({
    data: { doctorId, degree: input.degree, institution: input.institution, year: input.year, documentId, createdAt: now, updatedAt: now },
    select: qualificationSelect,
  });
}

/** A doctor applies for a qualification, with an optional document (PDF, JPEG or PNG, at most 5 MiB): status `pending`. */
export async function applyQualification(
  ctx: ServiceContext,
  input: ApplyQualificationInput & { document?: IncomingFile | undefined },
  actor: Actor,
): Promise<QualificationView> {
  const doctor = await ctx.db.doctor.findUnique({ where: { userId: actor.userId }, select: { id: true } });
  if (!doctor) {
    input.document?.stream.resume();
    throw callerHasNoDoctorProfile();
  }
  const row = await storeOptionalFile(ctx, { file: input.document, kind: 'qualification_document', ownerId: actor.userId }, (tx, documentId) =>
    createQualification(tx, doctor.id, input, documentId),
  );
  return toView(ctx, row);
}

/** An admin approves or rejects a pending qualification; reviewing twice answers 422 `invalid_transition`. */
export async function reviewQualification(ctx: ServiceContext, input: ReviewInput & { id: string }, actor: Actor): Promise<QualificationView> {
  const { id } = input;
  return inTransaction(ctx, async (tx) => {
    const now = tx.clock.now();
    const { count } = await tx.db.qualification.updateMany({
      where: { id, status: 'pending' },
      data: { status: input.status, note: input.note ?? null, reviewedById: actor.userId, reviewedAt: now, updatedAt: now },
    });
    if (count === 0) {
      if (!(await tx.db.qualification.count({ where: { id } }))) throw noQualification();
      throw alreadyReviewedQualification();
    }
    const reviewed = await tx.db.qualification.findUniqueOrThrow({ where: { id }, select: { ...qualificationSelect, doctor: { select: { userId: true } } } });
    await recordAudit(tx, {
      action: 'qualification.review',
      outcome: 'success',
      actorId: actor.userId,
      subjectType: 'qualification',
      subjectId: id,
      subjectUserId: reviewed.doctor.userId,
      metadata: { status: input.status },
    });
    return toView(ctx, reviewed);
  });
}
