// HTTP routes of appointments (`/v1/api/appointment/...`).
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { actorOf } from '../../plugins/auth.ts';
import { idempotencyHeaders, idempotent } from '../../plugins/idempotency.ts';
import { idParamsSchema } from '../../schemas/common.ts';
import { pageSchema, requestUrl, toPage } from '../../schemas/pagination.ts';
import * as schemas from './appointments.schemas.ts';
import * as appointments from './appointments.service.ts';
import * as reschedules from './reschedule.service.ts';

const TAGS = ['appointments'];
const PATIENT = ['patient'] as const;
const DOCTOR = ['doctor'] as const;

/** Options and handler of the caller's appointment list as a patient or as a doctor. */
function listRoute(as: 'patient' | 'doctor', operationId: string, summary: string) {
  const listAppointments = as === 'patient' ? appointments.listForPatient : appointments.listForDoctor;
  return {
    options: {
      config: { auth: as === 'patient' ? PATIENT : DOCTOR },
      schema: {
        operationId,
        tags: TAGS,
        summary,
        description:
          'Filters: `status` (one or several, comma-separated), `from` and `to` (instants, or dates in UTC where `to` includes its day). Ordered by start time.',
        querystring: schemas.listQuery,
        response: { 200: pageSchema(schemas.appointmentSchema) },
      },
    },
    handler: async (request: FastifyRequest<{ Querystring: schemas.ListQuery }>) => {
      const { count, results } = await listAppointments(request.ctx, request.query, actorOf(request));
      return toPage(requestUrl(request, request.ctx.config.publicUrl), request.query, count, results);
    },
  };
}

const appointmentsRoutes: FastifyPluginAsyncZod = async (app) => {
  const patientList = listRoute('patient', 'listPatientAppointments', 'The caller’s appointments as a patient');
  app.get('/patient', patientList.options, patientList.handler);

  app.post(
    '/patient',
    {
      config: { auth: PATIENT, problems: [404, 409, 422] },
      ...idempotent({ status: 201 }),
      schema: {
        operationId: 'bookAppointment',
        tags: TAGS,
        summary: 'Book a free slot',
        description:
          'Either `holdId` (the slot of your live hold, which is spent) or `doctorId` and `startsAt`, the start of a slot offered by `GET doctor/available-times-patient/`. ' +
          'Answers 201 `pending`, or `confirmed` when the doctor auto-confirms (still `pending` for a patient with the doctor’s `confirmAfterNoShows` no-shows with them); an expired or foreign hold answers 409 `slot_unavailable`, ' +
          'a taken, past or unoffered slot answers 409 `slot_unavailable`; more than 5 upcoming (pending or confirmed) appointments with one doctor or 20 in all, ' +
          '422 `limit_reached`. The doctor is emailed. Honours `Idempotency-Key`.',
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
    async (request) => appointments.getForPatient(request.ctx, request.params, actorOf(request)),
  );

  app.post(
    '/patient/:id/cancel',
    {
      config: { auth: PATIENT, problems: [404, 409, 422] },
      ...idempotent({ status: 200 }),
      schema: {
        operationId: 'cancelAppointment',
        tags: TAGS,
        summary: 'Cancel one of the caller’s appointments',
        description:
          'Only `requested`, `pending` or `confirmed` appointments; anything else (cancelling twice included) answers 422 `invalid_transition`; ' +
          'a booked one less than the doctor’s `cancelNoticeMinutes` before its start answers 422 `policy_violation`. The doctor is emailed a METHOD:CANCEL invitation. Honours `Idempotency-Key`.',
        headers: idempotencyHeaders,
        params: idParamsSchema,
        body: schemas.cancelBody.nullish(),
        response: { 200: schemas.appointmentSchema },
      },
    },
    async (request) => appointments.cancelAsPatient(request.ctx, { ...request.body, id: request.params.id }, actorOf(request)),
  );

  app.post(
    '/patient/:id/reschedule',
    {
      config: { auth: PATIENT, problems: [404, 409, 422] },
      ...idempotent({ status: 201 }),
      schema: {
        operationId: 'rescheduleAppointment',
        tags: TAGS,
        summary: 'Move one of the caller’s appointments to another free slot',
        description:
          'Exactly one of `startsAt` (a free slot) and `holdId` (your live hold with the same doctor). Answers 201 with the new appointment, in the same status; ' +
          'the old one becomes `rescheduled` in the same transaction, linked by `rescheduledFromId`/`rescheduledToId`. A time that is not free answers 409 `slot_unavailable` ' +
          'and changes nothing; less than the doctor’s `cancelNoticeMinutes` before the start, or a chain longer than `maxReschedules`, 422 `policy_violation`; ' +
          'only `pending` and `confirmed` appointments move (422 `invalid_transition`). Both parties are emailed; a confirmed one’s invitation keeps its UID with a higher SEQUENCE. ' +
          'Honours `Idempotency-Key`.',
        headers: idempotencyHeaders,
        params: idParamsSchema,
        body: schemas.patientRescheduleBody,
        response: { 201: schemas.appointmentSchema },
      },
    },
    async (request, reply) => reply.code(201).send(await reschedules.rescheduleAsPatient(request.ctx, { ...request.body, id: request.params.id }, actorOf(request))),
  );

  const doctorList = listRoute('doctor', 'listDoctorAppointments', 'The caller’s appointments as a doctor');
  app.get('/doctor', doctorList.options, doctorList.handler);

  app.post(
    '/doctor',
    {
      config: { auth: DOCTOR, problems: [404, 409, 422] },
      ...idempotent({ status: 201 }),
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

  app.post(
    '/doctor/:id/reschedule',
    {
      config: { auth: DOCTOR, problems: [404, 409, 422] },
      ...idempotent({ status: 201 }),
      schema: {
        operationId: 'rescheduleAppointmentAsDoctor',
        tags: TAGS,
        summary: 'Move one of the doctor’s appointments to another time',
        description:
          'Any time that collides with no other appointment or hold (with buffers); `endsAt` defaults to the present length. The doctor is not bound by notice, horizon, ' +
          'cancellation notice or `maxReschedules`. Otherwise as the patient’s reschedule: 201 the new appointment, the old one `rescheduled`, 409 `slot_unavailable` changes nothing.',
        headers: idempotencyHeaders,
        params: idParamsSchema,
        body: schemas.doctorRescheduleBody,
        response: { 201: schemas.appointmentSchema },
      },
    },
    async (request, reply) => reply.code(201).send(await reschedules.rescheduleAsDoctor(request.ctx, { ...request.body, id: request.params.id }, actorOf(request))),
  );

  app.patch(
    '/doctor/:id/update_status',
    {
      config: { auth: DOCTOR, problems: [404, 409, 422] },
      schema: {
        operationId: 'updateAppointmentStatus',
        tags: TAGS,
        summary: 'Move an appointment through the status workflow',
        description:
          '`requested → pending|rejected`, `pending → confirmed|rejected|cancelled`, `confirmed → completed|cancelled|no_show`, and `no_show → completed` within 24 hours of the no-show (a correction); `completed` and `no_show` only once the appointment has started. ' +
          'Anything else answers 422 `invalid_transition`; `requested → pending` takes the time, 409 `slot_unavailable` if it is no longer free. Each change is recorded in `statusHistory` and emailed to the patient (with an invitation when confirmed or cancelled).',
        params: idParamsSchema,
        body: schemas.updateStatusBody,
        response: { 200: schemas.appointmentSchema },
      },
    },
    async (request) => appointments.updateStatus(request.ctx, { ...request.body, id: request.params.id }, actorOf(request)),
  );
};

export default appointmentsRoutes;
