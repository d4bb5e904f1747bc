// HTTP routes of availability (`/v1/api/doctor/available-times*`, `/v1/api/doctor/time-off*`).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../plugins/auth.ts';
import { idempotencyHeaders, idempotent } from '../../plugins/idempotency.ts';
import { idParamsSchema } from '../../schemas/common.ts';
import { appointmentSchema, requestAppointmentBody } from './appointments.schemas.ts';
import * as appointments from './appointments.service.ts';
import * as schemas from './availability.schemas.ts';
import * as availability from './availability.service.ts';

const TAGS = ['availability'];
const MANAGERS = ['doctor', 'admin'] as const;

const availabilityRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/available-times',
    {
      config: { auth: MANAGERS, problems: [404] },
      schema: {
        operationId: 'listAvailableTimes',
        tags: TAGS,
        summary: 'List a doctor’s weekly windows',
        description: 'A doctor sees their own windows; an admin names the doctor with `?doctorId=`.',
        querystring: schemas.doctorQuery,
        response: { 200: z.array(schemas.windowSchema) },
      },
    },
    async (request) => availability.listWindows(request.ctx, request.query, actorOf(request)),
  );

  app.post(
    '/available-times',
    {
      config: { auth: MANAGERS, problems: [404, 409] },
      schema: {
        operationId: 'createAvailableTime',
        tags: TAGS,
        summary: 'Add a weekly window',
        description:
          'Times are `HH:MM` in the doctor’s time zone (`endTime` may be `24:00`). A window that overlaps another window of the same doctor ' +
          '(same weekday, overlapping times and validity dates) answers 409; the database enforces it. Admins name the doctor with `doctorId`.',
        body: schemas.createWindowBody,
        response: { 201: schemas.windowSchema },
      },
    },
    async (request, reply) => reply.code(201).send(await availability.createWindow(request.ctx, request.body, actorOf(request))),
  );

  app.get(
    '/available-times/:id',
    {
      config: { auth: MANAGERS, problems: [404] },
      schema: {
        operationId: 'getAvailableTime',
        tags: TAGS,
        summary: 'Read one weekly window',
        description: 'Its doctor or an admin; anyone else gets 404.',
        params: idParamsSchema,
        response: { 200: schemas.windowSchema },
      },
    },
    async (request) => availability.getWindow(request.ctx, request.params, actorOf(request)),
  );

  app.put(
    '/available-times/:id',
    {
      config: { auth: MANAGERS, problems: [404, 409] },
      schema: {
        operationId: 'replaceAvailableTime',
        tags: TAGS,
        summary: 'Replace a weekly window',
        description: 'Omitted validity dates become open.',
        params: idParamsSchema,
        body: schemas.replaceWindowBody,
        response: { 200: schemas.windowSchema },
      },
    },
    async (request) => availability.replaceWindow(request.ctx, { ...request.body, id: request.params.id }, actorOf(request)),
  );

  app.patch(
    '/available-times/:id',
    {
      config: { auth: MANAGERS, problems: [404, 409] },
      schema: {
        operationId: 'updateAvailableTime',
        tags: TAGS,
        summary: 'Change fields of a weekly window',
        params: idParamsSchema,
        body: schemas.patchWindowBody,
        response: { 200: schemas.windowSchema },
      },
    },
    async (request) => availability.updateWindow(request.ctx, { ...request.body, id: request.params.id }, actorOf(request)),
  );

  app.delete(
    '/available-times/:id',
    {
      config: { auth: MANAGERS, problems: [404] },
      schema: {
        operationId: 'deleteAvailableTime',
        tags: TAGS,
        summary: 'Delete a weekly window',
        description: 'Appointments already booked in it stay.',
        params: idParamsSchema,
        response: { 204: z.undefined().describe('Deleted') },
      },
    },
    async (request, reply) => {
      await availability.deleteWindow(request.ctx, request.params, actorOf(request));
      return reply.code(204).send();
    },
  );

  app.get(
    '/available-times-patient',
    {
      config: { auth: 'public', problems: [404] },
      schema: {
        operationId: 'listFreeSlots',
        tags: TAGS,
        summary: 'Free bookable slots of a doctor',
        description:
          'The doctor’s weekly windows cut into slots on the local dates `from`..`to` (doctor’s time zone, both included, at most 31 days), ' +
          'minus active appointments, time off and the past, as UTC instants. A local time that does not exist (spring forward) is skipped; ' +
          'one that occurs twice (fall back) is offered once, at its first occurrence. A doctor not accepting patients offers none. ' +
          'Public (booking pages show availability before login); the general rate limit applies.',
        querystring: schemas.freeSlotsQuery,
        response: { 200: z.array(schemas.slotSchema) },
      },
    },
    async (request) => availability.freeSlots(request.ctx, request.query),
  );

  app.post(
    '/available-times-patient',
    {
      config: { auth: ['patient'], problems: [404, 409, 422] },
      ...idempotent({ status: 201 }),
      schema: {
        operationId: 'requestAppointment',
        tags: ['appointments'],
        summary: 'Ask a doctor for a time that is not offered',
        description:
          'Answers 201 with an appointment in status `requested`, which holds no time: it takes its time when the doctor moves it to `pending` ' +
          '(409 `slot_unavailable` then if the time is no longer free). A time in the past or a doctor not accepting patients answers 409 `slot_unavailable`; ' +
          'more than 3 requested appointments with one doctor or 10 in all, 422 `limit_reached`. Honours `Idempotency-Key`.',
        headers: idempotencyHeaders,
        body: requestAppointmentBody,
        response: { 201: appointmentSchema },
      },
    },
    async (request, reply) => reply.code(201).send(await appointments.requestAppointment(request.ctx, request.body, actorOf(request))),
  );

  app.get(
    '/time-off',
    {
      config: { auth: MANAGERS, problems: [404] },
      schema: {
        operationId: 'listTimeOff',
        tags: TAGS,
        summary: 'List a doctor’s time off',
        description: 'A doctor sees their own; an admin names the doctor with `?doctorId=`. Each block lists the active appointments inside it.',
        querystring: schemas.doctorQuery,
        response: { 200: z.array(schemas.timeOffSchema) },
      },
    },
    async (request) => availability.listTimeOff(request.ctx, request.query, actorOf(request)),
  );

  app.post(
    '/time-off',
    {
      config: { auth: MANAGERS, problems: [404] },
      schema: {
        operationId: 'createTimeOff',
        tags: TAGS,
        summary: 'Block time off',
        description:
          'No free slots are offered inside it. Active appointments inside it are listed in `conflictingAppointmentIds`, not cancelled.',
        body: schemas.createTimeOffBody,
        response: { 201: schemas.timeOffSchema },
      },
    },
    async (request, reply) => reply.code(201).send(await availability.createTimeOff(request.ctx, request.body, actorOf(request))),
  );

  app.delete(
    '/time-off/:id',
    {
      config: { auth: MANAGERS, problems: [404] },
      schema: {
        operationId: 'deleteTimeOff',
        tags: TAGS,
        summary: 'Delete a time-off block',
        params: idParamsSchema,
        response: { 204: z.undefined().describe('Deleted') },
      },
    },
    async (request, reply) => {
      await availability.deleteTimeOff(request.ctx, request.params, actorOf(request));
      return reply.code(204).send();
    },
  );
};

export default availabilityRoutes;
