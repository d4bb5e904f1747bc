// GET /v1/api/: what a person or a tool arriving at the base path needs, as links: the docs
// (Swagger UI), the OpenAPI document and the health probes.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requestUrl } from '../schemas/pagination.ts';

const apiIndexSchema = z
  .object({
    name: z.string(),
    version: z.string(),
    links: z.object({
      docs: z.url().describe('Swagger UI'),
      openapi: z.url().describe('The OpenAPI 3.1 document'),
      live: z.url().describe('Liveness probe'),
      ready: z.url().describe('Readiness probe (checks the database)'),
    }),
  })
  .meta({ id: 'ApiIndex' });

/** Registered with the API prefix: answers `/v1/api/` and `/v1/api`. */
export const apiIndexRoutes: FastifyPluginAsyncZod<{ version: string }> = async (app, options) => {
  app.get(
    '/',
    {
      config: { auth: 'public' },
      schema: {
        operationId: 'apiIndex',
        tags: ['operations'],
        summary: 'Links to the docs, the OpenAPI document and the health probes',
        response: { 200: apiIndexSchema },
      },
    },
    async (request) => {
      const link = (path: string) => new URL(path, requestUrl(request, app.deps.config.publicUrl)).toString();
      return {
        name: 'Clinic API',
        version: options.version,
        links: { docs: link('/docs'), openapi: link('/docs/json'), live: link('/health/live'), ready: link('/health/ready') },
      };
    },
  );
};
