// The routes and schemas of a catalogue (lib/catalogue.ts): a public plain array and entries by
// id, created, replaced, updated and deleted by admins. Specializations, designations and the
// clinic's services are each one call: `app.register(catalogueRoutes(spec))`.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { FastifyRequest } from 'fastify';
import { inTransaction, type Actor, type TxContext } from '../lib/context.ts';
import { catalogueService, type CatalogueContext, type CatalogueCreateInput, type CatalogueEntry, type CatalogueSpec, type CatalogueUpdateInput } from '../lib/catalogue.ts';
import { slugSchema } from '../lib/slugs.ts';
import { safeString } from '../lib/strings.ts';
import { idParamsSchema } from '../schemas/common.ts';
import { actorOf } from './auth.ts';

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
  /** Records an admin's change in the audit trail, in the change's transaction (the audit module's). */
  audit: CatalogueAudit;
}

export interface CatalogueChange {
  action: 'create' | 'update' | 'delete';
  /** The catalogue's table, e.g. `specializations`. */
  table: CatalogueSpec['table'];
  id: string;
  actor: Actor;
}
export type CatalogueAudit = (tx: TxContext, change: CatalogueChange) => Promise<void>;

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

  /** An admin's write and its audit event commit together. */
  function audited<T extends CatalogueEntry | undefined>(
    request: FastifyRequest,
    action: CatalogueChange['action'],
    id: string | undefined,
    write: (ctx: CatalogueContext) => Promise<T>,
  ): Promise<T> {
    return inTransaction(request.ctx, async (tx) => {
      const result = await write(tx);
      await spec.audit(tx, { action, table: spec.table, id: id ?? result!.id, actor: actorOf(request) });
      return result;
    });
  }

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
      async (request, reply) => reply.code(201).send(await audited(request, 'create', undefined, (ctx) => service.create(ctx, request.body as CatalogueCreateInput))),
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
      async (request) => audited(request, 'update', request.params.id, (ctx) => service.replace(ctx, { ...(request.body as CatalogueCreateInput), id: request.params.id })),
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
      async (request) => audited(request, 'update', request.params.id, (ctx) => service.update(ctx, { ...(request.body as Omit<CatalogueUpdateInput, 'id'>), id: request.params.id })),
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
        await audited(request, 'delete', request.params.id, async (ctx) => {
          await service.remove(ctx, request.params);
          return undefined;
        });
        return reply.code(204).send();
      },
    );
  };
}
