// HTTP routes of the reports module (`/v1/api/operations/...`): the appointment report, and CSV exports and their follow-up.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { actorOf } from '../../plugins/auth.ts';
import { idParamsSchema } from '../../schemas/common.ts';
import * as exports from './exports.service.ts';
import * as reports from './reports.service.ts';
import * as schemas from './reports.schemas.ts';

const TAGS = ['reports'];

const reportsRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/reports/appointments',
    {
      config: { auth: ['admin', 'doctor'], problems: [404] },
      schema: {
        operationId: 'getAppointmentReport',
        tags: TAGS,
        summary: 'Count appointments by day, doctor or status',
        description:
          'Appointments whose `startsAt` falls on the dates `from`..`to` (both included, at most 366 days) in `REPORT_TIMEZONE` (default UTC), ' +
          'counted per day of `startsAt` in that zone, per doctor (`key` is the doctor’s id) or per status; only keys with appointments are listed, ' +
          'in order (days, doctor ids, statuses in the workflow’s order), and `totals` adds them all up. `total` counts every status, `rescheduled` included. Admins see every doctor, or one with `doctorId` ' +
          '(404 if unknown); a doctor sees their own appointments, and another doctor’s `doctorId` answers 404.',
        querystring: schemas.reportQuery,
        response: { 200: schemas.reportSchema },
      },
    },
    async (request) => reports.appointmentReport(request.ctx, request.query, actorOf(request)),
  );

  app.post(
    '/exports',
    {
      config: { auth: ['admin', 'doctor'], problems: [422] },
      schema: {
        operationId: 'requestCsvExport',
        tags: TAGS,
        summary: 'Export appointments or patients as CSV',
        description:
          'Queues a CSV export (RFC 4180, UTF-8, header row, CRLF). Admins export `appointments` (every doctor) or `patients` (erased accounts left out); ' +
          'doctors their own `appointments` only (`patients` answers 403). `from`/`to` are dates in `REPORT_TIMEZONE`, both included: of `startsAt` for ' +
          'appointments, of `createdAt` for patients. Columns: appointments `id, startsAt, endsAt, status, type, doctorId, doctorFirstName, doctorLastName, ' +
          'patientId, patientFirstName, patientLastName, reason, createdAt`; patients `id, email, firstName, lastName, phone, gender, dateOfBirth, createdAt`; ' +
          'instants in ISO 8601 UTC. A cell that starts with `=`, `+`, `-`, `@`, tab or carriage return is prefixed with `\'` so spreadsheets do not run it. ' +
          'When the file is ready (a small clinic’s within about 30 s) the requester gets a mail with the link, served to them only for 24 h. ' +
          'One export per requester at a time: while theirs is queued or being built, another request answers 422 `limit_reached` and queues nothing ' +
          '(another requester, of any role, is not held back). Audited.',
        body: schemas.exportBody,
        response: { 202: schemas.exportRequestedSchema },
      },
    },
    async (request, reply) => reply.code(202).send(await exports.requestExport(request.ctx, request.body, actorOf(request))),
  );

  app.get(
    '/exports/:id',
    {
      config: { auth: ['admin', 'doctor'], problems: [404] },
      schema: {
        operationId: 'getCsvExport',
        tags: TAGS,
        summary: 'Follow a CSV export',
        description: 'The export’s status, its data rows once ready, and `downloadUrl` while it is ready and not expired. Only its requester sees it: anyone else (another admin too) gets 404.',
        params: idParamsSchema,
        response: { 200: schemas.exportSchema },
      },
    },
    async (request) => exports.getExport(request.ctx, request.params, actorOf(request)),
  );
};

export default reportsRoutes;
