// The OpenAPI document: valid 3.1, and every operation documented with id, tag, summary and responses.
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/app.ts';

interface Operation {
  operationId?: string;
  tags?: string[];
  summary?: string;
  security?: unknown[];
  responses?: Record<string, { content?: Record<string, unknown> }>;
}
type OpenApiDocument = { openapi: string; paths: Record<string, Record<string, Operation>>; components: Record<string, unknown> };

const USER_ROUTES = [
  'post /v1/api/user/register',
  'post /v1/api/user/account/activate',
  'post /v1/api/user/account/activate/otp/resend',
  'post /v1/api/user/login',
  'post /v1/api/user/login/otp/resend',
  'post /v1/api/user/login/otp/verify',
  'post /v1/api/user/token/refresh',
  'post /v1/api/user/token/verify',
  'post /v1/api/user/logout',
  'post /v1/api/user/change-password',
  'post /v1/api/user/forget-password',
  'post /v1/api/user/forget-password/otp/send',
  'post /v1/api/user/forget-password/otp/resend',
  'post /v1/api/user/forget-password/confirm',
  'get /v1/api/user/list',
  'get /v1/api/user/me',
  'patch /v1/api/user/me',
];

let ctx: TestApp;
let document: OpenApiDocument;

beforeAll(async () => {
  ctx = await buildTestApp();
  const response = await ctx.app.inject({ url: '/docs/json' });
  expect(response.statusCode).toBe(200);
  document = response.json();
});
afterAll(() => ctx.close());

const operations = () =>
  Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ key: `${method} ${path}`, operation })),
  );

describe('OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    expect(document.openapi).toMatch(/^3\.1\./);
    const result = await new Validator().validate(structuredClone(document));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('documents every operation with an id, tags, a summary, a success and an error response', () => {
    const ids = new Set<string>();
    for (const { key, operation } of operations()) {
      expect(operation.operationId, key).toBeTruthy();
      expect(ids.has(operation.operationId!), `duplicate operationId ${operation.operationId}`).toBe(false);
      ids.add(operation.operationId!);
      expect(operation.tags?.length, key).toBeGreaterThan(0);
      expect(operation.summary, key).toBeTruthy();
      const statuses = Object.keys(operation.responses ?? {});
      expect(statuses.some((status) => status.startsWith('2')), key).toBe(true);
      // The FHIR routes answer their errors as OperationOutcome resources instead of problem+json.
      const errorType = key.includes(' /fhir/R4/') ? 'application/fhir+json' : 'application/problem+json';
      expect(operation.responses?.['500']?.content?.[errorType], key).toBeDefined();
    }
  });

  it('lists every accounts route, marking the authenticated ones as bearer-secured', () => {
    const keys = operations().map(({ key }) => key);
    for (const route of USER_ROUTES) expect(keys).toContain(route);
    const secured = operations().filter(({ operation }) => operation.security?.length).map(({ key }) => key);
    expect(secured).toEqual(
      expect.arrayContaining(['post /v1/api/user/change-password', 'get /v1/api/user/list', 'get /v1/api/user/me', 'patch /v1/api/user/me']),
    );
    expect(secured).not.toContain('post /v1/api/user/login');
    expect(document.components.securitySchemes).toMatchObject({ bearerAuth: { type: 'http', scheme: 'bearer' } });
  });

  it('names every success response and keeps only component schemas that are used', () => {
    for (const { key, operation } of operations()) {
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        expect((response as { description?: string }).description, `${key} ${status}`).not.toBe('Default Response');
      }
    }
    const text = JSON.stringify(document);
    for (const name of Object.keys(document.components.schemas as Record<string, unknown>)) {
      expect(text, name).toContain(`"#/components/schemas/${name}"`);
    }
    expect(Object.keys(document.components.schemas as Record<string, unknown>)).toEqual(
      expect.arrayContaining(['Problem', 'User', 'Session', 'TokenPair', 'UserPage']),
    );
  });

  it('documents validation errors on routes that take input', () => {
    const login = document.paths['/v1/api/user/login']!.post!;
    expect(login.responses?.['400']?.content?.['application/problem+json']).toBeDefined();
    expect(login.responses?.['429']).toBeDefined();
  });

  it('lists every error a route can answer: its declared ones and those its auth implies', () => {
    const statuses = (path: string, method: string) => Object.keys(document.paths[path]![method]!.responses ?? {});
    expect(statuses('/v1/api/user/login', 'post')).toEqual(expect.arrayContaining(['200', '202', '400', '401', '403', '429']));
    expect(statuses('/v1/api/user/me', 'get')).toContain('401');
    expect(statuses('/v1/api/user/me', 'get')).not.toContain('403');
    expect(statuses('/v1/api/user/list', 'get')).toEqual(expect.arrayContaining(['401', '403']));
  });

  it('says who may call each route once: public routes have an empty security list, the others bearer', () => {
    for (const { key, operation } of operations()) {
      expect(Array.isArray(operation.security), key).toBe(true);
    }
    expect(document.paths['/v1/api/user/register']!.post!.security).toEqual([]);
    expect(document.paths['/v1/api/user/me']!.get!.security).toEqual([{ bearerAuth: [] }]);
  });

  it('names request bodies as components, marks emails with format: email, and has a servers entry', () => {
    const register = document.paths['/v1/api/user/register']!.post! as Operation & { requestBody?: { content: Record<string, { schema: { $ref?: string } }> } };
    const ref = register.requestBody?.content['application/json']?.schema.$ref;
    expect(ref).toMatch(/^#\/components\/schemas\/RegisterRequest/);
    const schemas = document.components.schemas as Record<string, { properties?: Record<string, { format?: string }> }>;
    const registerSchema = schemas[ref!.split('/').pop()!]!;
    expect(registerSchema.properties?.email?.format).toBe('email');
    expect((document as { servers?: unknown[] }).servers).toEqual([expect.objectContaining({ url: expect.any(String) })]);
  });

  it('documents the upload routes’ multipart bodies: text fields first, then the file as binary', () => {
    type Body = { content: Record<string, { schema: { properties: Record<string, { type?: string; format?: string }>; required?: string[] } }> };
    const bodyOf = (path: string, method: string) => (document.paths[path]![method] as Operation & { requestBody?: Body }).requestBody!;
    const uploads = [
      { path: '/v1/api/patient/patients/me/avatar', method: 'put', file: 'file', fields: [], json: false },
      { path: '/v1/api/doctor/profile/me/avatar', method: 'put', file: 'file', fields: [], json: false },
      { path: '/v1/api/doctor/qualifications/apply', method: 'post', file: 'document', fields: ['degree', 'institution', 'year'], json: true },
      { path: '/v1/api/operations/apply/to-be/doctor', method: 'post', file: 'document', fields: ['licenseNumber', 'specializationIds'], json: true },
      { path: '/v1/api/public-portal/report-bug', method: 'post', file: 'screenshot', fields: ['title', 'description'], json: true },
    ];
    for (const upload of uploads) {
      const body = bodyOf(upload.path, upload.method);
      const multipart = body.content['multipart/form-data']!.schema;
      const names = Object.keys(multipart.properties);
      expect(names.at(-1), upload.path).toBe(upload.file);
      expect(multipart.properties[upload.file], upload.path).toMatchObject({ type: 'string', format: 'binary' });
      expect(names, upload.path).toEqual(expect.arrayContaining(upload.fields));
      expect(Object.keys(body.content).includes('application/json'), upload.path).toBe(upload.json);
      if (upload.json) expect(Object.keys(body.content['application/json']!.schema.properties)).not.toContain(upload.file);
    }
    expect(bodyOf('/v1/api/patient/patients/me/avatar', 'put').content['multipart/form-data']!.schema.required).toEqual(['file']);
  });

  it('serves Swagger UI at /docs', async () => {
    const response = await ctx.app.inject({ url: '/docs' });
    expect([200, 302]).toContain(response.statusCode);
    const page = response.statusCode === 302 ? await ctx.app.inject({ url: response.headers.location as string }) : response;
    expect(page.headers['content-type']).toMatch(/text\/html/);
  });
});

/** The same value with every object's keys sorted: the order routes are registered in is not part of the contract. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)).map(([key, item]) => [key, sortKeys(item)]));
}

describe('the wire contract', () => {
  // The paths, operation ids, parameters, bodies, statuses and schemas the OpenAPI document
  // describes. A refactor must leave it as it is; a change to the contract updates the snapshot
  // on purpose (`npx vitest run tests/plugins/openapi.int.test.ts -u`) and shows in the diff.
  it('matches the committed snapshot of paths and components', async () => {
    const contract = sortKeys({ paths: document.paths, components: document.components });
    await expect(`${JSON.stringify(contract, null, 2)}\n`).toMatchFileSnapshot('__snapshots__/openapi-contract.json');
  });
});
