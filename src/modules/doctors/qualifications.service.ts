// Qualifications: doctors apply (optionally with a document), admins review; others see only approved entries.
import type { Actor, ServiceContext } from '../../lib/context.ts';
import type { DbClient } from '../../lib/db.ts';
import { NotFoundError, UnprocessableError } from '../../lib/errors.ts';
import { createWithDocument, type IncomingFile } from '../media/media.service.ts';
import { reviewedDocumentView, type MediaContext } from '../media/media.storage.ts';
import { recordAudit } from '../audit/audit.service.ts';
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
export async function listQualifications(ctx: ServiceContext, doctorId: string, actor: Actor): Promise<QualificationView[]> {
  const doctor = await ctx.db.doctor.findUnique({ where: { id: doctorId }, select: { userId: true, deletedAt: true } });
  const seesAll = actor.role === 'admin' || doctor?.userId === actor.userId;
  if (!doctor || (!seesAll && doctor.deletedAt)) throw new NotFoundError();
  const rows = await ctx.db.qualification.findMany({
    where: { doctorId, ...(seesAll ? {} : { status: 'approved' }) },
    select: qualificationSelect,
    orderBy: [{ year: 'desc' }, { createdAt: 'desc' }],
  });
  return rows.map((row) => toView(ctx, row));
}

async function createQualification(tx: DbClient, ctx: ServiceContext, doctorId: string, input: ApplyQualificationInput, documentId: string | null) {
  const now = ctx.clock.now();
  return tx.qualification.create({
    data: { doctorId, degree: input.degree, institution: input.institution, year: input.year, documentId, createdAt: now, updatedAt: now },
    select: qualificationSelect,
  });
}

/** A doctor applies for a qualification, with an optional document (PDF, JPEG or PNG, at most 5 MiB): status `pending`. */
export async function applyQualification(
  ctx: MediaContext,
  input: ApplyQualificationInput & { document?: IncomingFile | undefined },
  actor: Actor,
): Promise<QualificationView> {
  const doctor = await ctx.db.doctor.findUnique({ where: { userId: actor.userId }, select: { id: true } });
  if (!doctor) {
    input.document?.stream.resume();
    throw new NotFoundError({ detail: 'You have no doctor profile.' });
  }
  const row = await createWithDocument(ctx, input.document, { kind: 'qualification_document', ownerId: actor.userId }, (tx, documentId) =>
    createQualification(tx, ctx, doctor.id, input, documentId),
  );
  return toView(ctx, row);
}

/** An admin approves or rejects a pending qualification; reviewing twice answers 422 `invalid_transition`. */
export async function reviewQualification(ctx: ServiceContext, id: string, input: ReviewInput, actor: Actor): Promise<QualificationView> {
  return ctx.db.$transaction(async (tx) => {
    const now = ctx.clock.now();
    const { count } = await tx.qualification.updateMany({
      where: { id, status: 'pending' },
      data: { status: input.status, note: input.note ?? null, reviewedById: actor.userId, reviewedAt: now, updatedAt: now },
    });
    if (count === 0) {
      const exists = await tx.qualification.count({ where: { id } });
      if (!exists) throw new NotFoundError();
      throw new UnprocessableError({ code: 'invalid_transition', detail: 'The qualification has already been reviewed.' });
    }
    await recordAudit(tx, ctx.meta, { action: 'qualification.review', outcome: 'success', actorId: actor.userId, subject: id, metadata: { status: input.status } }, now);
    return toView(ctx, await tx.qualification.findUniqueOrThrow({ where: { id }, select: qualificationSelect }));
  });
}
