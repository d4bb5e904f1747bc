// Hostile input against every operation of the OpenAPI document, for an anonymous caller, a
// patient, a doctor (the only caller whose bodies reach the doctor-only routes' validation) and
// an admin: whatever the input, the answer is never a 5xx, a 4xx is a problem (an
// OperationOutcome on /fhir/R4), no answer shows a stack, SQL, a password hash or the caller's
// tokens, and nothing changes. The variants come from each operation's own parameters and body
// schema, so a new route is swept without editing this file.
// Rate limiting is off here as in every test app (buildTestApp sets RATE_LIMIT_ENABLED=false):
// thousands of requests from one address would otherwise be throttled to 429s.
import { randomUUID } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { loginAs, type Tokens } from '../helpers/actors.ts';
import { useTestApp } from '../helpers/app.ts';

interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
}
interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema?: JsonSchema }> };
}
interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, JsonSchema> };
}

/** One hostile request of an operation, before a caller's credentials are added. */
interface Variant {
  operation: string;
  input: string;
  request: InjectOptions;
}

const BATCH_SIZE = 8;
/** A well-formed id of nothing: fills the path parameters of query and body variants. */
const MISSING_ID = randomUUID();
const FHIR_PREFIX = '/fhir/R4/';

const PATH_VALUES: Record<string, string> = {
  'a non-UUID': 'not-a-uuid',
  'a path traversal': encodeURIComponent('../../etc/passwd'),
  'a 5,000-character string': 'x'.repeat(5000),
  'a NUL byte': '%00',
  'a malformed percent-encoding': '%zz',
  'an emoji': encodeURIComponent('🦄'),
  'a UUID of nothing': randomUUID(),
  'an SQL injection': encodeURIComponent("' OR 1=1--"),
};

/** Repeated-key objects over 10,000 levels, written as text: no serializer would build it. */
const DEEP_JSON = `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`;
const HUGE_STRING = `${'A'.repeat(100 * 1024)}\u0000`;
const PROTOTYPE_POLLUTION = '{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}}';

/** What may never appear in an answer, whatever its status. */
const LEAKS: { name: string; pattern: RegExp }[] = [
  { name: 'stack trace', pattern: / {4}at / },
  { name: 'SQL', pattern: /\b(SELECT|INSERT|UPDATE|DELETE) |relation "/ },
  { name: 'Prisma', pattern: /prisma/i },
  { name: 'password hash', pattern: /\$argon2/ },
  { name: 'secret field', pattern: /"(passwordHash|password_hash|otpHash|otp_hash|codeHash|secret)"\s*:/ },
];

const t = useTestApp();
let document: OpenApiDocument;

function resolve(schema: JsonSchema | undefined): JsonSchema {
  if (!schema?.$ref) return schema ?? {};
  return resolve(document.components.schemas[schema.$ref.replace('#/components/schemas/', '')]);
}

/** The JSON types a schema admits (through unions and references). */
function typesOf(schema: JsonSchema | undefined): Set<string> {
  const resolved = resolve(schema);
  const own = resolved.type === undefined ? [] : [resolved.type].flat();
  const members = [...(resolved.anyOf ?? []), ...(resolved.oneOf ?? []), ...(resolved.allOf ?? [])];
  return new Set([...own, ...members.flatMap((member) => [...typesOf(member)])]);
}

/** The properties of a body schema, unions included. */
function propertiesOf(schema: JsonSchema | undefined): Record<string, JsonSchema> {
  const resolved = resolve(schema);
  const members = [...(resolved.anyOf ?? []), ...(resolved.oneOf ?? []), ...(resolved.allOf ?? [])];
  return Object.assign({}, ...members.map(propertiesOf), resolved.properties);
}

/** A value whose JSON type the schema does not admit (an object when it admits every scalar). */
function wrongValue(schema: JsonSchema): unknown {
  const types = typesOf(schema);
  const candidates: [string, unknown][] = [
    ['object', { nested: ['wrong'] }],
    ['string', 'wrong-type'],
    ['integer', 12345],
    ['boolean', true],
    ['array', [1, 2]],
  ];
  const admitted = (type: string) => types.has(type) || (type === 'integer' && types.has('number'));
  return (candidates.find(([type]) => !admitted(type)) ?? candidates[0]!)[1];
}

function pathWith(path: string, value: (name: string) => string): string {
  return path.replace(/\{([^}]+)\}/g, (_match, name: string) => value(name));
}

function variantsOf(path: string, method: string, operation: Operation): Variant[] {
  const name = `${method.toUpperCase()} ${path}`;
  const request = (input: string, options: InjectOptions): Variant => ({ operation: name, input, request: { method: method.toUpperCase(), ...options } });
  const url = pathWith(path, () => MISSING_ID);
  const variants: Variant[] = [];

  const pathParameters = (operation.parameters ?? []).filter((parameter) => parameter.in === 'path');
  for (const parameter of pathParameters) {
    for (const [input, value] of Object.entries(PATH_VALUES)) {
      const hostileUrl = pathWith(path, (other) => (other === parameter.name ? value : MISSING_ID));
      variants.push(request(`path ${parameter.name}: ${input}`, { url: hostileUrl }));
    }
  }

  const queryParameters = (operation.parameters ?? []).filter((parameter) => parameter.in === 'query');
  for (const { name: key } of queryParameters) {
    const queries: Record<string, string> = {
      'garbage of the wrong type': `${key}=${encodeURIComponent('{"$gt":""}')}`,
      'repeated': `${key}=1&${key}=2`,
      'very long': `${key}=${'9'.repeat(5000)}`,
      'a NUL byte': `${key}=a%00b`,
    };
    for (const [input, query] of Object.entries(queries)) variants.push(request(`query ${key}: ${input}`, { url: `${url}?${query}` }));
  }

  if (!['post', 'put', 'patch', 'delete'].includes(method)) return variants;
  const json = (input: string, payload: string, contentType = 'application/json') =>
    request(`body: ${input}`, { url, payload, headers: { 'content-type': contentType } });
  // Refused by the body parser before any handler runs, so safe on routes that take no body
  // (where anything a parser accepts is ignored, and the route does what it does without input).
  variants.push(json('malformed JSON', '{"a": 1,'), json('empty with a JSON content type', ''));
  const bodySchema = operation.requestBody?.content['application/json']?.schema ?? operation.requestBody?.content['multipart/form-data']?.schema;
  if (!operation.requestBody) return variants;
  const properties = propertiesOf(bodySchema);
  const wrongTypes = Object.fromEntries(Object.entries(properties).map(([key, schema]) => [key, wrongValue(schema)]));
  const huge = Object.fromEntries(Object.keys(properties).map((key) => [key, HUGE_STRING]));
  variants.push(
    json('an array', '[1,2,3]'),
    json('a string', '"text"'),
    json('null', 'null'),
    json('every property of the wrong type', JSON.stringify(wrongTypes)),
    json('100 KB strings with a NUL', JSON.stringify({ ...huge, extra: HUGE_STRING })),
    json('nested 10,000 deep', DEEP_JSON),
    json('a prototype pollution attempt', PROTOTYPE_POLLUTION),
    json('unknown extra properties', JSON.stringify({ ...wrongTypes, unknownField: 'x', isAdmin: true, role: 'admin' })),
    json('a text/plain body', 'hello', 'text/plain'),
    json('multipart without a boundary', '--x\r\ncontent-disposition: form-data; name="a"\r\n\r\n1\r\n--x--', 'multipart/form-data'),
  );
  return variants;
}

/** What is wrong with one answer, if anything. */
function faultsOf(variant: Variant, status: number, contentType: string, body: string, tokens: Tokens | undefined): string[] {
  const faults: string[] = [];
  if (status >= 500) faults.push(`status ${status}`);
  for (const { name, pattern } of LEAKS) if (pattern.test(body)) faults.push(`shows a ${name}`);
  if (tokens && (body.includes(tokens.access) || body.includes(tokens.refresh))) faults.push("shows the caller's token");
  if (status >= 400) {
    const fhir = variant.operation.includes(` ${FHIR_PREFIX}`);
    const expectedType = fhir ? 'application/fhir+json' : 'application/problem+json';
    if (!contentType.startsWith(expectedType)) faults.push(`content-type ${contentType || 'none'}`);
    const parsed = parseJson(body) as { code?: unknown; detail?: unknown; resourceType?: unknown; issue?: { details?: { coding?: { code?: unknown }[] } }[] } | undefined;
    const described = fhir
      ? parsed?.resourceType === 'OperationOutcome' && typeof parsed.issue?.[0]?.details?.coding?.[0]?.code === 'string'
      : typeof parsed?.code === 'string' && typeof parsed.detail === 'string';
    if (!described) faults.push(`not a described error: ${body.slice(0, 120)}`);
  }
  if (status < 300 && variant.request.method !== 'GET') faults.push(`accepted with ${status}`);
  return faults;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Rows that hostile requests must not add or remove. */
async function counts() {
  const { db } = t;
  return {
    users: await db.user.count(),
    patients: await db.patient.count(),
    doctors: await db.doctor.count(),
    appointments: await db.appointment.count(),
    reviews: await db.review.count(),
    services: await db.service.count(),
    specializations: await db.specialization.count(),
    availableTimes: await db.availableTime.count(),
    webhooks: await db.webhookEndpoint.count(),
    refreshTokens: await db.refreshToken.count(),
  };
}

interface Caller {
  name: string;
  tokens?: Tokens;
}
const callers: Caller[] = [{ name: 'anonymous' }, { name: 'patient' }, { name: 'doctor' }, { name: 'admin' }];
let countsBefore: Awaited<ReturnType<typeof counts>>;

beforeAll(async () => {
  const response = await t.app.inject({ url: '/docs/json' });
  expect(response.statusCode).toBe(200);
  document = response.json();
  callers[1]!.tokens = (await loginAs(t, 'patient')).tokens;
  callers[2]!.tokens = (await loginAs(t, 'doctor')).tokens;
  callers[3]!.tokens = (await loginAs(t, 'admin')).tokens;
  countsBefore = await counts();
});

const allVariants = () =>
  Object.entries(document.paths).flatMap(([path, methods]) => Object.entries(methods).flatMap(([method, operation]) => variantsOf(path, method, operation)));

describe('hostile input on every operation', () => {
  it('sweeps a variant of every kind: path, query and body', () => {
    const inputs = allVariants().map((variant) => variant.input.split(' ')[0]);
    expect(new Set(inputs)).toEqual(new Set(['path', 'query', 'body:']));
    expect(Object.keys(document.paths).some((path) => path.startsWith(FHIR_PREFIX))).toBe(true);
  });

  it.each(callers)('the $name caller gets no 5xx, only described 4xx, no leak and no change', async (caller) => {
    const variants = allVariants();
    const faults: string[] = [];
    for (let start = 0; start < variants.length; start += BATCH_SIZE) {
      await Promise.all(
        variants.slice(start, start + BATCH_SIZE).map(async (variant) => {
          const headers = { ...(variant.request.headers as Record<string, string>), ...(caller.tokens ? { authorization: `Bearer ${caller.tokens.access}` } : {}) };
          const response = await t.app.inject({ ...variant.request, headers });
          const found = faultsOf(variant, response.statusCode, String(response.headers['content-type'] ?? ''), response.body, caller.tokens);
          for (const fault of found) faults.push(`${variant.operation} [${variant.input}] → ${response.statusCode}: ${fault}`);
        }),
      );
    }
    expect(faults).toEqual([]);
  }, 180_000);

  it('leaves Object.prototype unpolluted and every counted table as it was', async () => {
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(Object.keys(Object.prototype)).toEqual([]);
    expect(await counts()).toEqual(countsBefore);
  });
});
