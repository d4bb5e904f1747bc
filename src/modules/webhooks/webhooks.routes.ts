// HTTP routes of the webhooks module (`/v1/api/operations/webhooks/...`): endpoints, their deliveries, redelivery. Admins only.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { idParamsSchema } from '../../schemas/common.ts';
import { requestUrl, toPage } from '../../schemas/pagination.ts';
import * as schemas from './webhooks.schemas.ts';
import * as webhooks from './webhooks.service.ts';

const TAGS = ['webhooks'];
const URL_RULE =
  '`url` must be `https://` and resolve only to public addresses (no loopback, private, link-local, CGNAT or metadata ones), else 400 `validation_failed` naming `url`; ' +
  'with `WEBHOOK_ALLOW_PRIVATE_NETWORKS=true` private addresses and `http://` are allowed too.';

const webhooksRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/webhooks',
    {
      config: { auth: ['admin'] },
      schema: {
        operationId: 'createWebhookEndpoint',
        tags: TAGS,
        summary: 'Add a webhook endpoint',
        description:
          `${URL_RULE} The answer alone shows \`secret\`, which signs every delivery (Standard Webhooks: \`webhook-id\`, \`webhook-timestamp\`, \`webhook-signature\`); it is stored encrypted. ` +
          `\`events\` ⊆ ${schemas.WEBHOOK_EVENT_TYPES.map((type) => `\`${type}\``).join(', ')}.`,
        body: schemas.createEndpointBody,
        response: { 201: schemas.createdEndpointSchema },
      },
    },
    async (request, reply) => reply.code(201).send(await webhooks.createEndpoint(request.ctx, request.body)),
  );

  app.get(
    '/webhooks',
    {
      config: { auth: ['admin'] },
      schema: {
        operationId: 'listWebhookEndpoints',
        tags: TAGS,
        summary: 'List webhook endpoints',
        description: 'Every endpoint, oldest first, without secrets.',
        response: { 200: z.array(schemas.endpointSchema) },
      },
    },
    async (request) => webhooks.listEndpoints(request.ctx),
  );

  app.get(
    '/webhooks/:id',
    {
      config: { auth: ['admin'] },
      schema: { operationId: 'getWebhookEndpoint', tags: TAGS, summary: 'Get a webhook endpoint', params: idParamsSchema, response: { 200: schemas.endpointSchema } },
    },
    async (request) => webhooks.getEndpoint(request.ctx, request.params),
  );

  app.patch(
    '/webhooks/:id',
    {
      config: { auth: ['admin'] },
      schema: {
        operationId: 'updateWebhookEndpoint',
        tags: TAGS,
        summary: 'Update a webhook endpoint',
        description: `Changes the fields sent. ${URL_RULE} An endpoint answering 410 Gone is deactivated (\`isActive: false\`); setting \`isActive: true\` resumes deliveries of new events.`,
        params: idParamsSchema,
        body: schemas.updateEndpointBody,
        response: { 200: schemas.endpointSchema },
      },
    },
    async (request) => webhooks.updateEndpoint(request.ctx, { ...request.body, id: request.params.id }),
  );

  app.delete(
    '/webhooks/:id',
    {
      config: { auth: ['admin'] },
      schema: {
        operationId: 'deleteWebhookEndpoint',
        tags: TAGS,
        summary: 'Delete a webhook endpoint',
        description: 'Deletes the endpoint and its delivery log; nothing more is sent to it.',
        params: idParamsSchema,
        response: { 204: z.undefined().describe('Deleted.') },
      },
    },
    async (request, reply) => {
      await webhooks.deleteEndpoint(request.ctx, request.params);
      return reply.code(204).send();
    },
  );

  app.get(
    '/webhooks/:id/deliveries',
    {
      config: { auth: ['admin'] },
      schema: {
        operationId: 'listWebhookDeliveries',
        tags: TAGS,
        summary: 'List an endpoint’s deliveries',
        description:
          'Newest first. A delivery is `pending` until a 2xx answer (`succeeded`) or until it is given up (`failed`): after 12 attempts (about 30 s, then doubling waits: about a day), ' +
          'at once on 410 Gone (which deactivates the endpoint), or when the endpoint is inactive at its turn. An endpoint’s events go out in order: a pending delivery holds its later ones back.',
        params: idParamsSchema,
        querystring: schemas.deliveryListQuery,
        response: { 200: schemas.deliveryPageSchema },
      },
    },
    async (request) => {
      const { count, results } = await webhooks.listDeliveries(request.ctx, { ...request.query, id: request.params.id });
      return toPage(requestUrl(request, request.ctx.config.publicUrl), request.query, count, results);
    },
  );

  app.post(
    '/webhooks/:id/deliveries/:deliveryId/redeliver',
    {
      config: { auth: ['admin'], problems: [404, 409] },
      schema: {
        operationId: 'redeliverWebhook',
        tags: TAGS,
        summary: 'Send a delivery’s event again',
        description:
          'Queues a new delivery of the same event (same `webhook-id`, a new signature and timestamp) behind the endpoint’s queued ones, and answers it. ' +
          'An inactive endpoint answers 409 `conflict`.',
        params: schemas.deliveryParamsSchema,
        response: { 202: schemas.deliverySchema },
      },
    },
    async (request, reply) => reply.code(202).send(await webhooks.redeliver(request.ctx, request.params)),
  );
};

export default webhooksRoutes;
