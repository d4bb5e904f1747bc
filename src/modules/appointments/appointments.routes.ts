// HTTP routes of the appointments module (`/v1/api/appointment/...`).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { actorOf } from '../../plugins/auth.ts';
import { idempotencyHeaders, idempotent } from '../../plugins/idempotency.ts';
import { idParamsSchema } from '../../schemas/common.ts';
import { pageSchema, requestUrl, toPage } from '../../schemas/pagination.ts';
import * as schemas from './appointments.schemas.ts';
import * as appointments from './appointments.service.ts';

const TAGS = ['appointments'];
const PATIENT = ['patient'] as const;
const DOCTOR = ['doctor'] as const;

const LIST_DESCRIPTION =
  'Filters: `status` (one or several, comma-separated), `from` and `to` (instants, or dates in UTC where `to` includes its day). Ordered by start time.';

const appointmentsRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/patient',
    {
      config: { auth: PATIENT },
      schema: {
        operationId: 'listPatientAppointments',
        tags: TAGS,
        summary: 'The caller’s appointments as a patient',
        description: LIST_DESCRIPTION,
        querystring: schemas.listQuery,
        response: { 200: pageSchema(schemas.appointmentSchema) },
      },
    },
    async (request) => {
      const { count, results } = await appointments.list(request.ctx, request.query, actorOf(request), 'patient');
      return toPage(requestUrl(request, request.ctx.config.publicUrl), request.query, count, results);
    },
  );

  app.post(
    '/patient',
    {
      config: { auth: PATIENT, problems: [404, 409, 422] },
      ...idempotent(),
      schema: {
        operationId: 'bookAppointment',
        tags: TAGS,
        summary: 'Book a free slot',
        description:
          '`startsAt` must be the start of a slot offered by `GET doctor/available-times-patient/`. Answers 201 `pending`, or `confirmed` when the doctor auto-confirms; ' +
          'a taken, past or unoffered slot answers 409 `slot_unavailable`. The doctor is emailed. Honours `Idempotency-Key`.',
        headers: idempotencyHeaders,
        body: schemas.patientBookingBody,
        response: { 201: schemas.appointmentSchema },
      },
    },
    async (request, reply) => reply.code(201).send(await appointments.bookAsPatient(request.ctx, request.body, actorOf(request))),
  );

  app.get(
    '/patient/:id',
    {
      config: { auth: PATIENT, problems: [404] },
      schema: {
        operationId: 'getPatientAppointment',
        tags: TAGS,
        summary: 'One of the caller’s appointments',
        params: idParamsSchema,
        response: { 200: schemas.appointmentSchema },
      },
    },
    async (request) => appointments.getForPatient(request.ctx, request.params.id, actorOf(request)),
  );

  app.post(
    '/patient/:id/cancel',
    {
      config: { auth: PATIENT, problems: [404, 409, 422] },
      ...idempotent(),
      schema: {
        operationId: 'cancelAppointment',
        tags: TAGS,
        summary: 'Cancel one of the caller’s appointments',
        description:
          'Only `requested`, `pending` or `confirmed` appointments; anything else (cancelling twice included) answers 422 `invalid_transition`. The doctor is emailed a METHOD:CANCEL invitation. Honours `Idempotency-Key`.',
        headers: idempotencyHeaders,
        params: idParamsSchema,
        body: schemas.cancelBody.nullish(),
        response: { 200: schemas.appointmentSchema },
      },
    },
    async (request) => appointments.cancelAsPatient(request.ctx, request.params.id, request.body, actorOf(request)),
  );

  app.get(
    '/doctor',
    {
      config: { auth: DOCTOR },
      schema: {
        operationId: 'listDoctorAppointments',
        tags: TAGS,
        summary: 'The caller’s appointments as a doctor',
        description: LIST_DESCRIPTION,
        querystring: schemas.listQuery,
        response: { 200: pageSchema(schemas.appointmentSchema) },
      },
    },
    async (request) => {
      const { count, results } = await appointments.list(request.ctx, request.query, actorOf(request), 'doctor');
      return toPage(requestUrl(request, request.ctx.config.publicUrl), request.query, count, results);
    },
  );

  app.post(
    '/doctor',
    {
      config: { auth: DOCTOR, problems: [404, 409, 422] },
      ...idempotent(),
      schema: {
        operationId: 'bookAppointmentForPatient',
        tags: TAGS,
        summary: 'Book an appointment for a patient',
        description:
          'Exactly one of `patientId` and `patientEmail`. Any time that overlaps none of the doctor’s active appointments, the past included (walk-ins); ' +
          'otherwise 409 `slot_unavailable`. Answers 201 `confirmed`; the patient is emailed an invitation. `endsAt` defaults to 30 minutes after `startsAt`. Honours `Idempotency-Key`.',
        headers: idempotencyHeaders,
        body: schemas.doctorBookingBody,
        response: { 201: schemas.appointmentSchema },
      },
    },
    async (request, reply) => reply.code(201).send(await appointments.bookAsDoctor(request.ctx, request.body, actorOf(request))),
  );

  app.patch(
    '/doctor/:id/update_status',
    {
      config: { auth: DOCTOR, problems: [404, 422] },
      schema: {
        operationId: 'updateAppointmentStatus',
        tags: TAGS,
        summary: 'Move an appointment through the status workflow',
        description:
          '`requested → pending|rejected`, `pending → confirmed|rejected|cancelled`, `confirmed → completed|cancelled|no_show`; `completed` and `no_show` only once the appointment has started. ' +
          'Anything else answers 422 `invalid_transition`. Each change is recorded in `statusHistory` and emailed to the patient (with an invitation when confirmed or cancelled).',
        params: idParamsSchema,
        body: schemas.updateStatusBody,
        response: { 200: schemas.appointmentSchema },
      },
    },
    async (request) => appointments.updateStatus(request.ctx, request.params.id, request.body, actorOf(request)),
  );
};

export default appointmentsRoutes;
