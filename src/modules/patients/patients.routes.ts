// HTTP routes of the patients module (`/v1/api/patient/...`): the scoped list, records by id or email, the patient's own profile, avatar and access log.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../plugins/auth.ts';
import { ownProfileRoutes } from '../../plugins/own-profile.ts';
import { pageQuerySchema, requestUrl, toPage } from '../../schemas/pagination.ts';
import * as schemas from './patients.schemas.ts';
import * as patients from './patients.service.ts';

const TAGS = ['patients'];

const patientsRoutes: FastifyPluginAsyncZod = async (app) => {
  await app.register(
    ownProfileRoutes({
      path: '/patients/me',
      role: 'patient',
      tag: 'patients',
      operationNoun: 'Patient',
      schemas: { profile: schemas.patientSchema, put: schemas.putPatientBody, patch: schemas.patchPatientBody },
      descriptions: { replace: 'Every field is required; the optional ones take null.', update: 'Changes only the fields sent.' },
      services: { get: patients.getMyPatient, replace: patients.replaceMyPatient, update: patients.updateMyPatient, setAvatar: patients.setMyAvatar },
    }),
  );

  app.get(
    '/patients',
    {
      config: { auth: ['admin', 'doctor'] },
      schema: {
        operationId: 'listPatients',
        tags: TAGS,
        summary: 'List patients',
        description:
          'Admins see every patient, doctors only their patients (a `confirmed` or `completed` appointment together starting within the last 365 days or the next 30); patients get 403. ' +
          '`search` matches first name, last name and email (case-insensitive substring). Every patient listed is recorded in the audit trail and shown in that patient’s access log. ' +
          '`count` is exact up to 10,000 matches; beyond that it is a lower bound and the page carries `countIsEstimate: true` (absent otherwise).',
        querystring: schemas.patientListQuery,
        response: { 200: schemas.patientPageSchema },
      },
    },
    async (request) => {
      const { count, countIsEstimate, results } = await patients.listPatients(
        request.ctx,
        { ...request.query, route: request.routeOptions.url ?? '' },
        actorOf(request),
      );
      const page = toPage(requestUrl(request, request.ctx.config.publicUrl), request.query, count, results);
      return countIsEstimate ? { ...page, countIsEstimate } : page;
    },
  );

  app.get(
    '/patients/me/access-log',
    {
      config: { auth: ['patient'], problems: [404] },
      schema: {
        operationId: 'getMyAccessLog',
        tags: TAGS,
        summary: 'Who read or changed your record',
        description:
          'Every read or change of your record by someone else (a doctor, an admin, or the system), newest first, from the audit trail: ' +
          'reads of your profile, appointment changes, role and application decisions. An audited read shows here at once. Your own actions are not listed.',
        querystring: pageQuerySchema,
        response: { 200: schemas.accessLogPageSchema },
      },
    },
    async (request) => {
      const { count, results } = await patients.getMyAccessLog(request.ctx, request.query, actorOf(request));
      return toPage(requestUrl(request, request.ctx.config.publicUrl), request.query, count, results);
    },
  );

  app.delete(
    '/patients/me',
    {
      config: { auth: ['patient'], problems: [404] },
      schema: {
        operationId: 'deleteMyPatientAccount',
        tags: TAGS,
        summary: 'Erase your account',
        description:
          'Deactivates the account, revokes every session, erases name, phone, address, date of birth, emergency contact and avatar, and frees the email so it can register again. Appointments and reviews stay, anonymised.',
        response: { 204: z.undefined().describe('Erased.') },
      },
    },
    async (request, reply) => {
      await patients.deleteMyPatient(request.ctx, actorOf(request));
      return reply.code(204).send();
    },
  );

  app.get(
    '/patients/:patient',
    {
      config: { auth: 'user', problems: [404] },
      schema: {
        operationId: 'getPatient',
        tags: TAGS,
        summary: 'Get a patient by id or email',
        description:
          'For admins, the patient, and the patient’s doctors: a doctor with a `confirmed` or `completed` appointment with them starting within the last 365 days or the next 30 ' +
          '(cancelled, rejected, requested and pending ones do not count). Anyone else gets 404. Reads by anyone but the patient are recorded in the audit trail and shown in the patient’s access log.',
        params: schemas.patientParams,
        response: { 200: schemas.patientSchema },
      },
    },
    async (request) => patients.getPatient(request.ctx, { patient: request.params.patient, route: request.routeOptions.url ?? '' }, actorOf(request)),
  );
};

export default patientsRoutes;
