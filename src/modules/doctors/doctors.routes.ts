// HTTP routes of the doctors module (`/v1/api/doctor/...`): catalogues, the public list and profiles, the doctor's own profile.
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../plugins/auth.ts';
import multipartPlugin from '../../plugins/multipart.ts';
import { idParamsSchema } from '../../schemas/common.ts';
import { requestUrl, toPage } from '../../schemas/pagination.ts';
import { avatarRoute, formInput, parseForm } from '../media/media.http.ts';
import { withStorage } from '../media/media.storage.ts';
import * as catalogues from './catalogues.service.ts';
import * as schemas from './doctors.schemas.ts';
import * as doctors from './doctors.service.ts';
import * as qualifications from './qualifications.service.ts';

const TAGS = ['doctors'];
const noContent = (what: string) => z.undefined().describe(what);

/**
 * The public doctor list's route options and handler, shared with `public-portal/list/doctor/`:
 * `const list = doctorListRoute('listPortalDoctors', ['portal']); app.get('/list/doctor', list.options, list.handler);`
 */
export function doctorListRoute(operationId: string, tags: string[]) {
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
    handler: async (request: FastifyRequest<{ Querystring: schemas.DoctorListQuery }>) => {
      const { count, results } = await doctors.listDoctors(request.ctx, request.query);
      return toPage(requestUrl(request, request.ctx.config.publicUrl), request.query, count, results);
    },
  };
}

const doctorsRoutes: FastifyPluginAsyncZod = async (app) => {
  await app.register(multipartPlugin);

  // --- Catalogues --------------------------------------------------------------------------------

  app.get(
    '/specializations',
    {
      config: { auth: 'public' },
      schema: { operationId: 'listSpecializations', tags: TAGS, summary: 'List specializations', response: { 200: z.array(schemas.specializationSchema) } },
    },
    async (request) => catalogues.listSpecializations(request.ctx),
  );

  app.post(
    '/specializations',
    {
      config: { auth: ['admin'], problems: [409] },
      schema: {
        operationId: 'createSpecialization',
        tags: TAGS,
        summary: 'Create a specialization',
        description: 'The slug is derived from the name when not sent. A name or slug already in use answers 409 `conflict`.',
        body: schemas.createSpecializationBody,
        response: { 201: schemas.specializationSchema },
      },
    },
    async (request, reply) => reply.code(201).send(await catalogues.createSpecialization(request.ctx, request.body)),
  );

  app.get(
    '/specializations/:id',
    {
      config: { auth: 'public', problems: [404] },
      schema: { operationId: 'getSpecialization', tags: TAGS, summary: 'Get a specialization', params: idParamsSchema, response: { 200: schemas.specializationSchema } },
    },
    async (request) => catalogues.getSpecialization(request.ctx, request.params.id),
  );

  app.put(
    '/specializations/:id',
    {
      config: { auth: ['admin'], problems: [404, 409] },
      schema: {
        operationId: 'replaceSpecialization',
        tags: TAGS,
        summary: 'Replace a specialization',
        description: 'The slug is derived from the name when not sent; an omitted description becomes empty.',
        params: idParamsSchema,
        body: schemas.createSpecializationBody,
        response: { 200: schemas.specializationSchema },
      },
    },
    async (request) => catalogues.updateSpecialization(request.ctx, request.params.id, request.body, true),
  );

  app.patch(
    '/specializations/:id',
    {
      config: { auth: ['admin'], problems: [404, 409] },
      schema: {
        operationId: 'updateSpecialization',
        tags: TAGS,
        summary: 'Update a specialization',
        description: 'Changes only the fields sent; the slug stays unless one is sent.',
        params: idParamsSchema,
        body: schemas.patchSpecializationBody,
        response: { 200: schemas.specializationSchema },
      },
    },
    async (request) => catalogues.updateSpecialization(request.ctx, request.params.id, request.body, false),
  );

  app.delete(
    '/specializations/:id',
    {
      config: { auth: ['admin'], problems: [404] },
      schema: {
        operationId: 'deleteSpecialization',
        tags: TAGS,
        summary: 'Delete a specialization',
        description: 'Doctors lose the specialization.',
        params: idParamsSchema,
        response: { 204: noContent('Deleted.') },
      },
    },
    async (request, reply) => {
      await catalogues.deleteSpecialization(request.ctx, request.params.id);
      return reply.code(204).send();
    },
  );

  app.get(
    '/designations',
    {
      config: { auth: 'public' },
      schema: { operationId: 'listDesignations', tags: TAGS, summary: 'List designations', response: { 200: z.array(schemas.designationSchema) } },
    },
    async (request) => catalogues.listDesignations(request.ctx),
  );

  app.post(
    '/designations',
    {
      config: { auth: ['admin'], problems: [409] },
      schema: {
        operationId: 'createDesignation',
        tags: TAGS,
        summary: 'Create a designation',
        description: 'The slug is derived from the name when not sent. A name or slug already in use answers 409 `conflict`.',
        body: schemas.createDesignationBody,
        response: { 201: schemas.designationSchema },
      },
    },
    async (request, reply) => reply.code(201).send(await catalogues.createDesignation(request.ctx, request.body)),
  );

  app.get(
    '/designations/:id',
    {
      config: { auth: 'public', problems: [404] },
      schema: { operationId: 'getDesignation', tags: TAGS, summary: 'Get a designation', params: idParamsSchema, response: { 200: schemas.designationSchema } },
    },
    async (request) => catalogues.getDesignation(request.ctx, request.params.id),
  );

  app.put(
    '/designations/:id',
    {
      config: { auth: ['admin'], problems: [404, 409] },
      schema: {
        operationId: 'replaceDesignation',
        tags: TAGS,
        summary: 'Replace a designation',
        description: 'The slug is derived from the name when not sent.',
        params: idParamsSchema,
        body: schemas.createDesignationBody,
        response: { 200: schemas.designationSchema },
      },
    },
    async (request) => catalogues.updateDesignation(request.ctx, request.params.id, request.body, true),
  );

  app.patch(
    '/designations/:id',
    {
      config: { auth: ['admin'], problems: [404, 409] },
      schema: {
        operationId: 'updateDesignation',
        tags: TAGS,
        summary: 'Update a designation',
        description: 'Changes only the fields sent; the slug stays unless one is sent.',
        params: idParamsSchema,
        body: schemas.patchDesignationBody,
        response: { 200: schemas.designationSchema },
      },
    },
    async (request) => catalogues.updateDesignation(request.ctx, request.params.id, request.body, false),
  );

  app.delete(
    '/designations/:id',
    {
      config: { auth: ['admin'], problems: [404] },
      schema: {
        operationId: 'deleteDesignation',
        tags: TAGS,
        summary: 'Delete a designation',
        description: 'Doctors lose the designation.',
        params: idParamsSchema,
        response: { 204: noContent('Deleted.') },
      },
    },
    async (request, reply) => {
      await catalogues.deleteDesignation(request.ctx, request.params.id);
      return reply.code(204).send();
    },
  );

  // --- Doctors -----------------------------------------------------------------------------------

  const list = doctorListRoute('listDoctors', TAGS);
  app.get('/list', list.options, list.handler);

  app.get(
    '/profile/me',
    {
      config: { auth: ['doctor'], problems: [404] },
      schema: { operationId: 'getMyDoctorProfile', tags: TAGS, summary: 'Get your doctor profile', response: { 200: schemas.doctorSchema } },
    },
    async (request) => doctors.getMyDoctor(request.ctx, actorOf(request)),
  );

  app.put(
    '/profile/me',
    {
      config: { auth: ['doctor'], problems: [404] },
      schema: {
        operationId: 'replaceMyDoctorProfile',
        tags: TAGS,
        summary: 'Replace your doctor profile',
        description: 'Every field is required. `fee` is a decimal string with two places; unknown specialization or designation ids answer 400.',
        body: schemas.putDoctorBody,
        response: { 200: schemas.doctorSchema },
      },
    },
    async (request) => doctors.updateMyDoctor(request.ctx, request.body, actorOf(request)),
  );

  app.patch(
    '/profile/me',
    {
      config: { auth: ['doctor'], problems: [404] },
      schema: {
        operationId: 'updateMyDoctorProfile',
        tags: TAGS,
        summary: 'Update your doctor profile',
        description: 'Changes only the fields sent; `specializationIds` and `designationIds` replace the whole list when sent.',
        body: schemas.patchDoctorBody,
        response: { 200: schemas.doctorSchema },
      },
    },
    async (request) => doctors.updateMyDoctor(request.ctx, request.body, actorOf(request)),
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
        response: { 204: noContent('Hidden.') },
      },
    },
    async (request, reply) => {
      await doctors.deleteMyDoctor(request.ctx, actorOf(request));
      return reply.code(204).send();
    },
  );

  const avatar = avatarRoute({ role: 'doctor', operationId: 'replaceMyDoctorAvatar', tags: TAGS, response: schemas.doctorSchema, setAvatar: doctors.setMyAvatar });
  app.put('/profile/me/avatar', avatar.options, avatar.handler);

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
    async (request) => doctors.getDoctorByEmail(request.ctx, request.params.email),
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
    async (request) => qualifications.listQualifications(request.ctx, request.params.doctorId, actorOf(request)),
  );

  app.post(
    '/qualifications/apply',
    {
      config: { auth: ['doctor'], problems: [404, 413, 415] },
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
      return reply.code(201).send(await qualifications.applyQualification(withStorage(request.ctx), input, actorOf(request)));
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
    async (request) => qualifications.reviewQualification(request.ctx, request.params.id, request.body, actorOf(request)),
  );
};

export default doctorsRoutes;
