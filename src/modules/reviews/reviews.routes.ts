// HTTP routes of the reviews module: `/v1/api/doctor/reviews/...` (public reads, patients' reviews, edits by the
// author or an admin) and the latest reviews at `/v1/api/public-portal/list/doctor/reviews/`.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../plugins/auth.ts';
import { idParamsSchema } from '../../schemas/common.ts';
import { pageQuerySchema, requestUrl, toPage } from '../../schemas/pagination.ts';
import * as schemas from './reviews.schemas.ts';
import * as reviews from './reviews.service.ts';

const TAGS = ['reviews'];

const reviewsRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/reviews',
    {
      config: { auth: 'public' },
      schema: {
        operationId: 'listReviews',
        tags: TAGS,
        summary: 'List reviews',
        description: 'Newest first; `doctorId` keeps one doctor’s reviews. Reviews of hidden doctors are not listed. Reviewers show only their first name.',
        querystring: schemas.reviewListQuery,
        response: { 200: schemas.reviewPageSchema },
      },
    },
    async (request) => {
      const { count, results } = await reviews.listReviews(request.ctx, request.query);
      return toPage(requestUrl(request, request.ctx.config.publicUrl), request.query, count, results);
    },
  );

  app.post(
    '/reviews',
    {
      config: { auth: ['patient'], problems: [409] },
      schema: {
        operationId: 'createReview',
        tags: TAGS,
        summary: 'Review a doctor',
        description:
          'For patients with a `completed` appointment with the doctor (else 403 `forbidden`); one review per patient and doctor (a second answers 409 `conflict`). ' +
          '`rating` is an integer 1..5. The doctor’s `rating` changes at once.',
        body: schemas.createReviewBody,
        response: { 201: schemas.reviewSchema },
      },
    },
    async (request, reply) => reply.code(201).send(await reviews.createReview(request.ctx, request.body, actorOf(request))),
  );

  app.get(
    '/reviews/:id',
    {
      config: { auth: 'public' },
      schema: { operationId: 'getReview', tags: TAGS, summary: 'Get a review', params: idParamsSchema, response: { 200: schemas.reviewSchema } },
    },
    async (request) => reviews.getReview(request.ctx, request.params),
  );

  app.put(
    '/reviews/:id',
    {
      config: { auth: 'user' },
      schema: {
        operationId: 'replaceReview',
        tags: TAGS,
        summary: 'Replace a review',
        description: 'The author or an admin; anyone else gets 404. An omitted comment becomes empty.',
        params: idParamsSchema,
        body: schemas.putReviewBody,
        response: { 200: schemas.reviewSchema },
      },
    },
    async (request) => reviews.replaceReview(request.ctx, { ...request.body, id: request.params.id }, actorOf(request)),
  );

  app.patch(
    '/reviews/:id',
    {
      config: { auth: 'user' },
      schema: {
        operationId: 'updateReview',
        tags: TAGS,
        summary: 'Update a review',
        description: 'The author or an admin; anyone else gets 404. Changes only the fields sent.',
        params: idParamsSchema,
        body: schemas.patchReviewBody,
        response: { 200: schemas.reviewSchema },
      },
    },
    async (request) => reviews.updateReview(request.ctx, { ...request.body, id: request.params.id }, actorOf(request)),
  );

  app.delete(
    '/reviews/:id',
    {
      config: { auth: 'user' },
      schema: {
        operationId: 'deleteReview',
        tags: TAGS,
        summary: 'Delete a review',
        description: 'The author or an admin; anyone else gets 404. The doctor’s rating is recounted.',
        params: idParamsSchema,
        response: { 204: z.undefined().describe('Deleted.') },
      },
    },
    async (request, reply) => {
      await reviews.deleteReview(request.ctx, request.params, actorOf(request));
      return reply.code(204).send();
    },
  );
};

/** `public-portal/list/doctor/reviews/`: the latest reviews across doctors. */
export const portalReviewRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/list/doctor/reviews',
    {
      config: { auth: 'public' },
      schema: {
        operationId: 'listLatestReviews',
        tags: ['portal'],
        summary: 'Latest reviews across doctors',
        description: 'Newest first, paged; reviews of hidden doctors are left out. Reviewers show only their first name.',
        querystring: pageQuerySchema,
        response: { 200: schemas.reviewPageSchema },
      },
    },
    async (request) => {
      const { count, results } = await reviews.listReviews(request.ctx, request.query);
      return toPage(requestUrl(request, request.ctx.config.publicUrl), request.query, count, results);
    },
  );
};

export default reviewsRoutes;
