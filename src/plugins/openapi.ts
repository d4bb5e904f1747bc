// OpenAPI 3.1 generated from the routes' zod schemas, served at /docs/json with Swagger UI at
// /docs. Every route also documents the problem+json errors it can answer, and its security
// (set from `config.auth` by plugins/auth.ts).
import { STATUS_CODES } from 'node:http';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { createJsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { PROBLEM_CONTENT_TYPE, problemSchema } from '../schemas/problem.ts';

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input (`validation_failed`).',
  401: 'Missing or invalid credentials.',
  403: 'Authenticated but not allowed.',
  404: 'Unknown, or not visible to the caller.',
  409: 'Conflicts with the current state.',
  413: 'The body is too large.',
  415: 'The content type is not supported.',
  422: 'Breaks a business rule.',
  429: 'Rate limited; see `Retry-After`.',
  500: 'Unexpected error.',
  503: 'Overloaded, or a dependency (the database, storage) is unavailable; see `Retry-After`.',
};

/** The OpenAPI response entry of a problem+json error with the given status. */
export function problemResponse(status: number) {
  return {
    description: ERROR_DESCRIPTIONS[status] ?? 'Error.',
    content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } },
  };
}

/**
 * A route that reads a multipart form itself (plugins/multipart.ts): its text fields, validated by
 * the route with parseForm, and its one file. Documented as the request body, since the route
 * declares no `body` schema (the type provider would validate the raw multipart body against it).
 */
export interface FormBody {
  /** The text fields, as JSON too when the route also takes `application/json`. */
  fields?: z.ZodType;
  file: { name: string; required: boolean; description: string };
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Error statuses the route answers beyond those its schema and auth imply, e.g. [409, 422]. */
    problems?: readonly number[];
    form?: FormBody;
  }
}

/** Error statuses a route can answer: implied by its schema and `config.auth`, plus `config.problems`. */
function errorStatuses(route: RouteOptions): number[] {
  const schema = route.schema ?? {};
  const auth = route.config?.auth;
  // 503: any route while the instance is overloaded or the database unreachable (with Retry-After).
  const statuses = [429, 500, 503, ...(route.config?.problems ?? [])];
  if (schema.body || schema.querystring || schema.params) statuses.push(400);
  if (schema.body) statuses.push(413, 415);
  if (auth !== undefined && auth !== 'public') statuses.push(401);
  if (Array.isArray(auth)) statuses.push(403);
  if (schema.params) statuses.push(404);
  return [...new Set(statuses)].sort((a, b) => a - b);
}

export interface OpenApiOptions {
  version: string;
  /** One tag per module, with its description. */
  tags: { name: string; description: string }[];
  /** The API's public base URL, when known (PUBLIC_URL). */
  publicUrl: string | undefined;
}

type OpenApiObject = ReturnType<typeof jsonSchemaTransformObject>;
type JsonSchema = { type?: string; properties?: Record<string, unknown>; required?: string[]; [key: string]: unknown };

/** The JSON Schema of a form's text fields, inline (a named zod schema comes back as a root $ref into $defs). */
function fieldsSchema(fields: z.ZodType | undefined): JsonSchema {
  if (!fields) return { type: 'object', properties: {} };
  const { $schema: _dialect, $ref, $defs, ...rest } = z.toJSONSchema(fields, { io: 'input', unrepresentable: 'any' }) as JsonSchema & {
    $ref?: string;
    $defs?: Record<string, JsonSchema>;
  };
  const schema = $ref ? $defs?.[$ref.replace('#/$defs/', '')] : rest;
  if (!schema || JSON.stringify(schema).includes('"$ref"')) throw new Error('a form’s fields must be one flat object schema');
  return schema;
}

/** The requestBody of a form route: the fields as JSON (when taken) and as multipart, text fields first, then the file. */
function formRequestBody(form: FormBody, consumes: readonly string[]) {
  const fields = fieldsSchema(form.fields);
  const multipart: JsonSchema = {
    ...fields,
    properties: { ...fields.properties, [form.file.name]: { type: 'string', format: 'binary', description: form.file.description } },
    required: [...(fields.required ?? []), ...(form.file.required ? [form.file.name] : [])],
  };
  return {
    required: true,
    content: {
      ...(consumes.includes('application/json') ? { 'application/json': { schema: fields } } : {}),
      'multipart/form-data': { schema: multipart },
    },
  };
}

/** Sets the requestBody of every form route (by operation id) in the document. */
function withFormBodies(document: OpenApiObject, forms: ReadonlyMap<string, { form: FormBody; consumes: readonly string[] }>): OpenApiObject {
  const paths = (document as { paths?: Record<string, Record<string, { operationId?: string; requestBody?: unknown }>> }).paths ?? {};
  for (const operations of Object.values(paths)) {
    for (const operation of Object.values(operations)) {
      const entry = operation.operationId ? forms.get(operation.operationId) : undefined;
      if (entry) operation.requestBody = formRequestBody(entry.form, entry.consumes);
    }
  }
  return document;
}

/**
 * Drops component schemas nothing refers to. The type provider emits an `…Input` and an output
 * variant of every named schema; most are used on one side only, and the rest is noise.
 */
function withoutUnusedSchemas(document: OpenApiObject): OpenApiObject {
  const components = (document as { components?: { schemas?: Record<string, unknown> } }).components;
  const schemas = components?.schemas;
  if (!schemas) return document;
  const refsIn = (value: unknown) => [...JSON.stringify(value).matchAll(/"#\/components\/schemas\/([^"]+)"/g)].map((match) => match[1]!);
  const used = new Set<string>();
  const pending = refsIn((document as { paths?: unknown }).paths ?? {});
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (used.has(name)) continue;
    used.add(name);
    pending.push(...refsIn(schemas[name]));
  }
  components.schemas = Object.fromEntries(Object.entries(schemas).filter(([name]) => used.has(name)));
  return document;
}

/**
 * The one inline style Swagger UI needs: the `<style>` inside its logo SVG (swagger-ui 5's
 * topbar), allowed by its hash rather than 'unsafe-inline'. A Swagger UI upgrade that changes it
 * shows up as a CSP error in tests/operations/swagger-ui.int.test.ts.
 */
export const SWAGGER_UI_LOGO_STYLE_HASH = "'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='";

/** @fastify/swagger-ui's static CSP with style-src narrowed to our origin plus that hash (no `https:` at large). */
export function swaggerUiStyleSrc(header: string): string {
  return header.replace(/style-src [^;]*;/, `style-src 'self' ${SWAGGER_UI_LOGO_STYLE_HASH};`);
}

export default fp(
  async (app, options: OpenApiOptions) => {
    const forms = new Map<string, { form: FormBody; consumes: readonly string[] }>();
    app.addHook('onRoute', (route) => {
      if (!route.schema || (route.schema as { hide?: boolean }).hide) return;
      const { form } = route.config ?? {};
      if (form && route.schema.operationId) forms.set(route.schema.operationId, { form, consumes: route.schema.consumes ?? [] });
      const response = { ...(route.schema.response as Record<string, unknown> | undefined) };
      for (const [status, schema] of Object.entries(response)) {
        // A bare success schema would be documented as "Default Response": name its status instead.
        if (schema instanceof z.ZodType && !(schema instanceof z.ZodUndefined)) {
          response[status] = { description: STATUS_CODES[status] ?? 'Success', content: { 'application/json': { schema } } };
        }
      }
      for (const status of errorStatuses(route)) response[status] ??= problemResponse(status);
      route.schema.response = response;
    });

    await app.register(fastifySwagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Clinic API',
          version: options.version,
          description:
            'API-first clinic and hospital backend. All application routes live under `/v1/api/`; ' +
            'a trailing slash is optional. Errors are `application/problem+json` (RFC 9457) with a ' +
            'stable `code`; a wrong method on an existing path answers 405 with `Allow`. ' +
            'Authenticate with `Authorization: Bearer <access JWT>` from `POST /v1/api/user/login/`. ' +
            '`GET /v1/api/` links to this document, Swagger UI and the health probes.',
        },
        servers: [{ url: options.publicUrl ?? '/', description: options.publicUrl ? 'This deployment' : 'The server serving this document' }],
        tags: options.tags,
        components: {
          securitySchemes: {
            bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          },
        },
      },
      transform: createJsonSchemaTransform({ skipList: ['/docs', '/docs/*'] }),
      transformObject: (input) => withoutUnusedSchemas(withFormBodies(jsonSchemaTransformObject(input), forms)),
    });
    await app.register(fastifySwaggerUi, {
      routePrefix: '/docs',
      staticCSP: true,
      transformStaticCSP: swaggerUiStyleSrc,
      // Tags start folded: Swagger UI 5 resolves an OpenAPI 3.1 document slowly, and with every
      // operation of ~140 listed at once it stalled for minutes; a tag opens its operations on a click.
      uiConfig: { docExpansion: 'none' },
    });
  },
  { name: 'openapi' },
);
