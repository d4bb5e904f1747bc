// Request and response schemas of the reviews module (`doctor/reviews/` routes).
import { z } from 'zod';
import { safeString } from '../../lib/strings.ts';
import { pageQuerySchema, pageSchema } from '../../schemas/pagination.ts';

export const ANONYMOUS_REVIEWER = 'Anonymous';

export const reviewSchema = z
  .object({
    id: z.uuid(),
    doctorId: z.uuid(),
    reviewer: z
      .object({ firstName: z.string() })
      .describe(`Only the reviewer's first name; \`${ANONYMOUS_REVIEWER}\` for erased accounts and accounts without a first name.`),
    rating: z.number().int().min(1).max(5),
    comment: z.string(),
    createdAt: z.iso.datetime({ offset: true }),
  })
  .meta({ id: 'Review' });
export type ReviewView = z.infer<typeof reviewSchema>;

export const reviewPageSchema = pageSchema(reviewSchema).meta({ id: 'ReviewPage' });

export const reviewListQuery = pageQuerySchema.extend({ doctorId: z.uuid().optional() });
export type ReviewListQuery = z.output<typeof reviewListQuery>;

const rating = z.number().int().min(1).max(5).describe('An integer from 1 to 5.');
const comment = safeString({ max: 2000, multiline: true });

export const createReviewBody = z
  .strictObject({ doctorId: z.uuid(), rating, comment: comment.optional() })
  .meta({ id: 'CreateReviewRequest' });
export type CreateReviewInput = z.output<typeof createReviewBody>;

export const putReviewBody = z.strictObject({ rating, comment: comment.optional() }).meta({ id: 'PutReviewRequest' });
export const patchReviewBody = z
  .strictObject({ rating: rating.optional(), comment: comment.optional() })
  .meta({ id: 'PatchReviewRequest' });
export type ReviewChangeInput = z.output<typeof patchReviewBody>;
export type PutReviewInput = z.output<typeof putReviewBody>;

/** What the reviews module announces (lib/events.ts), in the transaction of the change. */
declare module '../../lib/events.ts' {
  interface EventPayloads {
    /** A patient reviewed a doctor: the review as the API answers it. */
    'review.created': { review: ReviewView };
  }
}
