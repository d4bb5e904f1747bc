// HTTP routes of the FHIR R4 read API (`/fhir/R4/...`): every answer is application/fhir+json,
// and every error the app answers here (the routes', auth's, the rate limit's, an unknown path's)
// is turned from problem+json into an OperationOutcome with the same status.
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { actorOf } from '../../plugins/auth.ts';
import { sendProblem } from '../../plugins/errors.ts';
import { requestUrl } from '../../schemas/pagination.ts';
import { PROBLEM_CONTENT_TYPE, type Problem } from '../../schemas/problem.ts';
import { toOperationOutcome } from './fhir.resources.ts';
import * as schemas from './fhir.schemas.ts';
import { FHIR_CONTENT_TYPE } from './fhir.schemas.ts';
import * as fhir from './fhir.service.ts';

export const FHIR_PREFIX = '/fhir/R4';
const TAGS = ['fhir'];
const FHIR_TYPE = `${FHIR_CONTENT_TYPE}; charset=utf-8`;

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid or unknown search parameter (`invalid`).',
  401: 'Missing or invalid access token (`security`).',
  403: 'Authenticated but not allowed (`forbidden`).',
  404: 'Unknown, or not visible to the caller (`not-found`).',
  429: 'Rate limited; see `Retry-After` (`throttled`).',
  500: 'Unexpected error (`exception`).',
  503: 'Overloaded, or the database is unavailable; see `Retry-After` (`transient`).',
};

const fhirContent = (schema: z.ZodType) => ({ content: { [FHIR_CONTENT_TYPE]: { schema } } });

/** The documented answers of a route: the resource, and an OperationOutcome for each error it can give. */
function responses(schema: z.ZodType, errors: readonly number[]) {
  const answers: Record<number, { description: string; content: Record<string, { schema: z.ZodType }> }> = {
    200: { description: 'OK', ...fhirContent(schema) },
  };
  for (const status of [...errors, 429, 500, 503]) {
    answers[status] = { description: ERROR_DESCRIPTIONS[status] ?? 'Error.', ...fhirContent(schemas.operationOutcomeSchema) };
  }
  return answers;
}

/** The base URL (ending in `/`) and the request's absolute URL, for a Bundle's links and fullUrls. */
function searchUrls(request: FastifyRequest) {
  const self = requestUrl(request, request.ctx.config.publicUrl);
  return { base: new URL(`${FHIR_PREFIX}/`, self).toString(), self };
}

/** A read-by-id route: `GET /<type>/{id}`; it answers 404 for an id the caller may not see. */
interface ReadRoute {
  description: string;
  schema: z.ZodType;
  handle: (request: FastifyRequest, params: z.output<typeof schemas.idParams>) => Promise<unknown>;
}

/** A search route: `GET /<type>?...`, answering a searchset Bundle. */
interface SearchRoute {
  /** Overrides "Search <type>s". */
  summary?: string;
  description: string;
  querystring: z.ZodType;
  /** Errors beyond the 400 (and 401 for `user` routes) every search can give. */
  problems?: readonly number[];
  handle: (request: FastifyRequest) => Promise<unknown>;
}

/** A search route whose handler gets the query as its schema parsed it. */
function searchRoute<Q extends z.ZodType>(
  querystring: Q,
  route: Omit<SearchRoute, 'querystring' | 'handle'> & { handle: (request: FastifyRequest, query: z.output<Q>) => Promise<unknown> },
): SearchRoute {
  // The route validated request.query against `querystring` before the handler runs.
  return { ...route, querystring, handle: (request) => route.handle(request, request.query as z.output<Q>) };
}

/** The resource types served, in the order their routes are registered (and documented). */
const RESOURCES: readonly { type: string; auth: 'public' | 'user'; read?: ReadRoute; search: SearchRoute }[] = [
  {
    type: 'Practitioner',
    auth: 'public',
    read: {
      description: 'A doctor with a public profile (id: the doctor profile id). Public.',
      schema: schemas.practitionerSchema,
      handle: (request, params) => fhir.readPractitioner(request.ctx, params),
    },
    search: searchRoute(schemas.practitionerSearch, {
      description: 'Doctors with a public profile, by last then first name. Public.',
      handle: (request, query) => fhir.searchPractitioners(request.ctx, query, searchUrls(request)),
    }),
  },
  {
    type: 'PractitionerRole',
    auth: 'public',
    read: {
      description: 'A doctor’s one role (id: the doctor profile id): specialties and designations as codings with our slugs as codes. Public.',
      schema: schemas.practitionerRoleSchema,
      handle: (request, params) => fhir.readPractitionerRole(request.ctx, params),
    },
    search: searchRoute(schemas.practitionerRoleSearch, {
      description: 'Doctors’ roles, optionally of one specialization (`specialty`: its slug). Public.',
      handle: (request, query) => fhir.searchPractitionerRoles(request.ctx, query, searchUrls(request)),
    }),
  },
  {
    type: 'Patient',
    auth: 'user',
    read: {
      description:
        'As `GET /v1/api/patient/patients/{id}/`: admins, the patient’s doctors (a `confirmed` or `completed` appointment within the last 365 or next 30 days) and the patient; 404 to anyone else. Audited.',
      schema: schemas.patientResourceSchema,
      handle: (request, params) => fhir.readPatient(request.ctx, { ...params, route: request.routeOptions.url ?? '' }, actorOf(request)),
    },
    search: searchRoute(schemas.patientSearch, {
      description: 'As `GET /v1/api/patient/patients/`: admins see every patient, doctors their patients, patients get 403. Audited.',
      problems: [403],
      handle: (request, query) => fhir.searchPatients(request.ctx, { ...query, route: request.routeOptions.url ?? '' }, actorOf(request), searchUrls(request)),
    }),
  },
  {
    type: 'Schedule',
    auth: 'public',
    read: {
      description: 'A doctor’s calendar, one per doctor (id: the doctor profile id); `active` says whether they accept patients. Public.',
      schema: schemas.scheduleSchema,
      handle: (request, params) => fhir.readSchedule(request.ctx, params),
    },
    search: searchRoute(schemas.scheduleSearch, {
      description: 'The Schedule of `actor=Practitioner/{id}` (none for an unknown doctor), or every doctor’s. Public.',
      handle: (request, query) => fhir.searchSchedules(request.ctx, query, searchUrls(request)),
    }),
  },
  {
    type: 'Slot',
    auth: 'public',
    search: searchRoute(schemas.slotSearch, {
      summary: 'Search free Slots',
      description:
        'The free slots of a Schedule with starts in [`ge`, `lt`) (at most 31 days; both bounds required), computed as `GET /v1/api/doctor/available-times-patient/` computes them. ' +
        'Busy periods are not listed. An unknown schedule answers 404, as the REST route does. Public.',
      problems: [404],
      handle: (request, query) => fhir.searchSlots(request.ctx, query, searchUrls(request)),
    }),
  },
  {
    type: 'Appointment',
    auth: 'user',
    read: {
      description:
        'To its patient, its doctor and admins; 404 to anyone else. Statuses: requested→proposed, pending→pending, confirmed→booked, completed→fulfilled, no_show→noshow, cancelled/rejected/rescheduled→cancelled.',
      schema: schemas.appointmentResourceSchema,
      handle: (request, params) => fhir.readAppointment(request.ctx, params, actorOf(request)),
    },
    search: searchRoute(schemas.appointmentSearch, {
      description: 'The appointments the caller may read (a patient’s or doctor’s own; an admin’s, all), by start time.',
      handle: (request, query) => fhir.searchAppointmentResources(request.ctx, query, actorOf(request), searchUrls(request)),
    }),
  },
];

const asOperationOutcome = (problem: Problem) => JSON.stringify(toOperationOutcome(problem));

const fhirRoutes: FastifyPluginAsyncZod = async (app) => {
  // The answers given before routing (a malformed URL, an id over the router's length) run none of the hooks below.
  app.problemFormats.push({ prefix: FHIR_PREFIX, contentType: FHIR_TYPE, render: asOperationOutcome });
  // Hooks of this scope run for its routes and its not-found handler, whatever answered.
  app.addHook('onRequest', (_request, reply, done) => {
    reply.type(FHIR_TYPE);
    done();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    const type = String(reply.getHeader('content-type') ?? '');
    if (type.startsWith(PROBLEM_CONTENT_TYPE) && typeof payload === 'string') {
      reply.type(FHIR_TYPE);
      return done(null, asOperationOutcome(JSON.parse(payload) as Problem));
    }
    done(null, payload);
  });
  app.setNotFoundHandler((_request, reply) => sendProblem(reply, 404, 'not_found', 'This FHIR server has no such resource type or interaction.'));

  app.get(
    '/metadata',
    {
      config: { auth: 'public' },
      schema: {
        operationId: 'fhirCapabilities',
        tags: TAGS,
        summary: 'CapabilityStatement',
        description: 'What this server supports: resources, interactions and search parameters. Public.',
        response: responses(schemas.capabilityStatementSchema, []),
      },
    },
    async (request) => fhir.getCapabilityStatement(searchUrls(request).base),
  );

  for (const { type, auth, read, search } of RESOURCES) {
    const signedIn = auth === 'user' ? [401] : [];
    if (read) {
      app.get(
        `/${type}/:id`,
        {
          config: { auth },
          schema: {
            operationId: `fhirRead${type}`,
            tags: TAGS,
            summary: `Read ${/^[AEIOU]/.test(type) ? 'an' : 'a'} ${type}`,
            description: read.description,
            params: schemas.idParams,
            response: responses(read.schema, [400, ...signedIn, 404]),
          },
        },
        async (request) => read.handle(request, request.params),
      );
    }
    app.get(
      `/${type}`,
      {
        config: { auth },
        schema: {
          operationId: `fhirSearch${type}`,
          tags: TAGS,
          summary: search.summary ?? `Search ${type}s`,
          description: search.description,
          querystring: search.querystring,
          response: responses(schemas.bundleSchema, [400, ...signedIn, ...(search.problems ?? [])]),
        },
      },
      async (request) => search.handle(request),
    );
  }
};

export default fhirRoutes;
