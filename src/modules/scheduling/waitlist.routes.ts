// HTTP routes of the waitlist (`/v1/api/appointment/waitlist/...`).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../plugins/auth.ts';
import { idParamsSchema } from '../../schemas/common.ts';
import { pageSchema, requestUrl, toPage } from '../../schemas/pagination.ts';
import { appointmentSchema } from './appointments.schemas.ts';
import * as schemas from './waitlist.schemas.ts';
import * as waitlist from './waitlist.service.ts';

const TAGS = ['appointments'];
const PATIENT = ['patient'] as const;

const waitlistRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/waitlist',
    {
      config: { auth: PATIENT, problems: [404] },
      schema: {
        operationId: 'listWaitlistEntries',
        tags: TAGS,
        summary: 'The caller’s waiting list entries, newest first',
        querystring: schemas.listEntriesQuery,
        response: { 200: pageSchema(schemas.entrySchema) },
      },
    },
    async (request) => {
      const { count, results } = await waitlist.listEntries(request.ctx, request.query, actorOf(request));
      return toPage(requestUrl(request, request.ctx.config.publicUrl), request.query, count, results);
    },
  );

  app.post(
    '/waitlist',
    {
      config: { auth: PATIENT, problems: [404, 422] },
      schema: {
        operationId: 'createWaitlistEntry',
        tags: TAGS,
        summary: 'Wait for a slot of a doctor',
        description:
          '`from` and `to` are dates in the doctor’s time zone, both included, at most 31 days, `from` not in the past. When a slot of the doctor on those dates ' +
          'becomes free (a cancellation, a reschedule away, deleted time off, a released or lapsed hold), the oldest waiting entry covering it is `offered`: the slot is held ' +
          'for its patient for `WAITLIST_OFFER_TTL` (default 15 minutes) and they are mailed. Accept or decline the offer; a lapsed offer makes the entry `expired` and the slot passes on. ' +
          'At most 3 entries waiting or offered per patient (422 `limit_reached`).',
        body: schemas.createEntryBody,
        response: { 201: schemas.entrySchema },
      },
    },
    async (request, reply) => reply.code(201).send(await waitlist.createEntry(request.ctx, request.body, actorOf(request))),
  );

  app.delete(
    '/waitlist/:id',
    {
      config: { auth: PATIENT, problems: [404] },
      schema: {
        operationId: 'cancelWaitlistEntry',
        tags: TAGS,
        summary: 'Leave the waiting list',
        description: 'The entry becomes `cancelled`; an offer it had passes to the next entry. An entry that is someone else’s or no longer waiting or offered answers 404.',
        params: idParamsSchema,
        response: { 204: z.undefined().describe('Cancelled') },
      },
    },
    async (request, reply) => {
      await waitlist.cancelEntry(request.ctx, request.params, actorOf(request));
      return reply.code(204).send();
    },
  );

  app.post(
    '/waitlist/:id/accept',
    {
      config: { auth: PATIENT, problems: [404, 409, 422] },
      schema: {
        operationId: 'acceptWaitlistOffer',
        tags: TAGS,
        summary: 'Book the slot offered to a waiting list entry',
        description:
          'Books the held slot like `POST appointment/patient/` (pending, or confirmed when the doctor auto-confirms; the per-patient caps apply, 422 `limit_reached`) and the entry becomes `booked`. ' +
          'An entry without an offer answers 409 `conflict`; a lapsed offer 409 `slot_unavailable`.',
        params: idParamsSchema,
        body: schemas.acceptOfferBody,
        response: { 201: appointmentSchema },
      },
    },
    async (request, reply) => reply.code(201).send(await waitlist.acceptOffer(request.ctx, { ...request.body, ...request.params }, actorOf(request))),
  );

  app.post(
    '/waitlist/:id/decline',
    {
      config: { auth: PATIENT, problems: [404, 409] },
      schema: {
        operationId: 'declineWaitlistOffer',
        tags: TAGS,
        summary: 'Decline the slot offered to a waiting list entry',
        description: 'The slot passes to the next entry in line; this entry waits again for other slots. An entry without an offer answers 409 `conflict`.',
        params: idParamsSchema,
        response: { 200: schemas.entrySchema },
      },
    },
    async (request) => waitlist.declineOffer(request.ctx, request.params, actorOf(request)),
  );
};

export default waitlistRoutes;
