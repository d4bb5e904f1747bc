// HTTP routes of the doctors module: `/v1/api/doctor/...` (catalogues, the public list and
// profiles, the doctor's own profile, qualifications) and the same public list at
// `/v1/api/public-portal/list/doctor/`.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../plugins/auth.ts';
import { catalogueRoutes } from '../../plugins/catalogue.ts';
import { auditCatalogueChange } from '../audit/index.ts';
import multipartPlugin, { formInput, parseForm } from '../../plugins/multipart.ts';
import { ownProfileRoutes } from '../../plugins/own-profile.ts';
import { idParamsSchema } from '../../schemas/common.ts';
import { requestUrl } from '../../schemas/pagination.ts';
import * as schemas from './doctors.schemas.ts';
import * as doctors from './doctors.service.ts';
import * as qualifications from './qualifications.service.ts';

const TAGS = ['doctors'];

/** The public doctor list's route options and handler, at `doctor/list/` and `public-portal/list/doctor/`. */
function doctorListRoute(operationId: string, tags: string[]) {
  return {
    options: {
      config: { auth: 'public' as const },
      schema: {
        operationId,
        tags,
        summary: 'List doctors',
        description:
          '`search` matches first name, last name, email and specialization names (case-insensitive substring); ' +
          '`specialization` and `designation` filter by slug; `available=YYYY-MM-DD` keeps doctors with at least one free slot that day in their time zone; `ordering` is `rating`, `-rating` (unrated doctors last both ways), `fee`, `-fee` or `name` (last, then first name; the default). Hidden profiles are not listed.',
        querystring: schemas.doctorListQuery,
        response: { 200: schemas.doctorPageSchema },
      },
    },
    // The service answers the page already serialized by its schema (doctorPageSchema): sent as it is.
    handler: async (request: FastifyRequest<{ Querystring: schemas.DoctorListQuery }>, reply: FastifyReply) => {
      const page = await doctors.doctorListPage(request.ctx, request.query, requestUrl(request, request.ctx.config.publicUrl));
      return reply.type('application/json; charset=utf-8').send(page);
    },
  };
}

/** `public-portal/list/doctor/`: the very options and handler of `doctor/list/`, under the portal's tag. */
export const portalDoctorRoutes: FastifyPluginAsyncZod = async (app) => {
  const list = doctorListRoute('listPortalDoctors', ['portal']);
  app.get('/list/doctor', list.options, list.handler);
};

const doctorsRoutes: FastifyPluginAsyncZod = async (app) => {
  await app.register(multipartPlugin);

  await app.register(
    catalogueRoutes({
      table: 'specializations',
      path: '/specializations',
      tag: 'doctors',
      schemaName: 'Specialization',
      singular: 'specialization',
      pluralText: 'specializations',
      hasDescription: true,
      audit: auditCatalogueChange,
      deleteDescription: 'Doctors lose the specialization.',
    }),
  );
  await app.register(
    catalogueRoutes({
      table: 'designations',
      path: '/designations',
      tag: 'doctors',
      schemaName: 'Designation',
      singular: 'designation',
      pluralText: 'designations',
      hasDescription: false,
      audit: auditCatalogueChange,
      deleteDescription: 'Doctors lose the designation.',
    }),
  );

  // --- Doctors -----------------------------------------------------------------------------------

  const list = doctorListRoute('listDoctors', TAGS);
  app.get('/list', list.options, list.handler);

  await app.register(
    ownProfileRoutes({
      path: '/profile/me',
      role: 'doctor',
      tag: 'doctors',
      operationNoun: 'Doctor',
      schemas: { profile: schemas.doctorSchema, put: schemas.putDoctorBody, patch: schemas.patchDoctorBody },
      descriptions: {
        replace: 'Every field is required. `fee` is a decimal string with two places; unknown specialization or designation ids answer 400.',
        update: 'Changes only the fields sent; `specializationIds` and `designationIds` replace the whole list when sent.',
      },
      services: { get: doctors.getMyDoctor, replace: doctors.replaceMyDoctor, update: doctors.updateMyDoctor, setAvatar: doctors.setMyAvatar },
    }),
  );

  app.delete(
    '/profile/me',
    {
      config: { auth: ['doctor'], problems: [404] },
      schema: {
        operationId: 'deleteMyDoctorProfile',
        tags: TAGS,
        summary: 'Hide your doctor profile',
        description: 'The profile leaves the public list and profiles and stops accepting patients.',
        response: { 204: z.undefined().describe('Hidden.') },
      },
    },
    async (request, reply) => {
      await doctors.deleteMyDoctor(request.ctx, actorOf(request));
      return reply.code(204).send();
    },
  );

  app.get(
    '/profile/:email',
    {
      config: { auth: 'public', problems: [404] },
      schema: {
        operationId: 'getDoctorProfile',
        tags: TAGS,
        summary: 'Get a doctor by email',
        description: 'The email matches in any case. Hidden profiles answer 404.',
        params: schemas.emailParams,
        response: { 200: schemas.doctorSchema },
      },
    },
    async (request) => doctors.getDoctorByEmail(request.ctx, request.params),
  );

  // --- Qualifications ----------------------------------------------------------------------------

  app.get(
    '/:doctorId/qualifications',
    {
      config: { auth: 'user', problems: [404] },
      schema: {
        operationId: 'listQualifications',
        tags: TAGS,
        summary: 'List a doctor’s qualifications',
        description: 'A plain array, newest first. The doctor and admins see pending and rejected entries too; everyone else only approved ones.',
        params: schemas.doctorIdParams,
        response: { 200: z.array(schemas.qualificationSchema) },
      },
    },
    async (request) => qualifications.listQualifications(request.ctx, request.params, actorOf(request)),
  );

  app.post(
    '/qualifications/apply',
    {
      config: {
        auth: ['doctor'],
        problems: [404, 413, 415],
        form: { fields: schemas.applyQualificationBody, file: { name: 'document', required: false, description: 'PDF, JPEG or PNG, at most 5 MiB.' } },
      },
      schema: {
        operationId: 'applyQualification',
        tags: TAGS,
        summary: 'Apply for a qualification',
        description:
          'JSON `{degree, institution, year}`, or multipart/form-data with the same text fields followed by an optional file in the field `document` ' +
          '(PDF, JPEG or PNG, checked by content, at most 5 MiB). The document is visible to the doctor and admins only. Answers 201 with status `pending`.',
        consumes: ['application/json', 'multipart/form-data'],
        response: { 201: schemas.qualificationSchema },
      },
    },
    async (request, reply) => {
      const form = await formInput(request, 'document');
      const input = { ...parseForm(schemas.applyQualificationBody, form), document: form.file };
      return reply.code(201).send(await qualifications.applyQualification(request.ctx, input, actorOf(request)));
    },
  );

  app.patch(
    '/qualifications/:id/review',
    {
      config: { auth: ['admin'], problems: [404, 422] },
      schema: {
        operationId: 'reviewQualification',
        tags: TAGS,
        summary: 'Approve or reject a qualification',
        description: 'Only pending qualifications can be reviewed; a second review answers 422 `invalid_transition`.',
        params: idParamsSchema,
        body: schemas.reviewBody,
        response: { 200: schemas.qualificationSchema },
      },
    },
    async (request) => qualifications.reviewQualification(request.ctx, { ...request.body, id: request.params.id }, actorOf(request)),
  );
};

export default doctorsRoutes;
