// HTTP routes of the operations module (`/v1/api/operations/...`): applying to become a doctor, and the admins' decisions.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { actorOf } from '../../plugins/auth.ts';
import multipartPlugin, { formInput, parseForm } from '../../plugins/multipart.ts';
import { idParamsSchema } from '../../schemas/common.ts';
import { requestUrl, toPage } from '../../schemas/pagination.ts';
import * as schemas from './operations.schemas.ts';
import * as operations from './operations.service.ts';

const TAGS = ['doctor-applications'];

const operationsRoutes: FastifyPluginAsyncZod = async (app) => {
  await app.register(multipartPlugin);

  app.post(
    '/apply/to-be/doctor',
    {
      config: {
        auth: ['patient'],
        problems: [409, 413, 415],
        form: { fields: schemas.applyBody, file: { name: 'document', required: false, description: 'PDF, JPEG or PNG, at most 5 MiB.' } },
      },
      schema: {
        operationId: 'applyToBeDoctor',
        tags: TAGS,
        summary: 'Apply to become a doctor',
        description:
          'JSON `{licenseNumber, bio?, specializationIds, designationIds?, yearsOfExperience}`, or multipart/form-data with the same text fields ' +
          '(id lists as JSON arrays or comma-separated) followed by an optional file in the field `document` (PDF, JPEG or PNG, checked by content, at most 5 MiB). ' +
          '`specializationIds` must not be empty. One open application per user: another while one is pending answers 409 `conflict`. Every active admin is mailed.',
        consumes: ['application/json', 'multipart/form-data'],
        response: { 201: schemas.applicationSchema },
      },
    },
    async (request, reply) => {
      const form = await formInput(request, 'document');
      const input = { ...parseForm(schemas.applyBody, form), document: form.file };
      return reply.code(201).send(await operations.apply(request.ctx, input, actorOf(request)));
    },
  );

  app.get(
    '/applications',
    {
      config: { auth: 'user' },
      schema: {
        operationId: 'listDoctorApplications',
        tags: TAGS,
        summary: 'List doctor applications',
        description: 'Admins see every application (`status` filters); anyone else sees only their own. Newest first.',
        querystring: schemas.applicationListQuery,
        response: { 200: schemas.applicationPageSchema },
      },
    },
    async (request) => {
      const { count, results } = await operations.listApplications(request.ctx, request.query, actorOf(request));
      return toPage(requestUrl(request, request.ctx.config.publicUrl), request.query, count, results);
    },
  );

  app.patch(
    '/applications/:id',
    {
      config: { auth: ['admin'], problems: [404, 422] },
      schema: {
        operationId: 'decideDoctorApplication',
        tags: TAGS,
        summary: 'Approve or reject a doctor application',
        description:
          'One transaction: approval creates the doctor profile from the application (bio, specializations, designations, experience) and makes the user a doctor from their next request. ' +
          'The applicant is mailed the decision. Only pending applications can be decided (else 422 `invalid_transition`); a rejected applicant may apply again.',
        params: idParamsSchema,
        body: schemas.decisionBody,
        response: { 200: schemas.applicationSchema },
      },
    },
    async (request) => operations.decide(request.ctx, { ...request.body, id: request.params.id }, actorOf(request)),
  );
};

export default operationsRoutes;
