// Reviews of doctors: public reads; patients with a completed appointment write one per doctor;
// the author or an admin edits or deletes it. Every change of one doctor's reviews runs under that
// doctor's review lock and recounts the rating in the same transaction, so the aggregate stays exact.
import { inTransaction, type Actor, type ServiceContext, type TxContext } from '../../lib/context.ts';
import type { DbClient } from '../../lib/db.ts';
import { lockKey } from '../../lib/locks.ts';
import { pageWindow } from '../../schemas/pagination.ts';
import { ACCOUNTS_CACHE_REF } from '../accounts/index.ts';
import { DOCTORS_CACHE_REF, recountRating } from '../doctors/index.ts';
import { alreadyReviewed, notAPatientOf, reviewNotFound } from './reviews.errors.ts';
import { countReviews, doctorExists, selectReviews, type ReviewFilter, type ReviewRow } from './reviews.queries.ts';
import {
  ANONYMOUS_REVIEWER,
  type CreateReviewInput,
  type PutReviewInput,
  type ReviewChangeInput,
  type ReviewListQuery,
  type ReviewView,
} from './reviews.schemas.ts';

/** Review changes of one doctor run one at a time from here to the end of the transaction. */
const lockDoctorReviews = (tx: TxContext, doctorId: string) => lockKey(tx.db, 'reviews', doctorId);

/** The read-cache reference (lib/cache.ts) of the reviews table. */
const REVIEWS_CACHE_REF = 'reviews';

/** What a public review answer shows: reviews, their reviewers' first names, their doctors' visibility. */
const reviewAnswerRefs = () => [REVIEWS_CACHE_REF, ACCOUNTS_CACHE_REF, DOCTORS_CACHE_REF];

/** A change of the doctor's reviews: rating recounted, cached review answers invalidated. */
async function reviewsChanged(tx: TxContext, doctorId: string): Promise<void> {
  await recountRating(tx, { doctorId });
  await tx.cache.invalidate([REVIEWS_CACHE_REF]);
}

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
  if (!row) throw reviewNotFound();
  return toView(row);
}

/** Reviews of visible doctors, newest first; `doctorId` keeps one doctor's. Also `public-portal/list/doctor/reviews/`. */
export async function listReviews(ctx: ServiceContext, query: ReviewListQuery): Promise<{ count: number; results: ReviewView[] }> {
  const filter: ReviewFilter = { doctorId: query.doctorId, visibleOnly: true };
  const key = `review-page:${JSON.stringify([query.doctorId, query.page, query.pageSize])}`;
  return ctx.cache.read({ key, refs: reviewAnswerRefs() }, async () => {
    const rows = await selectReviews(ctx.db, filter, pageWindow(query));
    const count = rows[0] ? Number(rows[0].total) : query.page > 1 ? await countReviews(ctx.db, filter) : 0;
    return { count, results: rows.map(toView) };
  });
}

/** One review of a visible doctor. */
export async function getReview(ctx: ServiceContext, input: { id: string }): Promise<ReviewView> {
  // An unknown review caches null, answered 404 like the first time.
  const view = await ctx.cache.read({ key: `review:${input.id}`, refs: reviewAnswerRefs() }, async () => {
    const [row] = await selectReviews(ctx.db, { id: input.id, visibleOnly: true }, { skip: 0, take: 1 });
    return row ? toView(row) : null;
  });
  if (!view) throw reviewNotFound();
  return view;
}

/**
 * A patient reviews a doctor they had a completed appointment with (403 otherwise, unknown
 * doctors included); one review per patient and doctor (409).
 */
export async function createReview(ctx: ServiceContext, input: CreateReviewInput, actor: Actor): Promise<ReviewView> {
  const patient = await ctx.db.patient.findUnique({ where: { userId: actor.userId }, select: { id: true } });
  if (!patient) throw notAPatientOf();
  return inTransaction(ctx, async (tx) => {
    await lockDoctorReviews(tx, input.doctorId);
    if (!(await doctorExists(tx.db, input.doctorId))) throw notAPatientOf();
    const completed = await tx.db.appointment.count({ where: { doctorId: input.doctorId, patientId: patient.id, status: 'completed' } });
    if (!completed) throw notAPatientOf();
    // Exact under the doctor's review lock; the unique constraint (P2002 → 409) stays the backstop.
    if (await tx.db.review.count({ where: { doctorId: input.doctorId, patientId: patient.id } })) throw alreadyReviewed();
    const now = tx.clock.now();
    const review = await tx.db.review.create({
      data: { doctorId: input.doctorId, patientId: patient.id, rating: input.rating, comment: input.comment ?? '', createdAt: now, updatedAt: now },
      select: { id: true },
    });
    await reviewsChanged(tx, input.doctorId);
    const view = await viewOf(tx.db, review.id);
    await tx.events.publish(tx, 'review.created', { review: view });
    return view;
  });
}

/** The review's doctor when the caller wrote it or is an admin; 404 for anyone else, as for a missing review. */
async function ownedReview(ctx: ServiceContext, id: string, actor: Actor): Promise<{ doctorId: string }> {
  const review = await ctx.db.review.findUnique({ where: { id }, select: { doctorId: true, patient: { select: { userId: true } } } });
  if (!review || (actor.role !== 'admin' && review.patient.userId !== actor.userId)) throw reviewNotFound();
  return { doctorId: review.doctorId };
}

/** PUT by the author or an admin: an omitted comment becomes empty. */
export function replaceReview(ctx: ServiceContext, input: PutReviewInput & { id: string }, actor: Actor): Promise<ReviewView> {
  return updateReview(ctx, { ...input, comment: input.comment ?? '' }, actor);
}

/** PATCH by the author or an admin: only the fields sent change. */
export async function updateReview(ctx: ServiceContext, input: ReviewChangeInput & { id: string }, actor: Actor): Promise<ReviewView> {
  const { id } = input;
  const { doctorId } = await ownedReview(ctx, id, actor);
  return inTransaction(ctx, async (tx) => {
    await lockDoctorReviews(tx, doctorId);
    const { count } = await tx.db.review.updateMany({
      where: { id },
      data: {
        ...(input.rating === undefined ? {} : { rating: input.rating }),
        ...(input.comment === undefined ? {} : { comment: input.comment }),
        updatedAt: tx.clock.now(),
      },
    });
    if (count === 0) throw reviewNotFound();
    if (input.rating !== undefined) await recountRating(tx, { doctorId });
    await tx.cache.invalidate([REVIEWS_CACHE_REF]);
    return viewOf(tx.db, id);
  });
}

/** Deleted by the author or an admin; the doctor's rating is recounted. */
export async function deleteReview(ctx: ServiceContext, input: { id: string }, actor: Actor): Promise<void> {
  const { doctorId } = await ownedReview(ctx, input.id, actor);
  await inTransaction(ctx, async (tx) => {
    await lockDoctorReviews(tx, doctorId);
    const { count } = await tx.db.review.deleteMany({ where: { id: input.id } });
    if (count === 0) throw reviewNotFound();
    await reviewsChanged(tx, doctorId);
  });
}
