// HTTP routes of the patients module (`/v1/api/patient/...`): the scoped list, records by email, the patient's own profile and avatar.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../plugins/auth.ts';
import multipartPlugin from '../../plugins/multipart.ts';
import { requestUrl, toPage } from '../../schemas/pagination.ts';
import { avatarRoute } from '../media/media.http.ts';
import { withStorage } from '../media/media.storage.ts';
import * as schemas from './patients.schemas.ts';
import * as patients from './patients.service.ts';

const TAGS = ['patients'];

const patientsRoutes: FastifyPluginAsyncZod = async (app) => {
  await app.register(multipartPlugin);

  app.get(
    '/patients',
    {
      config: { auth: ['admin', 'doctor'] },
      schema: {
        operationId: 'listPatients',
        tags: TAGS,
        summary: 'List patients',
        description:
          'Admins see every patient, doctors only patients with an appointment with them; patients get 403. `search` matches first name, last name and email (case-insensitive substring). Every patient listed is recorded in the audit trail.',
        querystring: schemas.patientListQuery,
        response: { 200: schemas.patientPageSchema },
      },
    },
    async (request) => {
      const { count, results } = await patients.listPatients(request.ctx, { ...request.query, route: request.routeOptions.url ?? '' }, actorOf(request));
      return toPage(requestUrl(request, request.ctx.config.publicUrl), request.query, count, results);
    },
  );

  app.get(
    '/patients/me',
    {
      config: { auth: ['patient'], problems: [404] },
      schema: { operationId: 'getMyPatientProfile', tags: TAGS, summary: 'Get your patient profile', response: { 200: schemas.patientSchema } },
    },
    async (request) => patients.getMyPatient(request.ctx, actorOf(request)),
  );

  app.put(
    '/patients/me',
    {
      config: { auth: ['patient'], problems: [404] },
      schema: {
        operationId: 'replaceMyPatientProfile',
        tags: TAGS,
        summary: 'Replace your patient profile',
        description: 'Every field is required; the optional ones take null.',
        body: schemas.putPatientBody,
        response: { 200: schemas.patientSchema },
      },
    },
    async (request) => patients.updateMyPatient(request.ctx, request.body, actorOf(request)),
  );

  app.patch(
    '/patients/me',
    {
      config: { auth: ['patient'], problems: [404] },
      schema: {
        operationId: 'updateMyPatientProfile',
        tags: TAGS,
        summary: 'Update your patient profile',
        description: 'Changes only the fields sent.',
        body: schemas.patchPatientBody,
        response: { 200: schemas.patientSchema },
      },
    },
    async (request) => patients.updateMyPatient(request.ctx, request.body, actorOf(request)),
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
      await patients.deleteMyPatient(withStorage(request.ctx), actorOf(request));
      return reply.code(204).send();
    },
  );

  const avatar = avatarRoute({ role: 'patient', operationId: 'replaceMyPatientAvatar', tags: TAGS, response: schemas.patientSchema, setAvatar: patients.setMyAvatar });
  app.put('/patients/me/avatar', avatar.options, avatar.handler);

  app.get(
    '/patients/:email',
    {
      config: { auth: 'user', problems: [404] },
      schema: {
        operationId: 'getPatient',
        tags: TAGS,
        summary: 'Get a patient by email',
        description:
          'For admins, doctors with an appointment with the patient, and the patient; anyone else gets 404. Reads by anyone but the patient are recorded in the audit trail.',
        params: schemas.emailParams,
        response: { 200: schemas.patientSchema },
      },
    },
    async (request) =>
      patients.getPatientByEmail(request.ctx, { email: request.params.email, route: request.routeOptions.url ?? '' }, actorOf(request)),
  );
};

export default patientsRoutes;
