// HTTP routes of booking rules (`/v1/api/doctor/booking-rules/`).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { actorOf } from '../../plugins/auth.ts';
import * as schemas from './rules.schemas.ts';
import * as rules from './rules.service.ts';

const TAGS = ['availability'];
const MANAGERS = ['doctor', 'admin'] as const;

const rulesRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/booking-rules',
    {
      config: { auth: MANAGERS, problems: [404] },
      schema: {
        operationId: 'getBookingRules',
        tags: TAGS,
        summary: 'A doctor’s booking rules',
        description: 'A doctor reads their own; an admin names the doctor with `?doctorId=`. A doctor who never set any has the defaults, which enforce nothing beyond v1.',
        querystring: schemas.rulesQuery,
        response: { 200: schemas.bookingRulesSchema },
      },
    },
    async (request) => rules.getRules(request.ctx, request.query, actorOf(request)),
  );

  app.put(
    '/booking-rules',
    {
      config: { auth: MANAGERS, problems: [404] },
      schema: {
        operationId: 'replaceBookingRules',
        tags: TAGS,
        summary: 'Replace a doctor’s booking rules',
        description:
          'Replaces the whole object (a field left out takes its default; unknown fields are refused). The rules apply to what is booked from then on: ' +
          'booked appointments keep the buffers they were booked with. An admin names the doctor with `?doctorId=`.',
        querystring: schemas.rulesQuery,
        body: schemas.replaceRulesBody,
        response: { 200: schemas.bookingRulesSchema },
      },
    },
    async (request) => rules.replaceRules(request.ctx, { ...request.body, doctorId: request.query.doctorId }, actorOf(request)),
  );
};

export default rulesRoutes;
