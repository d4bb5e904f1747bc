// Reviews of doctors: public reads; patients with a completed appointment write one per doctor;
// the author or an admin edits or deletes it. Every change recounts the doctor's rating in the
// same transaction, behind a lock on the doctor's row, so the aggregate stays exact.
import type { Actor, ServiceContext } from '../../lib/context.ts';
import type { DbClient } from '../../lib/db.ts';
import { ConflictError, ForbiddenError, NotFoundError } from '../../lib/errors.ts';
import { pageWindow } from '../../schemas/pagination.ts';
import { countReviews, lockDoctor, refreshRating, selectReviews, type ReviewFilter, type ReviewRow } from './reviews.queries.ts';
import { ANONYMOUS_REVIEWER, type CreateReviewInput, type ReviewChangeInput, type ReviewListQuery, type ReviewView } from './reviews.schemas.ts';

function toView(row: ReviewRow): ReviewView {
  return {
    id: row.id,
    doctorId: row.doctor_id,
    reviewer: { firstName: row.first_name ?? ANONYMOUS_REVIEWER },
    rating: row.rating,
    comment: row.comment,
    createdAt: row.created_at.toISOString(),
  };
}

async function viewOf(db: DbClient, id: string): Promise<ReviewView> {
  const [row] = await selectReviews(db, { id, visibleOnly: false }, { skip: 0, take: 1 });
  if (!row) throw new NotFoundError();
  return toView(row);
}

/** Reviews of visible doctors, newest first; `doctorId` keeps one doctor's. Also `public-portal/list/doctor/reviews/`. */
export async function listReviews(ctx: ServiceContext, query: ReviewListQuery): Promise<{ count: number; results: ReviewView[] }> {
  const filter: ReviewFilter = { doctorId: query.doctorId, visibleOnly: true };
  const rows = await selectReviews(ctx.db, filter, pageWindow(query));
  const count = rows[0] ? Number(rows[0].total) : query.page > 1 ? await countReviews(ctx.db, filter) : 0;
  return { count, results: rows.map(toView) };
}

/** One review of a visible doctor. */
export async function getReview(ctx: ServiceContext, id: string): Promise<ReviewView> {
  const [row] = await selectReviews(ctx.db, { id, visibleOnly: true }, { skip: 0, take: 1 });
  if (!row) throw new NotFoundError();
  return toView(row);
}

const NOT_A_PATIENT_OF = 'You can review a doctor only after a completed appointment with them.';

/**
 * A patient reviews a doctor they had a completed appointment with (403 otherwise, unknown
 * doctors included); one review per patient and doctor (409).
 */
export async function createReview(ctx: ServiceContext, input: CreateReviewInput, actor: Actor): Promise<ReviewView> {
  const patient = await ctx.db.patient.findUnique({ where: { userId: actor.userId }, select: { id: true } });
  if (!patient) throw new ForbiddenError({ detail: NOT_A_PATIENT_OF });
  return ctx.db.$transaction(async (tx) => {
    if (!(await lockDoctor(tx, input.doctorId))) throw new ForbiddenError({ detail: NOT_A_PATIENT_OF });
    const completed = await tx.appointment.count({ where: { doctorId: input.doctorId, patientId: patient.id, status: 'completed' } });
    if (!completed) throw new ForbiddenError({ detail: NOT_A_PATIENT_OF });
    // Exact under the doctor lock; the unique constraint (P2002 → 409) stays the backstop.
    if (await tx.review.count({ where: { doctorId: input.doctorId, patientId: patient.id } })) {
      throw new ConflictError({ detail: 'You have already reviewed this doctor: edit that review instead.' });
    }
    const now = ctx.clock.now();
    const review = await tx.review.create({
      data: { doctorId: input.doctorId, patientId: patient.id, rating: input.rating, comment: input.comment ?? '', createdAt: now, updatedAt: now },
      select: { id: true },
    });
    await refreshRating(tx, input.doctorId);
    return viewOf(tx, review.id);
  });
}

/** The review's doctor when the caller wrote it or is an admin; 404 for anyone else, as for a missing review. */
async function ownedReview(ctx: ServiceContext, id: string, actor: Actor): Promise<{ doctorId: string }> {
  const review = await ctx.db.review.findUnique({ where: { id }, select: { doctorId: true, patient: { select: { userId: true } } } });
  if (!review || (actor.role !== 'admin' && review.patient.userId !== actor.userId)) throw new NotFoundError();
  return { doctorId: review.doctorId };
}

/** PUT (`replace`: an omitted comment becomes empty) or PATCH by the author or an admin. */
export async function updateReview(ctx: ServiceContext, id: string, input: ReviewChangeInput, actor: Actor, replace: boolean): Promise<ReviewView> {
  const { doctorId } = await ownedReview(ctx, id, actor);
  return ctx.db.$transaction(async (tx) => {
    await lockDoctor(tx, doctorId);
    const comment = replace ? (input.comment ?? '') : input.comment;
    const { count } = await tx.review.updateMany({
      where: { id },
      data: {
        ...(input.rating === undefined ? {} : { rating: input.rating }),
        ...(comment === undefined ? {} : { comment }),
        updatedAt: ctx.clock.now(),
      },
    });
    if (count === 0) throw new NotFoundError();
    if (input.rating !== undefined) await refreshRating(tx, doctorId);
    return viewOf(tx, id);
  });
}

/** Deleted by the author or an admin; the doctor's rating is recounted. */
export async function deleteReview(ctx: ServiceContext, id: string, actor: Actor): Promise<void> {
  const { doctorId } = await ownedReview(ctx, id, actor);
  await ctx.db.$transaction(async (tx) => {
    await lockDoctor(tx, doctorId);
    const { count } = await tx.review.deleteMany({ where: { id } });
    if (count === 0) throw new NotFoundError();
    await refreshRating(tx, doctorId);
  });
}
