// HTTP routes of slot holds (`/v1/api/appointment/holds/`).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../plugins/auth.ts';
import { idempotencyHeaders, idempotent } from '../../plugins/idempotency.ts';
import { idParamsSchema } from '../../schemas/common.ts';
import * as schemas from './holds.schemas.ts';
import * as holds from './holds.service.ts';

const TAGS = ['appointments'];
const PATIENT = ['patient'] as const;

const holdsRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/holds',
    {
      config: { auth: PATIENT, problems: [404, 409, 422] },
      ...idempotent({ status: 201 }),
      schema: {
        operationId: 'holdSlot',
        tags: TAGS,
        summary: 'Hold a free slot while finishing a booking',
        description:
          'The slot leaves everyone else’s free slots until `expiresAt` (`SLOT_HOLD_TTL`, default 5 minutes); book it with `POST appointment/patient/ {holdId}`. ' +
          'A patient has one hold: a new one releases the previous one. A slot that is not free (taken, held, inside the minimum notice or past the horizon) ' +
          'answers 409 `slot_unavailable`; a patient at the cap of upcoming appointments 422 `limit_reached`. Honours `Idempotency-Key`.',
        headers: idempotencyHeaders,
        body: schemas.createHoldBody,
        response: { 201: schemas.holdSchema },
      },
    },
    async (request, reply) => reply.code(201).send(await holds.createHold(request.ctx, request.body, actorOf(request))),
  );

  app.delete(
    '/holds/:id',
    {
      config: { auth: PATIENT, problems: [404] },
      schema: {
        operationId: 'releaseHold',
        tags: TAGS,
        summary: 'Release a hold',
        description: 'The slot is free again at once. A hold that expired, was booked, was released or is someone else’s answers 404.',
        params: idParamsSchema,
        response: { 204: z.undefined().describe('Released') },
      },
    },
    async (request, reply) => {
      await holds.releaseHold(request.ctx, request.params, actorOf(request));
      return reply.code(204).send();
    },
  );
};

export default holdsRoutes;
