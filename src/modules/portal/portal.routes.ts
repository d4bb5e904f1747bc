// HTTP routes of the public portal (`/v1/api/public-portal/...`): contact and bug report forms (rate limited) with
// the admins' inboxes, the services catalogue, and public lists of doctors and reviews.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import multipartPlugin from '../../plugins/multipart.ts';
import { idParamsSchema } from '../../schemas/common.ts';
import { pageQuerySchema, requestUrl, toPage } from '../../schemas/pagination.ts';
import { doctorListRoute } from '../doctors/doctors.routes.ts';
import { formInput, parseForm } from '../media/media.http.ts';
import { withStorage } from '../media/media.storage.ts';
import { reviewPageSchema } from '../reviews/reviews.schemas.ts';
import { listReviews } from '../reviews/reviews.service.ts';
import * as schemas from './portal.schemas.ts';
import * as portal from './portal.service.ts';
import * as services from './services.service.ts';

const TAGS = ['portal'];
/** Contact-us and report-bug: 5 a minute per client IP each. */
const FORM_LIMIT = 5;

const portalRoutes: FastifyPluginAsyncZod = async (app) => {
  await app.register(multipartPlugin);

  // --- Contact ---------------------------------------------------------------------------------

  app.post(
    '/contact-us',
    {
      config: { auth: 'public' },
      preHandler: app.limit({ name: 'contact-us:ip', max: FORM_LIMIT, key: 'ip' }),
      schema: {
        operationId: 'contactUs',
        tags: TAGS,
        summary: 'Send a message to the clinic',
        description: `Stored in the admins' inbox and mailed to every active admin. At most ${FORM_LIMIT} a minute per client IP (then 429 \`rate_limited\` with Retry-After).`,
        body: schemas.contactBody,
        response: { 201: schemas.receivedSchema },
      },
    },
    async (request, reply) => reply.code(201).send(await portal.receiveContact(request.ctx, request.body)),
  );

  app.get(
    '/contact-us',
    {
      config: { auth: ['admin'] },
      schema: {
        operationId: 'listContactMessages',
        tags: TAGS,
        summary: 'Contact inbox',
        description: 'Admins only; newest first.',
        querystring: schemas.inboxQuery,
        response: { 200: schemas.contactPageSchema },
      },
    },
    async (request) => {
      const { count, results } = await portal.listContactMessages(request.ctx, request.query);
      return toPage(requestUrl(request, request.ctx.config.publicUrl), request.query, count, results);
    },
  );

  // --- Bug reports -----------------------------------------------------------------------------

  app.post(
    '/report-bug',
    {
      config: { auth: 'public', problems: [400, 413, 415] },
      preHandler: app.limit({ name: 'report-bug:ip', max: FORM_LIMIT, key: 'ip' }),
      schema: {
        operationId: 'reportBug',
        tags: TAGS,
        summary: 'Report a bug',
        description:
          'JSON `{email?, title, description, pageUrl?}`, or multipart/form-data with the same text fields followed (text fields first) by an optional file in the field `screenshot` ' +
          '(PNG or JPEG, checked by content, at most 5 MiB; visible to admins only). Every active admin is mailed. ' +
          `At most ${FORM_LIMIT} a minute per client IP (then 429 \`rate_limited\` with Retry-After).`,
        consumes: ['application/json', 'multipart/form-data'],
        response: { 201: schemas.receivedSchema },
      },
    },
    async (request, reply) => {
      const form = await formInput(request, 'screenshot');
      const input = { ...parseForm(schemas.bugReportBody, form), screenshot: form.file };
      return reply.code(201).send(await portal.reportBug(withStorage(request.ctx), input));
    },
  );

  app.get(
    '/report-bug',
    {
      config: { auth: ['admin'] },
      schema: {
        operationId: 'listBugReports',
        tags: TAGS,
        summary: 'Bug report inbox',
        description: 'Admins only; newest first.',
        querystring: schemas.inboxQuery,
        response: { 200: schemas.bugReportPageSchema },
      },
    },
    async (request) => {
      const { count, results } = await portal.listBugReports(request.ctx, request.query);
      return toPage(requestUrl(request, request.ctx.config.publicUrl), request.query, count, results);
    },
  );

  // --- Services --------------------------------------------------------------------------------

  app.get(
    '/services',
    {
      config: { auth: 'public' },
      schema: { operationId: 'listServices', tags: TAGS, summary: 'List the clinic’s services', description: 'A plain array, by name.', response: { 200: z.array(schemas.serviceSchema) } },
    },
    async (request) => services.listServices(request.ctx),
  );

  app.post(
    '/services',
    {
      config: { auth: ['admin'], problems: [409] },
      schema: {
        operationId: 'createService',
        tags: TAGS,
        summary: 'Create a service',
        description: 'The slug is derived from the name when not sent. A name or slug already in use answers 409 `conflict`.',
        body: schemas.createServiceBody,
        response: { 201: schemas.serviceSchema },
      },
    },
    async (request, reply) => reply.code(201).send(await services.createService(request.ctx, request.body)),
  );

  app.get(
    '/services/:id',
    {
      config: { auth: 'public' },
      schema: { operationId: 'getService', tags: TAGS, summary: 'Get a service', params: idParamsSchema, response: { 200: schemas.serviceSchema } },
    },
    async (request) => services.getService(request.ctx, request.params.id),
  );

  app.put(
    '/services/:id',
    {
      config: { auth: ['admin'], problems: [409] },
      schema: {
        operationId: 'replaceService',
        tags: TAGS,
        summary: 'Replace a service',
        description: 'The slug is derived from the name when not sent; an omitted description becomes empty.',
        params: idParamsSchema,
        body: schemas.createServiceBody,
        response: { 200: schemas.serviceSchema },
      },
    },
    async (request) => services.updateService(request.ctx, request.params.id, request.body, true),
  );

  app.patch(
    '/services/:id',
    {
      config: { auth: ['admin'], problems: [409] },
      schema: {
        operationId: 'updateService',
        tags: TAGS,
        summary: 'Update a service',
        description: 'Changes only the fields sent; the slug stays unless one is sent.',
        params: idParamsSchema,
        body: schemas.patchServiceBody,
        response: { 200: schemas.serviceSchema },
      },
    },
    async (request) => services.updateService(request.ctx, request.params.id, request.body, false),
  );

  app.delete(
    '/services/:id',
    {
      config: { auth: ['admin'] },
      schema: { operationId: 'deleteService', tags: TAGS, summary: 'Delete a service', params: idParamsSchema, response: { 204: z.undefined().describe('Deleted.') } },
    },
    async (request, reply) => {
      await services.deleteService(request.ctx, request.params.id);
      return reply.code(204).send();
    },
  );

  // --- Public lists ----------------------------------------------------------------------------

  // The very route options and handler of `doctor/list/`.
  const doctors = doctorListRoute('listPortalDoctors', TAGS);
  app.get('/list/doctor', doctors.options, doctors.handler);

  app.get(
    '/list/doctor/reviews',
    {
      config: { auth: 'public' },
      schema: {
        operationId: 'listLatestReviews',
        tags: TAGS,
        summary: 'Latest reviews across doctors',
        description: 'Newest first, paged; reviews of hidden doctors are left out. Reviewers show only their first name.',
        querystring: pageQuerySchema,
        response: { 200: reviewPageSchema },
      },
    },
    async (request) => {
      const { count, results } = await listReviews(request.ctx, request.query);
      return toPage(requestUrl(request, request.ctx.config.publicUrl), request.query, count, results);
    },
  );
};

export default portalRoutes;
