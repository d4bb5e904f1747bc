// HTTP routes of the data export module (`/v1/api/user/me/export/...`): ask for an export of your data, and follow it.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { actorOf } from '../../plugins/auth.ts';
import { idParamsSchema } from '../../schemas/common.ts';
import * as schemas from './data-export.schemas.ts';
import * as dataExports from './data-export.service.ts';

const TAGS = ['data-export'];

const dataExportRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/me/export',
    {
      config: { auth: 'user', problems: [429] },
      schema: {
        operationId: 'requestDataExport',
        tags: TAGS,
        summary: 'Export your data',
        description:
          'Queues one JSON document of everything the service holds about you: account, sessions, patient or doctor profile, appointments with ' +
          'their history, reviews, doctor applications, qualifications, your files (as links) and the audit events by or about you. ' +
          'When it is ready (within about 30 s) it is mailed to you as a link, served to you only, for 24 h. One export a day: another ' +
          'request within 24 h of the last answers 429 `rate_limited` with `Retry-After` (a failed one does not count).',
        response: { 202: schemas.exportRequestedSchema },
      },
    },
    async (request, reply) => reply.code(202).send(await dataExports.requestExport(request.ctx, actorOf(request))),
  );

  app.get(
    '/me/export/:id',
    {
      config: { auth: 'user', problems: [404] },
      schema: {
        operationId: 'getDataExport',
        tags: TAGS,
        summary: 'Follow your data export',
        description: 'Your export’s status; `downloadUrl` while it is ready and not expired. Anyone else’s export is 404.',
        params: idParamsSchema,
        response: { 200: schemas.exportSchema },
      },
    },
    async (request) => dataExports.getExport(request.ctx, request.params, actorOf(request)),
  );
};

export default dataExportRoutes;
