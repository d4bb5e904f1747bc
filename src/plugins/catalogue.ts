// The routes and schemas of a catalogue (lib/catalogue.ts): a public plain array and entries by
// id, created, replaced, updated and deleted by admins. Specializations, designations and the
// clinic's services are each one call: `app.register(catalogueRoutes(spec))`.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { catalogueService, type CatalogueCreateInput, type CatalogueSpec, type CatalogueUpdateInput } from '../lib/catalogue.ts';
import { slugSchema } from '../lib/slugs.ts';
import { safeString } from '../lib/strings.ts';
import { idParamsSchema } from '../schemas/common.ts';

export interface CatalogueRoutesSpec extends CatalogueSpec {
  /** Mount path of the collection, e.g. `/specializations`. */
  path: string;
  tag: string;
  /** Name of the OpenAPI schemas and the operation ids' noun: `Specialization` → `listSpecializations`, `CreateSpecializationRequest`. */
  schemaName: string;
  /** What the list answers, in a summary: `specializations`, `the clinic’s services`. */
  pluralText: string;
  listDescription?: string;
  /** What deleting an entry does to the rest, e.g. `Doctors lose the specialization.` */
  deleteDescription?: string;
}

const catalogueName = safeString({ min: 1, max: 100 });
const description = safeString({ max: 2000, multiline: true });

/** The catalogue's schemas, registered under `schemaName` for OpenAPI. */
function catalogueSchemas(spec: CatalogueRoutesSpec) {
  const descriptionField = spec.hasDescription ? { description: z.string() } : {};
  const descriptionInput = spec.hasDescription ? { description: description.optional() } : {};
  return {
    entry: z.object({ id: z.uuid(), name: z.string(), slug: z.string(), ...descriptionField }).meta({ id: spec.schemaName }),
    createBody: z
      .strictObject({ name: catalogueName, slug: slugSchema.optional(), ...descriptionInput })
      .meta({ id: `Create${spec.schemaName}Request` }),
    patchBody: z
      .strictObject({ name: catalogueName.optional(), slug: slugSchema.optional(), ...descriptionInput })
      .meta({ id: `Patch${spec.schemaName}Request` }),
  };
}

export function catalogueRoutes(spec: CatalogueRoutesSpec): FastifyPluginAsyncZod {
  const service = catalogueService(spec);
  const schemas = catalogueSchemas(spec);
  const noun = spec.schemaName;
  const tags = [spec.tag];
  const article = /^[aeiou]/i.test(spec.singular) ? 'an' : 'a';
  const one = `${article} ${spec.singular}`;

  return async (app) => {
    app.get(
      spec.path,
      {
        config: { auth: 'public' },
        schema: {
          operationId: `list${noun}s`,
          tags,
          summary: `List ${spec.pluralText}`,
          ...(spec.listDescription ? { description: spec.listDescription } : {}),
          response: { 200: z.array(schemas.entry) },
        },
      },
      async (request) => service.list(request.ctx),
    );

    app.post(
      spec.path,
      {
        config: { auth: ['admin'], problems: [409] },
        schema: {
          operationId: `create${noun}`,
          tags,
          summary: `Create ${one}`,
          description: 'The slug is derived from the name when not sent. A name or slug already in use answers 409 `conflict`.',
          body: schemas.createBody,
          response: { 201: schemas.entry },
        },
      },
      async (request, reply) => reply.code(201).send(await service.create(request.ctx, request.body as CatalogueCreateInput)),
    );

    app.get(
      `${spec.path}/:id`,
      {
        config: { auth: 'public', problems: [404] },
        schema: { operationId: `get${noun}`, tags, summary: `Get ${one}`, params: idParamsSchema, response: { 200: schemas.entry } },
      },
      async (request) => service.get(request.ctx, request.params),
    );

    app.put(
      `${spec.path}/:id`,
      {
        config: { auth: ['admin'], problems: [404, 409] },
        schema: {
          operationId: `replace${noun}`,
          tags,
          summary: `Replace ${one}`,
          description: `The slug is derived from the name when not sent${spec.hasDescription ? '; an omitted description becomes empty' : ''}.`,
          params: idParamsSchema,
          body: schemas.createBody,
          response: { 200: schemas.entry },
        },
      },
      async (request) => service.replace(request.ctx, { ...(request.body as CatalogueCreateInput), id: request.params.id }),
    );

    app.patch(
      `${spec.path}/:id`,
      {
        config: { auth: ['admin'], problems: [404, 409] },
        schema: {
          operationId: `update${noun}`,
          tags,
          summary: `Update ${one}`,
          description: 'Changes only the fields sent; the slug stays unless one is sent.',
          params: idParamsSchema,
          body: schemas.patchBody,
          response: { 200: schemas.entry },
        },
      },
      async (request) => service.update(request.ctx, { ...(request.body as Omit<CatalogueUpdateInput, 'id'>), id: request.params.id }),
    );

    app.delete(
      `${spec.path}/:id`,
      {
        config: { auth: ['admin'], problems: [404] },
        schema: {
          operationId: `delete${noun}`,
          tags,
          summary: `Delete ${one}`,
          ...(spec.deleteDescription ? { description: spec.deleteDescription } : {}),
          params: idParamsSchema,
          response: { 204: z.undefined().describe('Deleted.') },
        },
      },
      async (request, reply) => {
        await service.remove(request.ctx, request.params);
        return reply.code(204).send();
      },
    );
  };
}
