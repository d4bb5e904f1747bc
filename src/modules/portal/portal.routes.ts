// HTTP routes of the public portal (`/v1/api/public-portal/...`): contact and bug report forms
// (rate limited) with the admins' inboxes, and the services catalogue. The public lists of
// doctors and reviews under the same prefix belong to their modules.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { catalogueRoutes } from '../../plugins/catalogue.ts';
import { auditCatalogueChange } from '../audit/index.ts';
import multipartPlugin, { formInput, parseForm } from '../../plugins/multipart.ts';
import { requestUrl, toPage } from '../../schemas/pagination.ts';
import * as schemas from './portal.schemas.ts';
import * as portal from './portal.service.ts';

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
      config: {
        auth: 'public',
        problems: [400, 413, 415],
        form: { fields: schemas.bugReportBody, file: { name: 'screenshot', required: false, description: 'PNG or JPEG, at most 5 MiB.' } },
      },
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
      return reply.code(201).send(await portal.reportBug(request.ctx, input));
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

  await app.register(
    catalogueRoutes({
      table: 'services',
      path: '/services',
      tag: 'portal',
      schemaName: 'Service',
      singular: 'service',
      pluralText: 'the clinic’s services',
      listDescription: 'A plain array, by name.',
      hasDescription: true,
      audit: auditCatalogueChange,
    }),
  );
};

export default portalRoutes;
